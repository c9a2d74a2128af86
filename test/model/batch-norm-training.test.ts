import * as tf from '../../src/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fastBatchNormTraining,
  setBatchNormActivationFusion,
} from '../../src/model/layers/batch-norm-training.js';
import { buildModel } from '../../src/model/index.js';
import { stepObjective } from '../../src/train/step-objective.js';
import type { ModelSpec } from '../../src/config/experiment.js';
import { graph, sequential } from './model-spec.js';
import { selectBackend } from '../../src/backend/index.js';
import { setSimdLoopsEnabled } from '../../src/backend/kernels/simd/simd-loops.js';

/** Largest difference relative to the largest reference value (at least 1). */
function relativeDifference(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = Math.max(1, tf.max(tf.abs(expected)).dataSync()[0] ?? 0);
    return (tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] ?? Infinity) / scale;
  });
}

// On cpu the op-by-op path; on wasm the runner's fused kernels (one call forward, one backward).
describe.each(['cpu', 'wasm'] as const)('fastBatchNormTraining on %s', (backend) => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await selectBackend(backend);
  });

  // Small shapes (no whole block of the SIMD loops) and larger ones (blocks and a remainder).
  it.each([
    [[8, 5, 5, 3]],
    [[16, 7]],
    [[32, 6, 6, 16]],
    [[3, 4, 4, 1]],
    [[20, 11, 11, 3]],
    [[9, 7, 7, 6]],
    [[30, 41, 1]],
  ])(
    'trains a %j input as tfjs-layers does: output, gradients, moving statistics',
    async (shape) => {
      const reference = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
      const fast = fastBatchNormTraining(
        tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      );
      reference.build(shape);
      fast.build(shape);
      const initial = reference
        .getWeights()
        .map((w, i) => tf.add(tf.randomNormal(w.shape, 0, 1, 'float32', i + 1), i === 3 ? 2 : 0));
      reference.setWeights(initial);
      fast.setWeights(initial);
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 7), 3), 1);
      const weights = tf.randomNormal(shape, 0, 1, 'float32', 8);
      const loss = (layer: tf.layers.Layer) => (input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, weights));

      expect(
        relativeDifference(
          fast.apply(x, { training: true }) as tf.Tensor,
          reference.apply(x, { training: true }) as tf.Tensor,
        ),
      ).toBeLessThan(1e-6);
      expect(relativeDifference(tf.grad(loss(fast))(x), tf.grad(loss(reference))(x))).toBeLessThan(
        1e-6,
      );
      // Gradients of gamma and beta, in the order of the layers' trainable weights.
      const weightGrads = (layer: tf.layers.Layer): tf.Tensor[] => {
        const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => loss(layer)(x) as tf.Scalar, variables);
        return variables.map((v) => grads[v.name] as tf.Tensor);
      };
      const ours = weightGrads(fast);
      const theirs = weightGrads(reference);
      expect(ours).toHaveLength(2);
      ours.forEach((g, i) =>
        expect(relativeDifference(g, theirs[i] as tf.Tensor)).toBeLessThan(1e-6),
      );
      // Moving mean and variance after the same training calls.
      const [, , ourMean, ourVariance] = fast.getWeights();
      const [, , theirMean, theirVariance] = reference.getWeights();
      expect(relativeDifference(ourMean as tf.Tensor, theirMean as tf.Tensor)).toBeLessThan(1e-6);
      expect(relativeDifference(ourVariance as tf.Tensor, theirVariance as tf.Tensor)).toBeLessThan(
        1e-6,
      );
      // The fused kernels run on wasm, and only there; the kernel calls of a step.
      const profile = await tf.profile(() => {
        tf.tidy(() => tf.grad(loss(fast))(x));
      });
      const names = profile.kernels.map((k) => k.name);
      const fusedCalls = names.filter((n) => n.startsWith('RunnerBatchNormTrain'));
      expect(fusedCalls).toEqual(
        backend === 'wasm' ? ['RunnerBatchNormTrain', 'RunnerBatchNormTrainGrad'] : [],
      );
      if (backend === 'wasm') expect(names).not.toContain('Mean');
    },
  );

  it('keeps the inference path and the saved config of BatchNormalization', () => {
    const fast = fastBatchNormTraining(tf.layers.batchNormalization({}));
    const x = tf.randomNormal([4, 3, 3, 2]);
    fast.apply(x, { training: false });
    expect(fast.getClassName()).toBe('BatchNormalization');
  });

  it('trains without a learned shift (center: false), where tfjs-layers throws', () => {
    const fast = fastBatchNormTraining(tf.layers.batchNormalization({ center: false }));
    const y = fast.apply(tf.randomNormal([4, 3, 3, 2]), { training: true }) as tf.Tensor;
    expect(Math.abs(tf.mean(y).dataSync()[0] ?? 1)).toBeLessThan(1e-5);
  });

  it('trains without a learned scale (scale: false): unit variance, gradients for beta', () => {
    const fast = fastBatchNormTraining(tf.layers.batchNormalization({ scale: false }));
    const x = tf.add(tf.mul(tf.randomNormal([6, 3, 3, 2], 0, 1, 'float32', 3), 4), 2);
    const y = fast.apply(x, { training: true }) as tf.Tensor;
    const variance = tf.moments(y, [0, 1, 2]).variance.dataSync();
    for (const v of variance) expect(v).toBeCloseTo(1, 2);
    const [beta] = fast.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.sum(fast.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      [beta as tf.Variable],
    );
    // d sum(y) / d beta = the count of values per channel.
    expect(Array.from(grads[(beta as tf.Variable).name]?.dataSync() ?? [])).toEqual([54, 54]);
  });
});

describe('batch norm training kernels on wasm', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await selectBackend('wasm');
  });
  afterAll(() => setSimdLoopsEnabled(true));

  /** Output, moving statistics and the gradients of x, gamma, beta of one training call. */
  function trainingValues(shape: number[]): number[][] {
    return tf.tidy(() => {
      const layer = fastBatchNormTraining(
        tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }),
      );
      layer.build(shape);
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i) => tf.add(tf.randomNormal(w.shape, 0, 1, 'float32', i + 1), i === 3 ? 2 : 0)),
      );
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 7), 3), 5);
      const weights = tf.randomNormal(shape, 0, 1, 'float32', 8);
      const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const f = (input: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, weights));
      const { value, grads } = tf.variableGrads(() => f(x), variables);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      return [
        y,
        tf.grad(f)(x),
        ...variables.map((v) => grads[v.name] as tf.Tensor),
        ...layer.getWeights().slice(2),
        value,
      ].map((t) => Array.from(t.dataSync()));
    });
  }

  it.each([
    [[64, 30, 30, 3]],
    [[16, 15, 15, 16]],
    [[24, 7, 7, 32]],
    [[40, 13, 13, 1]],
    [[50, 7, 7, 6]],
    [[7, 300, 5]],
  ])('gives the same values bit for bit with SIMD and JavaScript loops at %j', (shape) => {
    setSimdLoopsEnabled(true);
    const simd = trainingValues(shape);
    setSimdLoopsEnabled(false);
    const js = trainingValues(shape);
    setSimdLoopsEnabled(true);
    expect(simd).toHaveLength(js.length);
    // The first index where they differ, if any (a diff of whole arrays is slow to print).
    simd.forEach((values, i) => {
      const other = js[i] ?? [];
      expect(values).toHaveLength(other.length);
      const at = values.findIndex((v, j) => !Object.is(v, other[j]));
      expect(at === -1 ? 'same' : `output ${i} at ${at}: ${values[at]} vs ${other[at]}`).toBe(
        'same',
      );
    });
  });
});

describe('the leaky ReLU after batch norm, in its training kernels (wasm)', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await selectBackend('wasm');
  });
  afterAll(() => {
    setBatchNormActivationFusion(true);
    setSimdLoopsEnabled(true);
  });

  /** One training step's kernel names, loss and gradients, the model built with or without the fusion. */
  async function step(spec: ModelSpec, fuse: boolean, batch = 6) {
    setBatchNormActivationFusion(fuse);
    const model = buildModel(spec, { seed: 4 });
    setBatchNormActivationFusion(true);
    const [, h, w, c] = model.inputs[0]!.shape as number[];
    const xs = tf.randomNormal([batch, h!, w!, c!], 0, 1, 'float32', 9);
    const labels = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 3),
      'int32',
    );
    const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
    const profile = await tf.profile(() => {
      result = tf.variableGrads(
        () => stepObjective(model, xs, labels, { numClasses: 3, labelSmoothing: 0 }).loss,
        variables,
      );
    });
    const { value, grads } = result!;
    const out = {
      kernels: profile.kernels.map((k) => k.name),
      loss: value.dataSync()[0]!,
      grads: variables.map((v) => Array.from(grads[v.name]!.dataSync())),
      prediction: Array.from((model.predict(xs) as tf.Tensor).dataSync()),
    };
    tf.dispose([xs, labels, value, ...Object.values(grads)]);
    model.dispose();
    return out;
  }

  const firstDifference = (a: readonly number[], b: readonly number[]): number =>
    a.length !== b.length ? 0 : a.findIndex((v, i) => !Object.is(v, b[i]));

  const chain = sequential(
    [9, 9, 3],
    [
      { conv2d: { filters: 5, kernelSize: 3 } },
      { batchNorm: {} },
      { leakyRelu: { alpha: 0.2 } },
      { conv2d: { filters: 6, kernelSize: 3, padding: 1 } },
      { batchNorm: {} },
      { leakyRelu: { alpha: 0 } },
      { flatten: {} },
      { dense: { units: 3 } },
    ],
  );

  it.each([true, false])(
    'trains as batch norm then leaky ReLU apart, bit for bit, two kernel calls a layer fewer (SIMD loops: %s)',
    async (simd) => {
      setSimdLoopsEnabled(simd);
      try {
        const fused = await step(chain, true);
        const apart = await step(chain, false);
        expect(apart.kernels.filter((k) => k === 'LeakyRelu')).toHaveLength(2);
        expect(fused.kernels).not.toContain('LeakyRelu');
        expect(fused.kernels).not.toContain('RunnerLeakyReluGrad');
        expect(Object.is(fused.loss, apart.loss)).toBe(true);
        fused.grads.forEach((g, i) => expect(firstDifference(g, apart.grads[i]!)).toBe(-1));
        expect(firstDifference(fused.prediction, apart.prediction)).toBe(-1);
      } finally {
        setSimdLoopsEnabled(true);
      }
    },
  );

  it('leaves batch norm whose output also feeds another layer alone', async () => {
    const branched = graph(
      [6, 6, 2],
      [
        { name: 'conv', kind: 'conv2d', inputs: ['input'], spec: { filters: 4, kernelSize: 3 } },
        { name: 'bn', kind: 'batchNorm', inputs: ['conv'] },
        { name: 'act', kind: 'leakyRelu', inputs: ['bn'], spec: { alpha: 0.1 } },
        { name: 'sum', kind: 'add', inputs: ['act', 'bn'] },
        { name: 'flat', kind: 'flatten', inputs: ['sum'] },
        { name: 'out', kind: 'dense', inputs: ['flat'], spec: { units: 3 } },
      ],
      'out',
    );
    const fused = await step(branched, true);
    const apart = await step(branched, false);
    expect(fused.kernels).toContain('LeakyRelu');
    expect(Object.is(fused.loss, apart.loss)).toBe(true);
    fused.grads.forEach((g, i) => expect(firstDifference(g, apart.grads[i]!)).toBe(-1));
  });
});
