import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { conv2dBiasActivation, type FusedConvActivation } from '../../src/backend/fused-ops.js';
import { fusedConvolution } from '../../src/model/layers/conv-bias-activation.js';
import { makeRandom, randomValues, relativeError, useBackend } from './kernel-check.js';

// The runner's conv + bias + activation op (one FusedConv2D call, its own
// lazy gradient) on wasm, against tfjs's own `fused.conv2d` and its gradient
// on the cpu backend.

interface Case {
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: [number, number];
  readonly pad: 'valid' | 'same';
  readonly bias: boolean;
  readonly activation: FusedConvActivation;
}

const CASES: Case[] = [
  // the tutorial net's first layer (after its padding) and LeNet-5's two
  {
    x: [8, 32, 32, 1],
    filter: [3, 3, 1, 3],
    strides: [1, 1],
    pad: 'valid',
    bias: true,
    activation: 'linear',
  },
  {
    x: [8, 28, 28, 1],
    filter: [5, 5, 1, 6],
    strides: [1, 1],
    pad: 'same',
    bias: true,
    activation: 'relu',
  },
  {
    x: [8, 14, 14, 6],
    filter: [5, 5, 6, 16],
    strides: [1, 1],
    pad: 'valid',
    bias: true,
    activation: 'relu',
  },
  {
    x: [5, 9, 9, 16],
    filter: [3, 3, 16, 32],
    strides: [1, 1],
    pad: 'valid',
    bias: true,
    activation: 'linear',
  },
  {
    x: [3, 11, 10, 3],
    filter: [3, 2, 3, 5],
    strides: [2, 1],
    pad: 'same',
    bias: false,
    activation: 'relu',
  },
  {
    x: [4, 13, 13, 7],
    filter: [3, 3, 7, 4],
    strides: [2, 2],
    pad: 'valid',
    bias: false,
    activation: 'linear',
  },
];

interface Values {
  readonly y: Float32Array;
  readonly dx: Float32Array;
  readonly dFilter: Float32Array;
  readonly dBias: Float32Array | undefined;
  readonly kernels: string[];
}

/** y and the gradients of sum(y * w) on `backend`: the runner's op (wasm) or tfjs's fused.conv2d (cpu). */
async function run(backend: 'cpu' | 'wasm', c: Case, seed: number): Promise<Values> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const random = makeRandom(seed);
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  // A quarter of the inputs exactly 0 and a negative bias: many outputs at or below 0 for the ReLU.
  const x = tf.tensor4d(randomValues(random, size(c.x), 0.25), c.x);
  const filter = tf.tensor4d(randomValues(random, size(c.filter)), c.filter);
  const bias = c.bias ? tf.tensor1d(randomValues(random, c.filter[3]).map((v) => v - 0.3)) : null;
  const conv = (xs: tf.Tensor4D, fs: tf.Tensor4D, b: tf.Tensor1D | null): tf.Tensor4D => {
    if (backend === 'cpu') {
      return tf.fused.conv2d({
        x: xs,
        filter: fs,
        strides: c.strides,
        pad: c.pad,
        ...(b === null ? {} : { bias: b }),
        activation: c.activation,
      });
    }
    const y = conv2dBiasActivation(xs, fs, b, c.strides, c.pad, c.activation);
    if (y === undefined) throw new Error('the fused conv op is not available on wasm');
    return y;
  };
  const y = tf.tidy(() => conv(x, filter, bias));
  const w = tf.tensor(randomValues(random, y.size), y.shape);
  const inputs = bias === null ? [x, filter] : [x, filter, bias];
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = tf.grads((...a: tf.Tensor[]) =>
      tf.sum(
        tf.mul(
          conv(a[0] as tf.Tensor4D, a[1] as tf.Tensor4D, (a[2] as tf.Tensor1D | undefined) ?? null),
          w,
        ),
      ),
    )(inputs);
  });
  const values: Values = {
    y: y.dataSync() as Float32Array,
    dx: grads[0]!.dataSync() as Float32Array,
    dFilter: grads[1]!.dataSync() as Float32Array,
    dBias: grads[2]?.dataSync() as Float32Array | undefined,
    kernels: profile.kernels.map((k) => k.name),
  };
  tf.dispose([x, filter, y, w, ...grads]);
  if (bias !== null) bias.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

describe('conv + bias + activation in one kernel (wasm) against tfjs fused.conv2d (cpu)', () => {
  it.each(CASES.map((c, i) => [i, c] as const))(
    'case %i %j: same output and gradients, one FusedConv2D call forward',
    async (i, c) => {
      const ours = await run('wasm', c, 100 + i);
      const theirs = await run('cpu', c, 100 + i);
      expect(relativeError(ours.y, theirs.y)).toBeLessThan(1e-5);
      expect(relativeError(ours.dx, theirs.dx)).toBeLessThan(1e-5);
      expect(relativeError(ours.dFilter, theirs.dFilter)).toBeLessThan(1e-5);
      if (c.bias) expect(relativeError(ours.dBias!, theirs.dBias!)).toBeLessThan(1e-5);
      else expect(ours.dBias).toBeUndefined();
      const forward = ours.kernels.filter((k) =>
        ['FusedConv2D', 'Conv2D', 'Add', 'Relu'].includes(k),
      );
      expect(forward).toEqual(['FusedConv2D']);
      expect(ours.kernels.filter((k) => k === 'Conv2DBackpropInput')).toHaveLength(1);
      expect(ours.kernels.filter((k) => k === 'Conv2DBackpropFilter')).toHaveLength(1);
    },
  );

  it('computes no input gradient for a layer fed by data, and the same weight gradients as tfjs', async () => {
    const gradients = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const random = makeRandom(7);
      const layer = fusedConvolution(
        tf.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          padding: 'same',
          kernelInitializer: 'glorotUniform',
        }),
      );
      const x = tf.tensor4d(randomValues(random, 6 * 12 * 12 * 2), [6, 12, 12, 2]);
      layer.build(x.shape);
      layer.setWeights([
        tf.tensor4d(randomValues(random, 3 * 3 * 2 * 4), [3, 3, 2, 4]),
        tf.tensor1d(randomValues(random, 4)),
      ]);
      const variables = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      let result: { values: Float32Array[]; kernels: string[] } = { values: [], kernels: [] };
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          variables,
        );
        result.values = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
        tf.dispose([value, ...Object.values(grads)]);
      });
      result = { ...result, kernels: profile.kernels.map((k) => k.name) };
      tf.dispose([x, ...layer.getWeights()]);
      return result;
    };
    const ours = await gradients('wasm');
    const theirs = await gradients('cpu');
    expect(ours.kernels).toContain('Conv2DBackpropFilter');
    expect(ours.kernels).not.toContain('Conv2DBackpropInput');
    expect(ours.kernels.filter((k) => ['Conv2D', 'Add', 'Relu'].includes(k))).toEqual([]);
    expect(ours.values).toHaveLength(2);
    for (let i = 0; i < 2; i++)
      expect(relativeError(ours.values[i]!, theirs.values[i]!)).toBeLessThan(1e-5);
  });

  it('leaves other backends, dilations and activations to tfjs', async () => {
    await useBackend('cpu');
    const x = tf.zeros([1, 5, 5, 1]) as tf.Tensor4D;
    const f = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    expect(conv2dBiasActivation(x, f, null, [1, 1], 'valid', 'linear')).toBeUndefined();
    tf.dispose([x, f]);
    await useBackend('wasm');
    const layer = fusedConvolution(
      tf.layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: 2, activation: 'elu' }),
    );
    const input = tf.ones([1, 7, 7, 1]);
    const profile = await tf.profile(() => layer.apply(input) as tf.Tensor);
    // tfjs's own op (its scope is in the profile), not the runner's kernel call
    expect(profile.kernels.map((k) => k.name)).toContain('fusedConv2d__op');
    tf.dispose([input, ...layer.getWeights()]);
  });
});
