import * as tf from '@tensorflow/tfjs';
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

  it.each([
    [[32, 15, 15, 16], [0, 1, 2], false],
    [[8, 30, 30, 3], [0, 1, 2], true],
    [[6, 7], 1, false],
    [[5, 4, 3], [0, 2], true],
    [[9], 0, false],
    [[4, 5], undefined, false],
  ] as const)(
    'Mean of %j over %j (keepDims %s): the same gradient, bit for bit',
    async (shape, axis, keepDims) => {
      await useBackend('wasm');
      const random = makeRandom(41);
      const x = tf.tensor(
        randomValues(
          random,
          shape.reduce((a, b) => a * b, 1),
        ),
        [...shape],
      );
      const outShape = tf.tidy(
        () => tf.mean(x, axis === undefined ? undefined : [axis].flat(), keepDims).shape,
      );
      const w = tf.tensor(
        randomValues(
          random,
          outShape.reduce((a, b) => a * b, 1),
        ),
        outShape,
      );
      const gradient = (): Float32Array =>
        tf.tidy(() => {
          const f = (input: tf.Tensor): tf.Tensor =>
            tf.sum(
              tf.mul(tf.mean(input, axis === undefined ? undefined : [axis].flat(), keepDims), w),
            );
          return tf.grad(f)(x).dataSync() as Float32Array;
        });
      const before = tf.memory().numTensors;
      const ours = gradient();
      expect(tf.memory().numTensors).toBe(before);
      const theirs = withOriginalGradient('Mean', gradient);
      expect(ours.length).toBe(theirs.length);
      const differing = ours.findIndex((v, i) => !Object.is(v, theirs[i]));
      expect(
        differing,
        `first difference at ${differing}: ${ours[differing]} vs ${theirs[differing]}`,
      ).toBe(-1);
      tf.dispose([x, w]);
    },
  );
});
