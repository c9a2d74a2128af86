import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WASM_TRAINING_KERNELS } from '../../src/backend/kernels/index.js';
import {
  expectWasmMatchesCpu,
  makeRandom,
  pick,
  randomInt,
  randomValues,
  runKernelOn,
  useBackend,
  type KernelInput,
} from './kernel-check.js';

type PoolPad = 'valid' | 'same' | number;

interface PoolCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly filter: number;
  readonly stride: number;
  readonly pad: PoolPad;
  /** Share of exact zeros in the input: ties, as pooling after a ReLU sees. */
  readonly zeros: number;
}

function poolCases(seed: number, count: number): PoolCase[] {
  const random = makeRandom(seed);
  const cases: PoolCase[] = [
    // The nets we train: LeNet-5's and the tutorial net's pools (batch reduced).
    {
      batch: 4,
      height: 28,
      width: 28,
      channels: 6,
      filter: 2,
      stride: 2,
      pad: 'valid',
      zeros: 0.5,
    },
    { batch: 3, height: 15, width: 15, channels: 16, filter: 2, stride: 2, pad: 'valid', zeros: 0 },
    // Large batches, small images.
    { batch: 256, height: 5, width: 5, channels: 1, filter: 2, stride: 2, pad: 'same', zeros: 0.3 },
    { batch: 64, height: 6, width: 7, channels: 3, filter: 3, stride: 2, pad: 'valid', zeros: 0 },
  ];
  for (let i = 0; i < count; i++) {
    const filter = pick(random, [2, 3]);
    cases.push({
      batch: pick(random, [1, 2, 3, 5]),
      height: randomInt(random, filter, 13),
      width: randomInt(random, filter, 13),
      channels: pick(random, [1, 2, 3, 5, 16, 64]),
      filter,
      stride: pick(random, [1, 2, 2, 3]),
      pad: pick<PoolPad>(random, ['valid', 'same', 1]),
      zeros: pick(random, [0, 0.5]),
    });
  }
  return cases;
}

function describePool(c: PoolCase): string {
  return `[${c.batch},${c.height},${c.width},${c.channels}] pool ${c.filter} stride ${c.stride} pad ${c.pad} zeros ${c.zeros}`;
}

/** The forward pool's output shape, computed by tfjs itself. */
function poolOutputShape(c: PoolCase): number[] {
  return tf.tidy(
    () =>
      tf.maxPool(
        tf.zeros([c.batch, c.height, c.width, c.channels]) as tf.Tensor4D,
        c.filter,
        c.stride,
        c.pad,
      ).shape,
  );
}

describe('runner wasm kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('registers each kernel once, for wasm', () => {
    const names = WASM_TRAINING_KERNELS.map((k) => k.kernelName);
    expect(new Set(names).size).toBe(names.length);
    for (const k of WASM_TRAINING_KERNELS) {
      expect(k.backendName).toBe('wasm');
      expect(tf.getKernel(k.kernelName, 'wasm')?.kernelFunc).toBe(k.kernelFunc);
    }
  });

  it('MaxPoolGrad matches cpu, ties included', async () => {
    const random = makeRandom(11);
    for (const c of poolCases(1, 24)) {
      const inShape = [c.batch, c.height, c.width, c.channels];
      const x = randomValues(
        random,
        inShape.reduce((a, b) => a * b),
        c.zeros,
      );
      await useBackend('cpu');
      const y = tf.tidy(
        () =>
          tf
            .maxPool(
              tf.tensor4d(x, inShape as [number, number, number, number]),
              c.filter,
              c.stride,
              c.pad,
            )
            .dataSync() as Float32Array,
      );
      const outShape = poolOutputShape(c);
      const dy = randomValues(random, y.length);
      await expectWasmMatchesCpu(
        describePool(c),
        'MaxPoolGrad',
        {
          dy: { values: dy, shape: outShape },
          input: { values: x, shape: inShape },
          output: { values: y, shape: outShape },
        },
        { filterSize: c.filter, strides: c.stride, pad: c.pad },
        1e-6,
      );
    }
  });

  it('AvgPoolGrad matches cpu', async () => {
    const random = makeRandom(12);
    for (const c of poolCases(2, 20)) {
      const inShape = [c.batch, c.height, c.width, c.channels];
      const outShape = poolOutputShape(c);
      const dy = randomValues(
        random,
        outShape.reduce((a, b) => a * b),
      );
      const x = randomValues(
        random,
        inShape.reduce((a, b) => a * b),
      );
      await expectWasmMatchesCpu(
        describePool(c),
        'AvgPoolGrad',
        { dy: { values: dy, shape: outShape }, input: { values: x, shape: inShape } },
        { filterSize: c.filter, strides: c.stride, pad: c.pad },
        1e-6,
      );
    }
  });

  it('Tile matches cpu for every rank and dtype', async () => {
    const random = makeRandom(13);
    const cases: { shape: number[]; reps: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
      // Batch-norm's gradient: a channel vector over a whole activation.
      { shape: [1, 1, 1, 16], reps: [128, 15, 15, 1], dtype: 'float32' },
      { shape: [], reps: [], dtype: 'float32' },
      { shape: [3, 0], reps: [2, 2], dtype: 'float32' },
    ];
    for (let i = 0; i < 30; i++) {
      const rank = randomInt(random, 1, 5);
      cases.push({
        shape: Array.from({ length: rank }, () => randomInt(random, 1, 5)),
        reps: Array.from({ length: rank }, () => randomInt(random, 1, 4)),
        dtype: pick(random, ['float32', 'float32', 'int32', 'bool'] as const),
      });
    }
    for (const c of cases) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values =
        c.dtype === 'float32'
          ? randomValues(random, size)
          : Int32Array.from({ length: size }, () =>
              randomInt(random, c.dtype === 'bool' ? 0 : -50, c.dtype === 'bool' ? 1 : 50),
            );
      await expectWasmMatchesCpu(
        `tile ${c.dtype} [${c.shape.join(',')}] by [${c.reps.join(',')}]`,
        'Tile',
        { x: { values, shape: c.shape, dtype: c.dtype } },
        { reps: c.reps },
        0,
      );
    }
  });

  it('BatchMatMul matches cpu with every transpose, batch and broadcast', async () => {
    const random = makeRandom(14);
    const cases: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
      // A dense layer's two gradients at batch 128 (LeNet-5's first dense layer).
      { a: [128, 400], b: [128, 120], transposeA: true, transposeB: false },
      { a: [128, 120], b: [400, 120], transposeA: false, transposeB: true },
    ];
    for (let i = 0; i < 30; i++) {
      const [m, k, n] = [
        randomInt(random, 1, 70),
        randomInt(random, 1, 70),
        randomInt(random, 1, 70),
      ];
      const transposeA = random() < 0.5;
      const transposeB = random() < 0.5;
      const rank = pick(random, [2, 3, 4]);
      const batch =
        rank === 2 ? [] : rank === 3 ? [randomInt(random, 1, 4)] : [2, randomInt(random, 1, 3)];
      // One side sometimes broadcast over the batch.
      const batchA = random() < 0.25 ? batch.map(() => 1) : batch;
      const batchB = random() < 0.25 && batchA.every((d) => d !== 1) ? batch.map(() => 1) : batch;
      cases.push({
        a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
        b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
        transposeA,
        transposeB,
      });
    }
    for (const c of cases) {
      const size = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);
      const inputs: Record<string, KernelInput> = {
        a: { values: randomValues(random, size(c.a)), shape: c.a },
        b: { values: randomValues(random, size(c.b)), shape: c.b },
      };
      await expectWasmMatchesCpu(
        `matMul [${c.a.join(',')}]${c.transposeA ? 'ᵀ' : ''} x [${c.b.join(',')}]${c.transposeB ? 'ᵀ' : ''}`,
        'BatchMatMul',
        inputs,
        { transposeA: c.transposeA, transposeB: c.transposeB },
        1e-5,
      );
    }
  });

  it('UnsortedSegmentSum matches cpu, dropping ids out of range', async () => {
    const random = makeRandom(15);
    for (let i = 0; i < 12; i++) {
      const rows = randomInt(random, 1, 40);
      const rowShape = Array.from({ length: randomInt(random, 0, 2) }, () =>
        randomInt(random, 1, 6),
      );
      const numSegments = randomInt(random, 1, 10);
      const ids = Int32Array.from({ length: rows }, () => randomInt(random, -1, numSegments));
      const xShape = [rows, ...rowShape];
      await expectWasmMatchesCpu(
        `segments of [${xShape.join(',')}] into ${numSegments}`,
        'UnsortedSegmentSum',
        {
          x: {
            values: randomValues(
              random,
              xShape.reduce((a, b) => a * b, 1),
            ),
            shape: xShape,
          },
          segmentIds: { values: ids, shape: [rows], dtype: 'int32' },
        },
        { numSegments },
        1e-6,
      );
    }
  });

  it('runs a transposed product without leaking its temporary operand', async () => {
    const { shape } = await runKernelOn(
      'wasm',
      'BatchMatMul',
      {
        a: { values: new Float32Array(6), shape: [3, 2] },
        b: { values: new Float32Array(12), shape: [4, 3] },
      },
      { transposeA: true, transposeB: true },
    );
    expect(shape).toEqual([2, 4]);
  });
});
