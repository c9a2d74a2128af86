import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { buildModel } from '../../src/model/index.js';
import { makeRandom, randomValues, relativeError, useBackend } from './kernel-check.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const L = tf.layers;

interface TinyModel {
  readonly name: string;
  readonly inputShape: number[];
  readonly layers: () => tf.layers.Layer[];
  /** Integer inputs in [0, 10) (token ids), else uniform floats. */
  readonly tokens?: boolean;
  /** Random in training (dropout): compared for being finite, not for equality. */
  readonly random?: boolean;
}

/** One tiny model per kind of layer a config can use; each ends in a dense softmax over 3 classes. */
const TINY_MODELS: readonly TinyModel[] = [
  {
    name: 'conv2d stride 2 same',
    inputShape: [9, 9, 2],
    layers: () => [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' })],
  },
  {
    name: 'conv2d 1x1 and 7x7',
    inputShape: [9, 9, 2],
    layers: () => [
      L.conv2d({ filters: 4, kernelSize: 1 }),
      L.conv2d({ filters: 2, kernelSize: 7 }),
    ],
  },
  {
    name: 'conv1d',
    inputShape: [11, 2],
    layers: () => [L.conv1d({ filters: 3, kernelSize: 3, strides: 2 })],
  },
  {
    name: 'depthwiseConv2d',
    inputShape: [8, 8, 2],
    layers: () => [
      L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
    ],
  },
  {
    name: 'separableConv2d',
    inputShape: [8, 8, 2],
    layers: () => [L.separableConv2d({ filters: 3, kernelSize: 3 })],
  },
  {
    name: 'conv2dTranspose',
    inputShape: [5, 5, 2],
    layers: () => [L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' })],
  },
  {
    name: 'maxPooling2d 3 stride 2 same',
    inputShape: [9, 9, 2],
    layers: () => [
      L.conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    ],
  },
  {
    name: 'averagePooling2d',
    inputShape: [8, 8, 2],
    layers: () => [L.conv2d({ filters: 3, kernelSize: 1 }), L.averagePooling2d({ poolSize: 2 })],
  },
  {
    name: 'global pools',
    inputShape: [6, 6, 2],
    layers: () => [L.conv2d({ filters: 3, kernelSize: 3 }), L.globalAveragePooling2d({})],
  },
  {
    name: 'globalMaxPooling2d',
    inputShape: [6, 6, 2],
    layers: () => [L.conv2d({ filters: 3, kernelSize: 3 }), L.globalMaxPooling2d({})],
  },
  {
    name: 'batchNormalization + leakyReLU',
    inputShape: [6, 6, 2],
    layers: () => [
      L.conv2d({ filters: 3, kernelSize: 3 }),
      L.batchNormalization(),
      L.leakyReLU({ alpha: 0.2 }),
    ],
  },
  {
    name: 'layerNormalization',
    inputShape: [6],
    layers: () => [L.dense({ units: 5 }), L.layerNormalization()],
  },
  { name: 'prelu', inputShape: [6], layers: () => [L.dense({ units: 5 }), L.prelu()] },
  {
    name: 'elu',
    inputShape: [6],
    layers: () => [L.dense({ units: 5 }), L.elu(), L.dense({ units: 4, activation: 'elu' })],
  },
  {
    name: 'selu, tanh, sigmoid',
    inputShape: [6],
    layers: () => [
      L.dense({ units: 5, activation: 'selu' }),
      L.dense({ units: 5, activation: 'tanh' }),
      L.dense({ units: 5, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'relu6, softplus, swish, gelu',
    inputShape: [6],
    layers: () => [
      L.dense({ units: 5, activation: 'relu6' }),
      L.dense({ units: 5, activation: 'softplus' }),
      L.dense({ units: 5, activation: 'swish' }),
      L.dense({ units: 5, activation: 'gelu' }),
    ],
  },
  {
    name: 'upSampling2d, zeroPadding2d, cropping2D',
    inputShape: [4, 4, 2],
    layers: () => [
      L.upSampling2d({ size: [2, 2] }),
      L.zeroPadding2d({ padding: 1 }),
      L.cropping2D({ cropping: 2 }),
      L.conv2d({ filters: 2, kernelSize: 3 }),
    ],
  },
  {
    name: 'embedding',
    inputShape: [4],
    tokens: true,
    layers: () => [L.embedding({ inputDim: 10, outputDim: 3 })],
  },
  {
    name: 'dropout',
    inputShape: [6],
    random: true,
    layers: () => [L.dense({ units: 5 }), L.dropout({ rate: 0.5 })],
  },
];

function buildTiny(c: TinyModel): tf.Sequential {
  const model = tf.sequential();
  model.add(L.inputLayer({ inputShape: c.inputShape }));
  for (const layer of c.layers()) model.add(layer);
  if ((model.outputs[0]?.shape.length ?? 2) > 2) model.add(L.flatten());
  model.add(L.dense({ units: 3, activation: 'softmax' }));
  return model;
}

/** Gradients of the cross-entropy of one batch with respect to every trainable weight, as arrays. */
function weightGradients(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(
          ys,
          model.apply(xs, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      model.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    return model.trainableWeights.map((w) => {
      const g = grads[(w.read() as tf.Variable).name];
      if (g === undefined) throw new Error(`no gradient for ${w.name}`);
      return g.dataSync() as Float32Array;
    });
  });
}

describe('training on wasm', () => {
  it.each(TINY_MODELS.map((c) => [c.name, c] as const))(
    'computes the gradients of %s as cpu does',
    async (_name, c) => {
      await useBackend('cpu');
      const random = makeRandom(21);
      const batch = 4;
      const inputSize = c.inputShape.reduce((a, b) => a * b, 1) * batch;
      const xs = c.tokens
        ? tf.tensor(
            Int32Array.from({ length: inputSize }, () => Math.floor(random() * 10)),
            [batch, ...c.inputShape],
            'int32',
          )
        : tf.tensor(randomValues(random, inputSize), [batch, ...c.inputShape]);
      const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
      const model = buildTiny(c);
      const reference = c.random ? [] : weightGradients(model, xs, ys);

      await useBackend('wasm');
      const before = tf.memory().numTensors;
      const ours = weightGradients(model, xs, ys);
      expect(tf.memory().numTensors).toBe(before);
      for (const [i, g] of ours.entries()) {
        expect(g.every(Number.isFinite), `${c.name}: gradient ${i} is finite`).toBe(true);
        const expected = reference[i];
        if (expected !== undefined) {
          expect(
            relativeError(g, expected),
            `${c.name}: gradient of ${model.trainableWeights[i]?.name}`,
          ).toBeLessThan(1e-4);
        }
      }
      tf.dispose([xs, ys]);
      model.dispose();
    },
  );
});

/** The net exactly as the runner compiles it from one of its example configs. */
async function fromConfig(file: string): Promise<tf.LayersModel> {
  const experiment = await loadExperiment(file, { registries: REGISTRIES, cwd: REPO });
  return buildModel(experiment.model, { seed: experiment.seed });
}

/** Losses of `steps` Adam steps on one fixed batch, from the model's current weights. */
function trainSteps(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, steps: number): number[] {
  const optimizer = tf.train.adam(1e-3);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () =>
        tf.losses.softmaxCrossEntropy(
          ys,
          model.apply(xs, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      true,
    );
    if (loss === null) throw new Error('minimize returned no loss');
    losses.push(loss.dataSync()[0] ?? NaN);
    loss.dispose();
  }
  optimizer.dispose();
  return losses;
}

describe.each([
  ['LeNet-5', 'configs/lenet.yaml'],
  ['the tutorial net', 'configs/mycnn.yaml'],
] as const)('%s on wasm', (_name, config) => {
  it('has the losses cpu has for its first steps', async () => {
    await useBackend('cpu');
    const random = makeRandom(31);
    const batch = 8;
    const xs = tf.tensor4d(
      randomValues(random, batch * 28 * 28).map((v) => (v + 1) / 2),
      [batch, 28, 28, 1],
    );
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const model = await fromConfig(config);
    const initial = model.getWeights().map((w) => w.clone());
    const cpuLosses = trainSteps(model, xs, ys, 3);

    await useBackend('wasm');
    model.setWeights(initial);
    const before = tf.memory().numTensors;
    const wasmLosses = trainSteps(model, xs, ys, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(cpuLosses[2]).toBeLessThan(cpuLosses[0] ?? 0);
    for (const [i, loss] of wasmLosses.entries()) {
      expect(
        Math.abs(loss - (cpuLosses[i] ?? NaN)),
        `step ${i + 1}: wasm ${loss}, cpu ${cpuLosses[i]}`,
      ).toBeLessThan(1e-4);
    }
    tf.dispose([xs, ys, ...initial]);
    model.dispose();
  });
});
