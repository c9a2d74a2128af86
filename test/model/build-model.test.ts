import * as tf from '../../src/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, quietTf, registerRunnerLayers } from '../../src/model/index.js';
import { graph, LENET, MYCNN, sequential } from './model-spec.js';

beforeAll(async () => {
  quietTf();
  await tf.setBackend('cpu');
});

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('buildModel', () => {
  it('gives the same weights for the same seed, and other weights for another', () => {
    const a = buildModel(LENET, { seed: 7 });
    const b = buildModel(LENET, { seed: 7 });
    const c = buildModel(LENET, { seed: 8 });
    const [wa, wb, wc] = [weightsOf(a), weightsOf(b), weightsOf(c)];
    expect(wa.length).toBe(10);
    wa.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(wb[i]!)));
    expect(Array.from(wa[0]!)).not.toEqual(Array.from(wc[0]!));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('initialises two identical layers differently', () => {
    const model = buildModel(sequential([4], [{ dense: { units: 4 } }, { dense: { units: 4 } }]), {
      seed: 1,
    });
    const [k1, , k2] = weightsOf(model);
    expect(Array.from(k1!)).not.toEqual(Array.from(k2!));
    model.dispose();
  });

  it('trains a residual and inception-style graph: forward, backward, weights move', async () => {
    const spec = graph(
      [8, 8, 2],
      [
        {
          name: 'stem',
          kind: 'conv2d',
          inputs: ['input'],
          spec: { filters: 4, kernelSize: 3, padding: 1, activation: 'relu' },
        },
        {
          name: 'a',
          kind: 'conv2d',
          inputs: ['stem'],
          spec: { filters: 4, kernelSize: 3, padding: 'same' },
        },
        { name: 'bn', kind: 'batchNorm', inputs: ['a'] },
        { name: 'res', kind: 'add', inputs: ['stem', 'bn'] },
        { name: 'b1', kind: 'conv2d', inputs: ['res'], spec: { filters: 2, kernelSize: 1 } },
        {
          name: 'b2',
          kind: 'separableConv2d',
          inputs: ['res'],
          spec: { filters: 3, kernelSize: 3, padding: 'same' },
        },
        {
          name: 'b3',
          kind: 'maxPool2d',
          inputs: ['res'],
          spec: { poolSize: 3, strides: 1, padding: 'same' },
        },
        { name: 'cat', kind: 'concatenate', inputs: ['b1', 'b2', 'b3'] },
        { name: 'gap', kind: 'globalAvgPool2d', inputs: ['cat'] },
        { name: 'drop', kind: 'dropout', inputs: ['gap'], spec: { rate: 0.1 } },
        { name: 'logits', kind: 'dense', inputs: ['drop'], spec: { units: 3 } },
      ],
      'logits',
    );
    const before = tf.memory().numTensors;
    const model = buildModel(spec, { seed: 2 });
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    const initial = weightsOf(model);
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits),
    });
    const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 5);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3));
    const history = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(history.history['loss']!.every((l) => Number.isFinite(l as number))).toBe(true);
    const trained = weightsOf(model);
    const trainable = model.trainableWeights.length;
    expect(trainable).toBeGreaterThan(0);
    // Every trainable weight got a gradient and moved.
    model.trainableWeights.forEach((w) => {
      const i = model.weights.indexOf(w);
      expect(Array.from(trained[i]!), w.name).not.toEqual(Array.from(initial[i]!));
    });
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('compiles PyTorch padding to zero padding before a valid convolution', () => {
    const model = buildModel(MYCNN, { seed: 1 });
    const names = model.layers.map((l) => `${l.getClassName()}:${l.name}`);
    expect(names.slice(0, 4)).toEqual([
      'InputLayer:input',
      'ZeroPadding2D:conv2d_1/pad',
      'Conv2D:conv2d_1',
      'BatchNormalization:batchNorm_1',
    ]);
    // 3x3 with padding 1 at stride 1 is tfjs's `same`: no padded copy, no pad layer.
    const conv2 = model.getLayer('conv2d_2');
    expect(conv2.getConfig()['padding']).toBe('same');
    expect(names.filter((n) => n.startsWith('ZeroPadding2D'))).toEqual([
      'ZeroPadding2D:conv2d_1/pad',
    ]);
    model.dispose();
  });

  it.each([
    ['3x3, padding 1 (as same)', 3, [1, 1], 1],
    ['5x3, padding [2, 1] (as same)', [5, 3], [2, 1], 1],
    ['3x3, padding 2 (zero padding)', 3, [2, 2], 1],
    ['3x3, padding 1, stride 2 (zero padding)', 3, [1, 1], 2],
  ] as const)(
    'pads as PyTorch does, %s: the output of zero padding then a valid convolution',
    (_, kernelSize, padding, strides) => {
      const spec = sequential(
        [9, 8, 2],
        [
          { conv2d: { filters: 4, kernelSize, padding: [...padding], strides } },
          { flatten: {} },
          { dense: { units: 3 } },
        ],
      );
      const model = buildModel(spec, { seed: 3 });
      const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
      const [kernel, bias] = conv.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      const x = tf.randomNormal([2, 9, 8, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const convolved = tf.model({
        inputs: model.inputs,
        outputs: conv.output as tf.SymbolicTensor,
      });
      const ours = convolved.predict(x) as tf.Tensor;
      const reference = tf.tidy(() =>
        tf.add(
          tf.conv2d(
            tf.pad(x, [
              [0, 0],
              [padding[0], padding[0]],
              [padding[1], padding[1]],
              [0, 0],
            ]),
            kernel,
            strides,
            'valid',
          ),
          bias,
        ),
      );
      expect(ours.shape).toEqual(reference.shape);
      const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]!);
      expect(worst).toBeLessThan(1e-5);
      tf.dispose([x, ours, reference]);
      model.dispose();
    },
  );

  it('uses the PyTorch batch-norm conventions: momentum 0.1, epsilon 1e-5', () => {
    const model = buildModel(sequential([2], [{ batchNorm: {} }]), { seed: 1 });
    const bn = model.layers[1]!;
    expect(bn.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    const x = tf.tensor2d([
      [1, 10],
      [3, 30],
    ]);
    tf.tidy(() => {
      bn.apply(x, { training: true });
    });
    // running = (1 - 0.1) * 0 + 0.1 * batch mean
    const movingMean = bn.getWeights()[2]!.dataSync();
    expect(movingMean[0]).toBeCloseTo(0.2, 5);
    expect(movingMean[1]).toBeCloseTo(2, 5);
    x.dispose();
    model.dispose();
  });

  it('computes the activations with their PyTorch arguments', () => {
    const cases: [Record<string, Record<string, unknown>>, number[]][] = [
      [{ leakyRelu: {} }, [-0.01, 0, 2]],
      [{ leakyRelu: { alpha: 0.2 } }, [-0.2, 0, 2]],
      [{ elu: { alpha: 0.5 } }, [0.5 * (Math.exp(-1) - 1), 0, 2]],
      [{ elu: {} }, [Math.exp(-1) - 1, 0, 2]],
      [{ relu: {} }, [0, 0, 2]],
      [{ gelu: {} }, [-0.158655, 0, 1.9545]],
      [{ gelu: { approximate: 'tanh' } }, [-0.158808, 0, 1.954598]],
    ];
    const x = tf.tensor2d([[-1, 0, 2]]);
    for (const [layer, expected] of cases) {
      const model = buildModel(sequential([3], [layer]), { seed: 1 });
      const y = model.predict(x) as tf.Tensor;
      Array.from(y.dataSync()).forEach((v, i) =>
        expect(v, JSON.stringify(layer)).toBeCloseTo(expected[i]!, 4),
      );
      y.dispose();
      model.dispose();
    }
    x.dispose();
  });

  it('applies an activation field tfjs has no string for as a layer after it', () => {
    const model = buildModel(sequential([3], [{ dense: { units: 2, activation: 'leakyRelu' } }]), {
      seed: 1,
    });
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'dense_1', 'dense_1/leakyRelu']);
    model.dispose();
  });
});

describe('dropout', () => {
  const spec = sequential([64], [{ dropout: { rate: 0.5 } }]);

  function masks(model: tf.LayersModel, steps: number): number[][] {
    const x = tf.ones([1, 64]);
    const layer = model.layers[1]!;
    const result = Array.from({ length: steps }, () =>
      tf.tidy(() => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync())),
    );
    x.dispose();
    return result;
  }

  it('draws a new mask every training step, the same sequence for the same seed', () => {
    const a = buildModel(spec, { seed: 4 });
    const b = buildModel(spec, { seed: 4 });
    const [a1, a2] = masks(a, 2);
    const [b1, b2] = masks(b, 2);
    expect(a1).not.toEqual(a2);
    expect([a1, a2]).toEqual([b1, b2]);
    // Kept values are scaled by 1 / (1 - rate), as in PyTorch.
    expect(new Set(a1)).toEqual(new Set([0, 2]));
    a.dispose();
    b.dispose();
  });

  it('passes values through unchanged at evaluation', () => {
    const model = buildModel(spec, { seed: 4 });
    const x = tf.ones([1, 64]);
    const y = model.predict(x) as tf.Tensor;
    expect(Array.from(y.dataSync()).every((v) => v === 1)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('saved models', () => {
  async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    return tf.loadLayersModel(tf.io.fromMemory(saved!));
  }

  it('load with plain tf.loadLayersModel and predict the same, dropout included', async () => {
    const spec = sequential(
      [6, 6, 1],
      [
        { conv2d: { filters: 2, kernelSize: 3, padding: 1, activation: 'leakyRelu' } },
        { batchNorm: {} },
        { flatten: {} },
        { dropout: { rate: 0.3 } },
        { dense: { units: 3 } },
      ],
    );
    const model = buildModel(spec, { seed: 5 });
    const loaded = await roundTrip(model);
    expect(loaded.layers.find((l) => l.name === 'dropout_1')?.getClassName()).toBe('Dropout');
    const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('load an elu with a custom alpha after registerRunnerLayers()', async () => {
    const model = buildModel(sequential([3], [{ elu: { alpha: 0.5 } }]), { seed: 1 });
    registerRunnerLayers();
    const loaded = await roundTrip(model);
    const x = tf.tensor2d([[-1, 0, 2]]);
    const y = loaded.predict(x) as tf.Tensor;
    expect(y.dataSync()[0]).toBeCloseTo(0.5 * (Math.exp(-1) - 1), 5);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });
});
