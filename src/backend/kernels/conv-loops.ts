import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { encodeModule, I32, op, V128, type FunctionSpec } from './simd/wasm-encoder.js';

/**
 * The conv gradient kernels' inner loops in WebAssembly, run in place on the
 * wasm backend's own memory (imported): two with SIMD, four floats per
 * instruction, and a scalar strided copy. None is an XNNPACK operator, and
 * in JavaScript they run at 1-2 ns per value. Addresses and steps are in
 * bytes; a vector is 4 floats.
 */
export interface ConvLoops {
  /**
   * for v in [0, vectors): acc[v] += sum over i in [0, count) of x[i*xStep + v] * dy[i*dyStep + v]
   * (the depthwise filter gradient of one row of output pixels, one filter tap).
   */
  rowDot(
    acc: number,
    x: number,
    xStep: number,
    dy: number,
    dyStep: number,
    count: number,
    vectors: number,
  ): void;
  /**
   * for i in [0, count): dst[i*dstStep + j] += src[i*srcStep + j] for the
   * first 4 * vectors + tail floats j (col2im: one row of patches added into
   * the image, one filter tap; the tail is added one float at a time).
   */
  rowAdd(
    dst: number,
    dstStep: number,
    src: number,
    srcStep: number,
    count: number,
    vectors: number,
    tail: number,
  ): void;
  /**
   * for r in [0, rows), c in [0, columns): dst[r*dstRowStep + 4c] = src[r*srcRowStep + c*srcColumnStep]
   * (im2col: one channel of one filter tap over a rectangle of output pixels).
   */
  gather(
    dst: number,
    dstRowStep: number,
    src: number,
    srcRowStep: number,
    srcColumnStep: number,
    rows: number,
    columns: number,
  ): void;
  /**
   * for r in [0, 4), j in [0, 8): acc[8r + j] = sum over i in [0, count) of
   * a_r[i] * b[i*bStep + j], with a_r = a + r*aRow (the filter gradient's
   * product of four rows of patches [K, P] with eight columns of dy [P, co],
   * no packing; columns past co read the next pixel's values and are dropped).
   */
  outer4x8(acc: number, a: number, aRow: number, b: number, bStep: number, count: number): void;
}

export type RowDot = ConvLoops['rowDot'];
export type Outer4x8 = ConvLoops['outer4x8'];
export type RowAdd = ConvLoops['rowAdd'];
export type Gather = ConvLoops['gather'];

/** Scalar float load and store, alignment hint 4 bytes, no offset. */
const F32_LOAD = [0x2a, 0x02, 0x00];
const F32_STORE = [0x38, 0x02, 0x00];
const F32_ADD = [0x92];

/** `local += by` (by: bytes or an instruction sequence). */
const bump = (local: number, by: number | readonly number[]): number[] => [
  ...op.get(local),
  ...(typeof by === 'number' ? op.i32(by) : by),
  ...op.i32Add,
  ...op.set(local),
];

/** `body` repeated `counter` times (counting the local down to zero), skipped when it is zero. */
const repeat = (counter: number, body: readonly number[]): number[] => [
  ...op.block,
  ...[...op.get(counter), ...op.i32Eqz, ...op.brIf(0)],
  ...op.loop,
  ...body,
  ...[...op.get(counter), ...op.i32(1), ...op.i32Sub, ...op.tee(counter), ...op.brIf(0)],
  ...op.end,
  ...op.end,
];

const FUNCTIONS: readonly FunctionSpec[] = [
  {
    // (acc 0, x 1, xStep 2, dy 3, dyStep 4, count 5, vectors 6) locals: 7 i, 8 xp, 9 dp, 10 sum
    name: 'rowDot',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, V128],
    body: [
      repeat(6, [
        ...[...op.get(1), ...op.set(8), ...op.get(3), ...op.set(9), ...op.get(5), ...op.set(7)],
        ...[...op.get(0), ...op.v128Load(), ...op.set(10)],
        ...repeat(7, [
          ...[...op.get(10), ...op.get(8), ...op.v128Load(), ...op.get(9), ...op.v128Load()],
          ...[...op.f32x4Mul, ...op.f32x4Add, ...op.set(10)],
          ...bump(8, op.get(2)),
          ...bump(9, op.get(4)),
        ]),
        ...[...op.get(0), ...op.get(10), ...op.v128Store()],
        ...bump(0, 16),
        ...bump(1, 16),
        ...bump(3, 16),
      ]),
    ],
  },
  {
    // (dst 0, dstStep 1, src 2, srcStep 3, count 4, vectors 5, tail 6) locals: 7 v, 8 dp, 9 sp, 10 t
    name: 'rowAdd',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32],
    body: [
      repeat(4, [
        ...[...op.get(5), ...op.set(7), ...op.get(0), ...op.set(8), ...op.get(2), ...op.set(9)],
        ...repeat(7, [
          ...[...op.get(8), ...op.get(8), ...op.v128Load(), ...op.get(9), ...op.v128Load()],
          ...[...op.f32x4Add, ...op.v128Store()],
          ...bump(8, 16),
          ...bump(9, 16),
        ]),
        ...[...op.get(6), ...op.set(10)],
        ...repeat(10, [
          ...[...op.get(8), ...op.get(8), ...F32_LOAD, ...op.get(9), ...F32_LOAD],
          ...[...F32_ADD, ...F32_STORE],
          ...bump(8, 4),
          ...bump(9, 4),
        ]),
        ...bump(0, op.get(1)),
        ...bump(2, op.get(3)),
      ]),
    ],
  },
  {
    // (dst 0, dstRowStep 1, src 2, srcRowStep 3, srcColumnStep 4, rows 5, columns 6) locals: 7 c, 8 dp, 9 sp
    name: 'gather',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32],
    body: [
      repeat(5, [
        ...[...op.get(6), ...op.set(7), ...op.get(0), ...op.set(8), ...op.get(2), ...op.set(9)],
        ...repeat(7, [
          ...[...op.get(8), ...op.get(9), ...F32_LOAD, ...F32_STORE],
          ...bump(8, 4),
          ...bump(9, op.get(4)),
        ]),
        ...bump(0, op.get(1)),
        ...bump(2, op.get(3)),
      ]),
    ],
  },
];

// (acc 0, a 1, aRow 2, b 3, bStep 4, count 5) locals: 6-8 rows 1-3, 9-16 sums, 17-18 b, 19 splat
const OUTER_4X8: FunctionSpec = {
  name: 'outer4x8',
  params: [I32, I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, ...new Array<number>(11).fill(V128)],
  body: [
    ...[...op.get(1), ...op.get(2), ...op.i32Add, ...op.set(6)],
    ...[...op.get(6), ...op.get(2), ...op.i32Add, ...op.set(7)],
    ...[...op.get(7), ...op.get(2), ...op.i32Add, ...op.set(8)],
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [
      ...op.v128Const(new Array<number>(16).fill(0)),
      ...op.set(9 + k),
    ]),
    repeat(5, [
      ...[
        ...op.get(3),
        ...op.v128Load(),
        ...op.set(17),
        ...op.get(3),
        ...op.v128Load(16),
        ...op.set(18),
      ],
      ...[1, 6, 7, 8].flatMap((row, r) => [
        ...[...op.get(row), ...op.v128Load32Splat(), ...op.set(19)],
        ...[
          ...op.get(9 + 2 * r),
          ...op.get(19),
          ...op.get(17),
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...op.set(9 + 2 * r),
        ],
        ...[
          ...op.get(10 + 2 * r),
          ...op.get(19),
          ...op.get(18),
          ...op.f32x4Mul,
          ...op.f32x4Add,
          ...op.set(10 + 2 * r),
        ],
        ...bump(row, 4),
      ]),
      ...bump(3, op.get(4)),
    ]),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [
      ...op.get(0),
      ...op.get(9 + k),
      ...op.v128Store(16 * k),
    ]),
  ],
};

const instances = new WeakMap<WebAssembly.Memory, ConvLoops | null>();

/**
 * The {@link ConvLoops} bound to `backend`'s memory, or `null` where they
 * cannot run (no WebAssembly SIMD, or a tfjs-wasm build that does not
 * expose its memory); callers then use their JavaScript loops.
 */
export function convLoopsFor(backend: BackendWasm): ConvLoops | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let rows = instances.get(memory);
  if (rows === undefined) {
    rows = instantiate(memory);
    instances.set(memory, rows);
  }
  return rows;
}

function instantiate(memory: WebAssembly.Memory): ConvLoops | null {
  const bytes = encodeModule([...FUNCTIONS, OUTER_4X8]);
  if (!WebAssembly.validate(bytes)) return null;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return instance.exports as unknown as ConvLoops;
  } catch {
    // A memory this module cannot import (e.g. shared): the JavaScript loops run instead.
    return null;
  }
}
