import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { TRAINING_GRADIENTS } from '../../src/backend/gradients/index.js';
import { makeRandom, randomValues, useBackend } from './kernel-check.js';

// tfjs-core's own gradients, read before selectBackend replaces them (each
// test file runs with a fresh tfjs).
const ORIGINALS = new Map(
  TRAINING_GRADIENTS.map((g) => [g.kernelName, tf.getGradient(g.kernelName)]),
);

/** Runs `f` with tfjs-core's gradient for `kernelName` instead of the runner's. */
function withOriginalGradient<T>(kernelName: string, f: () => T): T {
  const original = ORIGINALS.get(kernelName);
  const ours = tf.getGradient(kernelName);
  if (original === undefined || ours === undefined)
    throw new Error(`no gradient for ${kernelName}`);
  tf.registerGradient(original);
  try {
    return f();
  } finally {
    tf.registerGradient(ours);
  }
}

describe('runner gradients', () => {
  it('replaces tfjs-core gradients when wasm is selected', async () => {
    await useBackend('wasm');
    for (const gradient of TRAINING_GRADIENTS) {
      expect(tf.getGradient(gradient.kernelName)).toBe(gradient);
      expect(ORIGINALS.get(gradient.kernelName)).not.toBe(gradient);
    }
  });

  const REDUCTIONS = { Mean: tf.mean, Sum: tf.sum } as const;
  const CASES = [
    [[32, 15, 15, 16], [0, 1, 2], false],
    [[8, 30, 30, 3], [0, 1, 2], true],
    [[6, 7], [1], false],
    [[5, 4, 3], [0, 2], true],
    [[9], [0], false],
    [[4, 5], undefined, false],
  ] as const;

  it.each((['Mean', 'Sum'] as const).flatMap((kind) => CASES.map((c) => [kind, ...c] as const)))(
    '%s of %j over %j (keepDims %s): the same gradient as tfjs-core, bit for bit',
    async (kind, shape, axis, keepDims) => {
      await useBackend('wasm');
      const random = makeRandom(41);
      const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
      const axes = axis === undefined ? undefined : [...axis];
      const reduce = (input: tf.Tensor): tf.Tensor => REDUCTIONS[kind](input, axes, keepDims);
      const x = tf.tensor(randomValues(random, size(shape)), [...shape]);
      const outShape = tf.tidy(() => reduce(x).shape);
      const dy = tf.tensor(randomValues(random, size(outShape)), outShape);
      const gradient = (): Float32Array =>
        tf.tidy(() => tf.grad(reduce)(x, dy).dataSync() as Float32Array);
      const before = tf.memory().numTensors;
      const ours = gradient();
      expect(tf.memory().numTensors).toBe(before);
      const theirs = withOriginalGradient(kind, gradient);
      expect(ours.length).toBe(theirs.length);
      const differing = ours.findIndex((v, i) => !Object.is(v, theirs[i]));
      expect(
        differing,
        `first difference at ${differing}: ${ours[differing]} vs ${theirs[differing]}`,
      ).toBe(-1);
      tf.dispose([x, dy]);
    },
  );
});
