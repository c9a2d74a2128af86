import * as tf from '../../src/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastBatchNormTraining } from '../../src/model/layers/batch-norm-training.js';
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
