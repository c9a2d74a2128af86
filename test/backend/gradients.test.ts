import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { TRAINING_GRADIENTS } from '../../src/backend/gradients/index.js';
import { setSimdLoopsEnabled } from '../../src/backend/kernels/simd/simd-loops.js';
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

  // Leaky ReLU's gradient: one kernel on wasm, tfjs-core's six elsewhere; same values.
  const LEAKY_SHAPES = [[64, 30, 30, 3], [3, 5, 7, 2], [13], [1, 1]] as const;
  it.each(
    [true, false].flatMap((simd) =>
      LEAKY_SHAPES.flatMap((shape) => [0.2, 0.01, 0].map((alpha) => [simd, shape, alpha] as const)),
    ),
  )(
    'LeakyRelu (SIMD %s) of %j, alpha %s (0: Relu): the same gradient as tfjs-core, bit for bit, in one kernel call',
    async (simd, shape, alpha) => {
      await useBackend('wasm');
      setSimdLoopsEnabled(simd);
      try {
        const random = makeRandom(43);
        const size = shape.reduce((a: number, b: number) => a * b, 1);
        const values = randomValues(random, size, 0.2);
        // The edges: -0, NaN and infinities take dy alpha or dy as tfjs-core gives them.
        const edges = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45];
        edges.forEach((v, i) => {
          if (i < size) values[(i * 7) % size] = v;
        });
        const x = tf.tensor(values, [...shape]);
        const dy = tf.tensor(randomValues(random, size), [...shape]);
        // alpha 0 stands for ReLU: its gradient runs the same kernel with alpha 0.
        const leaky = (input: tf.Tensor): tf.Tensor =>
          alpha === 0 ? tf.relu(input) : tf.leakyRelu(input, alpha);
        const gradient = (): Float32Array =>
          tf.tidy(() => tf.grad(leaky)(x, dy).dataSync() as Float32Array);
        const before = tf.memory().numTensors;
        const profile = await tf.profile(() => {
          gradient();
        });
        const ours = gradient();
        expect(tf.memory().numTensors).toBe(before);
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((n) => n === 'RunnerLeakyReluGrad')).toHaveLength(1);
        expect(names).not.toContain('Select');
        expect(names).not.toContain('Greater');
        expect(names).not.toContain('Step');
        const theirs = withOriginalGradient(alpha === 0 ? 'Relu' : 'LeakyRelu', gradient);
        expect(ours.length).toBe(theirs.length);
        const differing = ours.findIndex((v, i) => !Object.is(v, theirs[i]));
        expect(
          differing,
          `first difference at ${differing}: ${ours[differing]} vs ${theirs[differing]}`,
        ).toBe(-1);
        tf.dispose([x, dy]);
      } finally {
        setSimdLoopsEnabled(true);
      }
    },
  );

  it('LeakyRelu keeps tfjs-core formula on cpu (no runner kernel there)', async () => {
    await useBackend('wasm');
    await useBackend('cpu');
    const x = tf.tensor([-2, -0.5, 0, 0.5, 2]);
    const profile = await tf.profile(() => {
      tf.tidy(() =>
        tf
          .grad((v: tf.Tensor) => tf.leakyRelu(v, 0.1))(x)
          .dataSync(),
      );
    });
    expect(profile.kernels.map((k) => k.name)).toContain('Select');
    const dx = tf.tidy(() =>
      Array.from(
        tf
          .grad((v: tf.Tensor) => tf.leakyRelu(v, 0.1))(x)
          .dataSync(),
      ),
    );
    expect(dx.map((v) => Math.fround(v))).toEqual([0.1, 0.1, 0.1, 1, 1].map(Math.fround));
    x.dispose();
  });
});
