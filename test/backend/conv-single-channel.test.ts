import * as tf from '../../src/tf.js';
import type { NamedAttrMap } from '../../src/tf.js';
import { afterAll, describe, expect, it } from 'vitest';
import { singleChannelConvCalls } from '../../src/backend/kernels/fused-conv2d.js';
import { singleChannelFilterGradientCalls } from '../../src/backend/kernels/single-channel-filter-gradient.js';
import { setSimdLoopsEnabled } from '../../src/backend/kernels/simd/simd-loops.js';
import {
  makeRandom,
  randomValues,
  relativeError,
  runKernelOn,
  useBackend,
  type KernelInput,
} from './kernel-check.js';

// FusedConv2D of one input channel by the runner's direct SIMD convolution
// (kernels/fused-conv2d.ts) against the cpu backend's FusedConv2D, and what
// it leaves to wasm's own kernel.

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  readonly x: readonly [number, number, number, number];
  readonly filter: readonly [number, number, number, number];
  readonly pad: Pad;
  readonly bias: boolean;
  readonly activation: 'linear' | 'relu' | 'elu';
  readonly strides?: number;
}

const HANDLED: Case[] = [
  // LeNet-5's first layer and the tutorial net's (after its PadV2), at their batch
  { x: [32, 28, 28, 1], filter: [5, 5, 1, 6], pad: 'same', bias: true, activation: 'relu' },
  { x: [32, 32, 32, 1], filter: [3, 3, 1, 3], pad: 'valid', bias: true, activation: 'linear' },
  // odd widths, batch 1 and 3, every padding form, other filters, 1-8 channels
  { x: [1, 13, 13, 1], filter: [3, 3, 1, 1], pad: 'same', bias: false, activation: 'linear' },
  { x: [3, 27, 27, 1], filter: [5, 5, 1, 2], pad: 'valid', bias: true, activation: 'relu' },
  { x: [3, 9, 13, 1], filter: [1, 1, 1, 3], pad: 'valid', bias: false, activation: 'relu' },
  { x: [1, 11, 27, 1], filter: [2, 4, 1, 4], pad: 'same', bias: true, activation: 'linear' },
  { x: [3, 13, 10, 1], filter: [3, 3, 1, 5], pad: 1, bias: true, activation: 'relu' },
  {
    x: [3, 12, 13, 1],
    filter: [2, 4, 1, 6],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
    bias: false,
    activation: 'relu',
  },
  { x: [1, 27, 13, 1], filter: [5, 5, 1, 7], pad: 'same', bias: false, activation: 'linear' },
  { x: [3, 8, 8, 1], filter: [3, 3, 1, 8], pad: 'valid', bias: true, activation: 'linear' },
  { x: [1, 5, 3, 1], filter: [5, 3, 1, 8], pad: 'valid', bias: true, activation: 'relu' },
  { x: [3, 7, 6, 1], filter: [1, 1, 1, 8], pad: 'same', bias: false, activation: 'relu' },
  // channels in groups of at most 4 (9: three of 3; 11: 4, 4 and 3; 16: four of 4)
  { x: [3, 9, 13, 1], filter: [3, 3, 1, 9], pad: 'same', bias: true, activation: 'linear' },
  { x: [3, 13, 13, 1], filter: [3, 3, 1, 11], pad: 'same', bias: true, activation: 'relu' },
  { x: [1, 10, 9, 1], filter: [2, 4, 1, 16], pad: 'valid', bias: false, activation: 'linear' },
];

const LEFT_TO_WASM: Case[] = [
  {
    x: [3, 13, 13, 1],
    filter: [3, 3, 1, 4],
    pad: 'same',
    bias: true,
    strides: 2,
    activation: 'relu',
  },
  { x: [3, 13, 13, 2], filter: [3, 3, 2, 4], pad: 'same', bias: true, activation: 'relu' },
  { x: [3, 13, 13, 1], filter: [3, 3, 1, 4], pad: 'valid', bias: true, activation: 'elu' },
];

function describeCase(c: Case): string {
  const pad = typeof c.pad === 'object' ? JSON.stringify(c.pad) : String(c.pad);
  return `x [${c.x.join(',')}] filter [${c.filter.join(',')}] pad ${pad} stride ${c.strides ?? 1} ${c.bias ? 'bias' : 'no bias'} ${c.activation}`;
}

function inputsOf(c: Case, seed: number): Record<string, KernelInput> {
  const random = makeRandom(seed);
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const inputs: Record<string, KernelInput> = {
    x: { values: randomValues(random, size(c.x), 0.1), shape: c.x },
    filter: { values: randomValues(random, size(c.filter)), shape: c.filter },
  };
  // A negative bias puts many outputs below zero, for the ReLU.
  const bias = randomValues(random, c.filter[3]).map((v) => v - 0.3);
  return c.bias ? { ...inputs, bias: { values: bias, shape: [c.filter[3]] } } : inputs;
}

function attrsOf(c: Case): NamedAttrMap {
  return {
    strides: c.strides ?? 1,
    pad: c.pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    activation: c.activation,
  } as unknown as NamedAttrMap;
}

/** The wasm output and how many convolutions the runner's SIMD path computed for it. */
async function runOnWasm(
  c: Case,
  inputs: Record<string, KernelInput>,
): Promise<{ values: ArrayLike<number>; shape: number[]; taken: number }> {
  const before = singleChannelConvCalls();
  const result = await runKernelOn('wasm', 'FusedConv2D', inputs, attrsOf(c));
  return { ...result, taken: singleChannelConvCalls() - before };
}

describe.each([
  ['with the SIMD loops', true],
  ['without the SIMD loops (wasm kernel)', false],
])('FusedConv2D of one input channel %s', (_label, simd) => {
  afterAll(() => setSimdLoopsEnabled(true));

  it.each(HANDLED.map((c, i) => [describeCase(c), c, i] as const))(
    '%s: the cpu backend values',
    async (_name, c, i) => {
      await useBackend('wasm');
      setSimdLoopsEnabled(simd);
      const inputs = inputsOf(c, 1000 + i);
      const reference = await runKernelOn('cpu', 'FusedConv2D', inputs, attrsOf(c));
      const ours = await runOnWasm(c, inputs);
      expect(ours.taken).toBe(simd ? 1 : 0);
      expect(ours.shape).toEqual(reference.shape);
      expect(relativeError(ours.values, reference.values)).toBeLessThan(1e-5);
      if (c.activation === 'relu') {
        expect(Array.from(reference.values).filter((v) => v === 0).length).toBeGreaterThan(0);
      }
    },
  );

  it.each(LEFT_TO_WASM.map((c, i) => [describeCase(c), c, i] as const))(
    '%s: left to the wasm kernel, the cpu backend values',
    async (_name, c, i) => {
      await useBackend('wasm');
      setSimdLoopsEnabled(simd);
      const inputs = inputsOf(c, 2000 + i);
      const reference = await runKernelOn('cpu', 'FusedConv2D', inputs, attrsOf(c));
      const ours = await runOnWasm(c, inputs);
      expect(ours.taken).toBe(0);
      expect(ours.shape).toEqual(reference.shape);
      expect(relativeError(ours.values, reference.values)).toBeLessThan(1e-5);
    },
  );
});

// The filter gradient of the same convolutions (Conv2DBackpropFilter) by the
// runner's direct SIMD loop (kernels/single-channel-filter-gradient.ts).

const GRADIENT_HANDLED: Case[] = [
  ...HANDLED.filter((c) => c.filter[3] <= 8),
  // 7 wide, 5-8 channels: 14 accumulators a filter row, more than a pass keeps
  { x: [3, 13, 13, 1], filter: [3, 7, 1, 4], pad: 'same', bias: false, activation: 'linear' },
];

const GRADIENT_LEFT_TO_IM2COL: Case[] = [
  ...LEFT_TO_WASM.filter((c) => c.activation !== 'elu'),
  { x: [3, 13, 13, 1], filter: [3, 3, 1, 9], pad: 'same', bias: false, activation: 'linear' },
  { x: [3, 13, 13, 1], filter: [3, 7, 1, 5], pad: 'same', bias: false, activation: 'linear' },
];

function gradientInputsOf(c: Case, seed: number): Record<string, KernelInput> {
  const random = makeRandom(seed);
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const info = tf.backend_util.computeConv2DInfo(
    [...c.x] as [number, number, number, number],
    [...c.filter] as [number, number, number, number],
    c.strides ?? 1,
    1,
    c.pad,
  );
  return {
    x: { values: randomValues(random, size(c.x), 0.1), shape: c.x },
    dy: { values: randomValues(random, size(info.outShape), 0.3), shape: info.outShape },
  };
}

function gradientAttrsOf(c: Case): NamedAttrMap {
  return {
    strides: c.strides ?? 1,
    pad: c.pad,
    dataFormat: 'NHWC',
    filterShape: [...c.filter],
  } as unknown as NamedAttrMap;
}

describe.each([
  ['with the SIMD loops', true],
  ['without the SIMD loops (im2col)', false],
])('Conv2DBackpropFilter of one input channel %s', (_label, simd) => {
  afterAll(() => setSimdLoopsEnabled(true));

  const check = async (c: Case, seed: number, taken: number): Promise<void> => {
    await useBackend('wasm');
    setSimdLoopsEnabled(simd);
    const inputs = gradientInputsOf(c, seed);
    const attrs = gradientAttrsOf(c);
    const reference = await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs);
    const before = singleChannelFilterGradientCalls();
    const ours = await runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    expect(singleChannelFilterGradientCalls() - before).toBe(taken);
    expect(ours.shape).toEqual(reference.shape);
    expect(relativeError(ours.values, reference.values)).toBeLessThan(1e-5);
  };

  it.each(GRADIENT_HANDLED.map((c, i) => [describeCase(c), c, i] as const))(
    '%s: the cpu backend values',
    async (_name, c, i) => check(c, 3000 + i, simd ? 1 : 0),
  );

  it.each(GRADIENT_LEFT_TO_IM2COL.map((c, i) => [describeCase(c), c, i] as const))(
    '%s: left to the im2col kernel, the cpu backend values',
    async (_name, c, i) => check(c, 4000 + i, 0),
  );
});
