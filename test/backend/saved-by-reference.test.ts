import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { useBackend, type CheckedBackend } from './kernel-check.js';

/** Kernel names one call of `f` runs. */
async function kernelsOf(f: () => void): Promise<string[]> {
  const profile = await tf.profile(f);
  return profile.kernels.map((k) => k.name);
}

describe('tensors saved for a gradient, kept by reference', () => {
  it.each<CheckedBackend>(['wasm', 'cpu'])(
    'on %s: no Identity call for saved tensors, and the gradient reads them after the forward pass freed its own',
    async (backend) => {
      await useBackend('wasm');
      await useBackend(backend);
      const x = tf.tensor([0.5, -1, 2, 3]);
      // exp(x) is an intermediate the forward tidy disposes; Square saved it for its gradient.
      const f = (v: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.exp(v)));
      const tensorsBefore = tf.memory().numTensors;
      const dataBefore = tf.backend().numDataIds();
      let dx: number[] = [];
      const names = await kernelsOf(() => {
        dx = tf.tidy(() => Array.from(tf.grad(f)(x).dataSync()));
      });
      expect(names).not.toContain('Identity');
      // d/dx exp(x)^2 = 2 exp(2x)
      const expected = [0.5, -1, 2, 3].map((v) => 2 * Math.exp(2 * v));
      dx.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 3));
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      expect(tf.backend().numDataIds()).toBe(dataBefore);
      x.dispose();
    },
  );

  it('keeps the engine copy (and its tape node) inside nested gradients: a second derivative is right', async () => {
    await useBackend('wasm');
    const x = tf.tensor([1, -2, 3]);
    const cube = (v: tf.Tensor): tf.Tensor => tf.mul(tf.mul(v, v), v);
    const second = tf.tidy(() => Array.from(tf.grad(tf.grad(cube))(x).dataSync()));
    expect(second).toEqual([6, -12, 18]);
    x.dispose();
  });
});
