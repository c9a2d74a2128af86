import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropyFused } from '../../src/backend/fused-ops.js';
import { makeRandom, randomValues, useBackend } from './kernel-check.js';

/** tfjs's own objective, op by op: what stepObjective computes off wasm. */
function tfjsObjective(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number) {
  const classes = logits.shape[1];
  const loss = tf.losses.softmaxCrossEntropy(
    tf.oneHot(labels, classes),
    logits,
    undefined,
    smoothing,
  ) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
  return { loss, correct };
}

type Objective = typeof tfjsObjective;

function evaluate(objective: Objective, z: tf.Tensor2D, y: tf.Tensor1D, smoothing: number) {
  return tf.tidy(() => {
    let correct = 0;
    const grad = tf.grad((v: tf.Tensor) => {
      const result = objective(v as tf.Tensor2D, y, smoothing);
      correct = result.correct.dataSync()[0] ?? -1;
      return result.loss;
    });
    const dz = Array.from(grad(z).dataSync());
    const loss = objective(z, y, smoothing).loss.dataSync()[0] ?? NaN;
    return { loss, correct, dz };
  });
}

const fusedObjective: Objective = (logits, labels, smoothing) => {
  const fused = softmaxCrossEntropyFused(logits, labels, smoothing);
  if (fused === undefined) throw new Error('the fused kernel is not registered');
  return fused;
};

describe('softmax cross-entropy in one wasm kernel', () => {
  it.each([
    [64, 10, 0],
    [64, 10, 0.1],
    [7, 3, 0.25],
    [1, 2, 0],
    [33, 100, 0.05],
  ])(
    'batch %i, %i classes, smoothing %s: loss, right predictions and gradient as tfjs computes them',
    async (rows, classes, smoothing) => {
      await useBackend('wasm');
      const random = makeRandom(rows * 31 + classes);
      const values = randomValues(random, rows * classes);
      // Scaled logits, a tie (argMax takes the first) and a large row (log-sum-exp's shift).
      for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * 6;
      if (classes > 2) values[1] = values[0] as number;
      if (rows > 1) for (let k = 0; k < classes; k++) values[classes + k] = 80 + k;
      const labelValues = Int32Array.from({ length: rows }, () => Math.floor(random() * classes));
      labelValues[0] = 1;
      const z = tf.tensor2d(values, [rows, classes]);
      const y = tf.tensor1d(labelValues, 'int32');
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        evaluate(fusedObjective, z, y, smoothing);
      });
      const ours = evaluate(fusedObjective, z, y, smoothing);
      expect(tf.memory().numTensors).toBe(before);
      const theirs = evaluate(tfjsObjective, z, y, smoothing);
      expect(ours.correct).toBe(theirs.correct);
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThan(1e-6 * Math.max(1, theirs.loss));
      const scale = Math.max(...theirs.dz.map(Math.abs));
      const worst = Math.max(...ours.dz.map((v, i) => Math.abs(v - (theirs.dz[i] as number))));
      // Against the largest a gradient can be (1 / n). tfjs's float32 loses digits: p - t where
      // p is near t (1 row, 2 classes: -6.03974e-4 for the exact -6.03965e-4), and log-softmax
      // of logits near 80 (about 80 x 6e-8 absolute).
      expect(worst * rows).toBeLessThan(1e-5);
      expect(scale).toBeGreaterThan(0);
      // Forward twice (the gradient's and the value's), backward once: 3 calls, nothing else.
      const names = profile.kernels.map((k) => k.name);
      expect(names.filter((n) => !n.startsWith('RunnerSoftmaxCrossEntropy'))).toEqual([]);
      expect(names.filter((n) => n === 'RunnerSoftmaxCrossEntropyGrad')).toHaveLength(1);
      tf.dispose([z, y]);
    },
  );

  it('is not used where its kernel is missing (cpu): the caller computes it op by op', async () => {
    await useBackend('wasm');
    await useBackend('cpu');
    const z = tf.tensor2d([[1, 2]]);
    const y = tf.tensor1d([1], 'int32');
    expect(softmaxCrossEntropyFused(z, y, 0)).toBeUndefined();
    tf.dispose([z, y]);
  });
});
