import * as tf from '../../src/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASM_TRAINING_KERNELS } from '../../src/backend/kernels/index.js';
import { matMulWasm } from '../../src/backend/kernels/wasm-matmul.js';
import { productByOuterLoops } from '../../src/backend/kernels/batch-mat-mul.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  describeLoops,
  setSimdLoopsEnabled,
  simdLoopsFor,
} from '../../src/backend/kernels/simd/simd-loops.js';
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

// Every kernel with its SIMD loops and with the JavaScript loops that run where SIMD is missing.
describe.each([
  ['SIMD loops', true],
  ['JavaScript loops', false],
])('runner wasm kernels with %s', (_loops, simd) => {
  beforeAll(async () => {
    await useBackend('wasm');
    setSimdLoopsEnabled(simd);
  });
  afterAll(() => setSimdLoopsEnabled(true));

  it(simd ? 'has the SIMD module loaded' : 'runs without the SIMD module', () => {
    // Without this, a SIMD module that failed to load would pass the SIMD half on the JS loops.
    const backend = tf.findBackend('wasm') as BackendWasm;
    expect(simdLoopsFor(backend) !== null).toBe(simd);
    expect(describeLoops(backend)).toBe(simd ? 'SIMD loops' : 'JavaScript loops (SIMD turned off)');
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

  it("BatchMatMul's outer loops give XNNPACK's products bit for bit", async () => {
    await useBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const random = makeRandom(24);
    // LeNet-5's dense layers forward at batch 32, shapes with row and column remainders.
    for (const [m, k, n] of [
      [32, 400, 120],
      [32, 120, 84],
      [7, 13, 9],
      [3, 50, 17],
    ] as const) {
      const a = tf.tensor2d(randomValues(random, m * k), [m, k]);
      const b = tf.tensor2d(randomValues(random, k * n), [k, n]);
      const info = (t: tf.Tensor) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
      // These shapes take the outer loops (not XNNPACK), and the kernel gives their product.
      const product = backend.makeOutput([1, m, n], 'float32');
      expect(productByOuterLoops(backend, info(a), info(b), product, 1, 1, m, k, n)).toBe(true);
      const outer = Array.from(backend.typedArrayFromHeap(product) as Float32Array);
      backend.disposeData(product.dataId);
      const ours = tf.engine().runKernel('BatchMatMul', { a, b }, {}) as tf.Tensor;
      expect(Array.from(ours.dataSync())).toEqual(outer);
      const xnn = matMulWasm(backend, info(a), info(b), m, k, n);
      const expected = Array.from(backend.typedArrayFromHeap(xnn) as Float32Array);
      backend.disposeData(xnn.dataId);
      expect(outer.findIndex((v, i) => !Object.is(v, expected[i]))).toBe(-1);
      tf.dispose([a, b, ours]);
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

  it.each(['Add', 'Sub', 'Multiply', 'RealDiv'])(
    '%s matches cpu, per-channel vectors on either side included',
    async (kernel) => {
      const random = makeRandom(16);
      const cases: { a: number[]; b: number[] }[] = [
        // Batch-norm's shapes, both orders and both vector forms.
        { a: [128, 30, 30, 3], b: [3] },
        { a: [1, 1, 1, 16], b: [8, 15, 15, 16] },
        { a: [32], b: [6, 7, 7, 32] },
        { a: [5, 7, 1], b: [1] },
        // Shapes that go to wasm's own kernel: same shape, rows, scalars, odd row counts.
        { a: [4, 5], b: [4, 5] },
        { a: [6, 1], b: [6, 9] },
        { a: [3, 4], b: [] },
        { a: [13, 3], b: [3] },
        { a: [1, 3], b: [3] },
      ];
      for (let i = 0; i < 10; i++) {
        const channels = randomInt(random, 1, 40);
        const full = [randomInt(random, 1, 9), randomInt(random, 1, 9), channels];
        const vector = random() < 0.5 ? [channels] : [1, 1, channels];
        cases.push(random() < 0.5 ? { a: full, b: vector } : { a: vector, b: full });
      }
      if (kernel !== 'RealDiv') {
        await expectWasmMatchesCpu(
          `${kernel} int32`,
          kernel,
          {
            a: {
              values: Int32Array.from({ length: 12 }, (_, i) => i * 7 - 40),
              shape: [3, 4],
              dtype: 'int32',
            },
            b: { values: Int32Array.of(3, -2, 5, 1), shape: [4], dtype: 'int32' },
          },
          {},
          0,
        );
      }
      for (const c of cases) {
        const size = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);
        // Keep divisors away from zero so that RealDiv compares finite values.
        const b = randomValues(random, size(c.b)).map((v) =>
          kernel === 'RealDiv' ? v + Math.sign(v || 1) * 0.5 : v,
        );
        await expectWasmMatchesCpu(
          `${kernel} [${c.a.join(',')}] and [${c.b.join(',')}]`,
          kernel,
          {
            a: { values: randomValues(random, size(c.a)), shape: c.a },
            b: { values: b, shape: c.b },
          },
          {},
          1e-6,
        );
      }
    },
  );

  it.each(['Sum', 'Mean'])('%s matches cpu over leading and other axes', async (kernel) => {
    const random = makeRandom(17);
    const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
      { shape: [128, 15, 15, 16], axis: [0, 1, 2], keepDims: false },
      { shape: [64, 30, 30, 3], axis: [0, 1, 2], keepDims: true },
      { shape: [128, 10], axis: 0, keepDims: false },
      { shape: [7, 5, 3], axis: [1, 0], keepDims: true },
      { shape: [9, 1300], axis: 0, keepDims: false },
      { shape: [4, 6], axis: [0, 1], keepDims: false },
      // Not leading: wasm's own kernel.
      { shape: [4, 6, 5], axis: [1, 2], keepDims: false },
      { shape: [4, 6], axis: -1, keepDims: true },
      { shape: [1, 6], axis: 0, keepDims: false },
    ];
    for (const c of cases) {
      await expectWasmMatchesCpu(
        `${kernel} of [${c.shape.join(',')}] over ${JSON.stringify(c.axis)}`,
        kernel,
        {
          x: {
            values: randomValues(
              random,
              c.shape.reduce((x, y) => x * y, 1),
            ),
            shape: c.shape,
          },
        },
        { axis: c.axis, keepDims: c.keepDims },
        1e-5,
      );
    }
  });

  it('LeakyRelu, Greater and Select match cpu, signed zeros, NaN and infinities included', async () => {
    const random = makeRandom(18);
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40];
    const values = randomValues(random, 6 * 7 * 5);
    special.forEach((v, i) => (values[i * 11] = v));
    const shape = [6, 7, 5];
    for (const alpha of [0.2, 0, 1.5]) {
      await expectWasmMatchesCpu(
        `leakyRelu alpha ${alpha}`,
        'LeakyRelu',
        { x: { values, shape } },
        { alpha },
        0,
      );
    }
    for (const limit of [0, 0.25, NaN]) {
      await expectWasmMatchesCpu(
        `greater than ${limit}`,
        'Greater',
        { a: { values, shape }, b: { values: Float32Array.of(limit), shape: [] } },
        {},
        0,
      );
    }
    const ints = Int32Array.from({ length: 30 }, () => randomInt(random, -5, 5));
    await expectWasmMatchesCpu(
      'greater int32',
      'Greater',
      {
        a: { values: ints, shape: [30], dtype: 'int32' },
        b: { values: Int32Array.of(1), shape: [1], dtype: 'int32' },
      },
      {},
      0,
    );
    const condition = Int32Array.from({ length: values.length }, () => (random() < 0.5 ? 1 : 0));
    await expectWasmMatchesCpu(
      'select',
      'Select',
      {
        condition: { values: condition, shape, dtype: 'bool' },
        t: { values, shape },
        e: { values: randomValues(random, values.length), shape },
      },
      {},
      0,
    );
    // A row condition goes to wasm's own kernel.
    await expectWasmMatchesCpu(
      'select rows',
      'Select',
      {
        condition: { values: Int32Array.of(1, 0, 1, 1, 0, 0), shape: [6], dtype: 'bool' },
        t: { values, shape },
        e: { values: randomValues(random, values.length), shape },
      },
      {},
      0,
    );
  });

  it('FusedBatchNorm matches cpu with per-channel and missing parameters', async () => {
    const random = makeRandom(19);
    for (const [shape, withScale, withOffset] of [
      [[8, 30, 30, 3], true, true],
      [[4, 5, 5, 16], false, true],
      [[3, 7, 32], true, false],
    ] as const) {
      const channels = shape[shape.length - 1] ?? 1;
      const vector = (): KernelInput => ({
        values: randomValues(random, channels),
        shape: [channels],
      });
      const variance = {
        values: randomValues(random, channels).map((v) => Math.abs(v) + 0.1),
        shape: [channels],
      };
      const inputs: Record<string, KernelInput> = {
        x: {
          values: randomValues(
            random,
            shape.reduce((a, b) => a * b, 1),
          ).map((v) => v * 10 + 3),
          shape,
        },
        mean: vector(),
        variance,
        ...(withScale ? { scale: vector() } : {}),
        ...(withOffset ? { offset: vector() } : {}),
      };
      await expectWasmMatchesCpu(
        `batchNorm [${shape.join(',')}]`,
        'FusedBatchNorm',
        inputs,
        { varianceEpsilon: 1e-3 },
        1e-6,
      );
    }
  });

  it('PadV2 and Slice match cpu for every rank and dtype', async () => {
    const random = makeRandom(20);
    for (let i = 0; i < 25; i++) {
      const rank = randomInt(random, 1, 5);
      const shape = Array.from({ length: rank }, () => randomInt(random, 1, 6));
      const size = shape.reduce((a, b) => a * b, 1);
      const dtype = pick(random, ['float32', 'float32', 'int32', 'bool'] as const);
      const values =
        dtype === 'float32'
          ? randomValues(random, size)
          : Int32Array.from({ length: size }, () =>
              randomInt(random, 0, dtype === 'bool' ? 1 : 99),
            );
      const paddings = shape.map(() => [randomInt(random, 0, 2), randomInt(random, 0, 2)]);
      await expectWasmMatchesCpu(
        `pad [${shape.join(',')}] ${dtype} by ${JSON.stringify(paddings)}`,
        'PadV2',
        { x: { values, shape, dtype } },
        { paddings, constantValue: dtype === 'bool' ? 0 : pick(random, [0, 1.5]) },
        0,
      );
      const begin = shape.map((d) => randomInt(random, 0, d - 1));
      const sliceSize = shape.map((d, j) =>
        random() < 0.2 ? -1 : randomInt(random, 0, d - (begin[j] ?? 0)),
      );
      await expectWasmMatchesCpu(
        `slice [${shape.join(',')}] ${dtype} at [${begin.join(',')}] size [${sliceSize.join(',')}]`,
        'Slice',
        { x: { values, shape, dtype } },
        { begin, size: sliceSize },
        0,
      );
    }
    // The tutorial net's padding and its gradient.
    const image = randomValues(random, 8 * 28 * 28);
    await expectWasmMatchesCpu(
      'pad a batch of images',
      'PadV2',
      { x: { values: image, shape: [8, 28, 28, 1] } },
      {
        paddings: [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ],
        constantValue: 0,
      },
      0,
    );
  });

  it('Identity shares its input and leaks nothing', async () => {
    const random = makeRandom(22);
    await expectWasmMatchesCpu(
      'identity',
      'Identity',
      { x: { values: randomValues(random, 12), shape: [3, 4] } },
      {},
      0,
    );
    await useBackend('wasm');
    const x = tf.tensor([1, 2, 3]);
    const y = tf.engine().runKernel('Identity', { x }, {}) as tf.Tensor;
    x.dispose();
    expect(await y.data()).toEqual(Float32Array.of(1, 2, 3));
    y.dispose();
  });

  it('Cast to the same dtype shares its input, real conversions match cpu', async () => {
    const random = makeRandom(23);
    for (const dtype of ['float32', 'int32'] as const) {
      await expectWasmMatchesCpu(
        `cast to ${dtype}`,
        'Cast',
        { x: { values: randomValues(random, 12).map((v) => v * 5), shape: [3, 4] } },
        { dtype },
        0,
      );
    }
    await useBackend('wasm');
    const backend = tf.backend() as unknown as { refCount(dataId: object): number };
    const x = tf.tensor([1.5, -2, 3]);
    const y = tf.engine().runKernel('Cast', { x }, { dtype: 'float32' }) as tf.Tensor;
    expect(y.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    const z = tf.engine().runKernel('Cast', { x }, { dtype: 'int32' }) as tf.Tensor;
    expect(z.dataId).not.toBe(x.dataId);
    x.dispose();
    expect(await y.data()).toEqual(Float32Array.of(1.5, -2, 3));
    expect(await z.data()).toEqual(Int32Array.of(1, -2, 3));
    tf.dispose([y, z]);
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
