import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ADAM_FUNCTIONS, type AdamSimdLoop } from './adam-function.js';
import { BATCH_NORM_FUNCTIONS, type BatchNormSimdLoops } from './batch-norm-functions.js';
import { WEIGHTED_SUM_FUNCTIONS, type WeightedSumSimdLoops } from './weighted-sum-functions.js';
import {
  bump,
  JOIN_LOW_HALVES,
  MINUS_INFINITY,
  NAN,
  ONE,
  repeat,
  UPPER_HALF,
  ZERO,
} from './loop-builders.js';
import { encodeModule, F32, F64, I32, op, V128, type FunctionSpec } from './wasm-encoder.js';

/**
 * The runner's elementwise and reduction loops in WebAssembly SIMD, four
 * floats per instruction, run on tensors in place in the wasm backend's own
 * memory (the module imports it). JavaScript loops over that memory run at
 * 0.5-1 ns per value; these at a fraction of that. Each returns false when
 * SIMD is not available (then the caller runs its JavaScript loop), so
 * results never depend on it: the loops compute the same values bit for bit.
 *
 * Arguments are byte offsets into the wasm memory and counts of 4- or
 * 16-value groups; the caller handles any remainder.
 */
export interface SimdLoops extends BatchNormSimdLoops, AdamSimdLoop, WeightedSumSimdLoops {
  /** y = x < 0 ? alpha x : x, `groups` of 4 floats. */
  leakyRelu(x: number, y: number, groups: number, alpha: number): void;
  /** dx = x > 0 ? dy : dy alpha (float32 product), `groups` of 4 floats. */
  leakyReluGrad(x: number, dy: number, dx: number, groups: number, alpha: number): void;
  /** ReLU's gradient, dx = dy (x > 0 ? 1 : x is NaN ? NaN : 0) (float32 product), `groups` of 4. */
  reluGrad(x: number, dy: number, dx: number, groups: number): void;
  /** out[i] = x[i] > limit ? 1 : 0 as bytes, `groups` of 16 floats. */
  greaterThan(x: number, out: number, groups: number, limit: number): void;
  /** out = condition ? t : e, bytes of condition, `groups` of 4 floats. */
  select(condition: number, t: number, e: number, out: number, groups: number): void;
  /** running[j] += x[b * 4 * blockGroups + j] for every block b; running holds float64. */
  addBlocks(x: number, blocks: number, blockGroups: number, running: number): void;
  /**
   * MaxPoolGrad of 2x2, stride-2 windows, 4 channels per group, for `rows`
   * output rows of `windows` windows: x at the first window's first value,
   * y and dy at its outputs, dx = x + dxDelta; `channelBytes` is one input
   * column, `rowBytes` one input row. After its `channelGroups` groups, a
   * window moves x on by `xSkip` more bytes and y and dy by `ySkip`
   * (channelBytes and 0 when the groups cover all channels); after a row of
   * windows, x moves on by `xRowSkip` (to the next pair of input rows).
   */
  maxPoolGrad2x2Rows(
    x: number,
    y: number,
    dy: number,
    dxDelta: number,
    rows: number,
    windows: number,
    channelGroups: number,
    channelBytes: number,
    rowBytes: number,
    xSkip: number,
    ySkip: number,
    xRowSkip: number,
  ): void;
}

/**
 * maxPoolGrad2x2Rows: for each of `rows` output rows, for each of `windows`
 * windows, for each of `channelGroups` groups of 4 channels, the gradient
 * of one 2x2 window (see SimdLoops.maxPoolGrad2x2Rows).
 */
function maxPoolGrad2x2Rows(): FunctionSpec {
  // Parameters.
  const [x, y, dy, dxDelta, rows, windows, channelGroups, channelBytes, rowBytes] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8,
  ];
  const [xSkip, ySkip, xRowSkip] = [9, 10, 11];
  // Locals.
  const [max, g, e0, e1, seen, e2, minusInfinity] = [12, 13, 14, 15, 16, 17, 18];
  const [windowCount, groupCount] = [19, 20];
  /** The input value at `offset` (an instruction list giving bytes past x) equals the max. */
  const isMax = (offset: readonly number[]): number[] => [
    ...op.get(x),
    ...offset,
    ...op.v128Load(),
    ...op.get(max),
    ...op.f32x4Eq,
  ];
  const none: number[] = [];
  const right = [...op.get(channelBytes), ...op.i32Add];
  const below = [...op.get(rowBytes), ...op.i32Add];
  const belowRight = [...below, ...right];
  /** dx at `offset` = g where `mask`. */
  const storeDx = (offset: readonly number[], mask: readonly number[]): number[] => [
    ...op.get(x),
    ...op.get(dxDelta),
    ...op.i32Add,
    ...offset,
    ...op.get(g),
    ...mask,
    ...op.v128And,
    ...op.v128Store(),
  ];
  const group = [
    // the max, and the gradient: zero where the window has no maximum (-Infinity, NaN)
    ...[...op.get(y), ...op.v128Load(), ...op.set(max)],
    ...[...op.get(dy), ...op.v128Load(), ...op.get(max), ...op.get(minusInfinity), ...op.f32x4Gt],
    ...[...op.v128And, ...op.set(g)],
    // the first position equal to the max, in row-major window order
    ...[...isMax(none), ...op.set(e0)],
    ...[...isMax(right), ...op.get(e0), ...op.v128AndNot, ...op.set(e1)],
    ...[...op.get(e0), ...op.get(e1), ...op.v128Or, ...op.set(seen)],
    ...[...isMax(below), ...op.get(seen), ...op.v128AndNot, ...op.set(e2)],
    ...storeDx(none, op.get(e0)),
    ...storeDx(right, op.get(e1)),
    ...storeDx(below, op.get(e2)),
    ...storeDx(belowRight, [
      ...isMax(belowRight),
      ...op.get(seen),
      ...op.get(e2),
      ...op.v128Or,
      ...op.v128AndNot,
    ]),
    ...bump(x, 16),
    ...bump(y, 16),
    ...bump(dy, 16),
  ];
  const window = [
    ...op.get(channelGroups),
    ...op.set(groupCount),
    ...repeat(groupCount, group),
    ...bump(x, op.get(xSkip)),
    ...bump(y, op.get(ySkip)),
    ...bump(dy, op.get(ySkip)),
  ];
  const row = [
    ...op.get(windows),
    ...op.set(windowCount),
    ...repeat(windowCount, window),
    ...bump(x, op.get(xRowSkip)),
  ];
  return {
    name: 'maxPoolGrad2x2Rows',
    params: Array<number>(12).fill(I32),
    locals: [V128, V128, V128, V128, V128, V128, V128, I32, I32],
    body: [[...op.v128Const(MINUS_INFINITY), ...op.set(minusInfinity)], repeat(rows, row)],
  };
}

const FUNCTIONS: readonly FunctionSpec[] = [
  {
    // (x, y, groups, alpha: f64) locals: 4 v, 5 alpha x2 (f64)
    // alpha x is computed in float64 and rounded once, as the cpu backend does.
    name: 'leakyRelu',
    params: [I32, I32, I32, F64],
    locals: [V128, V128],
    body: [
      [...op.get(3), ...op.f64x2Splat, ...op.set(5)],
      repeat(2, [
        ...op.get(1),
        // alpha v, lanes 0-1 and 2-3 through float64, joined again
        ...[...op.get(0), ...op.v128Load(), ...op.tee(4), ...op.f64x2PromoteLowF32x4],
        ...[...op.get(5), ...op.f64x2Mul, ...op.f32x4DemoteF64x2Zero],
        ...[...op.get(4), ...op.get(4), ...op.i8x16Shuffle(UPPER_HALF), ...op.f64x2PromoteLowF32x4],
        ...[...op.get(5), ...op.f64x2Mul, ...op.f32x4DemoteF64x2Zero],
        ...op.i8x16Shuffle(JOIN_LOW_HALVES),
        // where v < 0 (not -0, not NaN), else v
        ...[...op.get(4), ...op.get(4), ...op.v128Const(ZERO), ...op.f32x4Lt, ...op.v128Bitselect],
        ...op.v128Store(),
        ...bump(0, 16),
        ...bump(1, 16),
      ]),
    ],
  },
  {
    // (x, dy, dx, groups, alpha: f32) locals: 5 alpha x4
    name: 'leakyReluGrad',
    params: [I32, I32, I32, I32, F32],
    locals: [V128],
    body: [
      [...op.get(4), ...op.f32x4Splat, ...op.set(5)],
      repeat(3, [
        ...op.get(2),
        // dy where x > 0 (not 0, not NaN), else dy alpha in float32
        ...[...op.get(1), ...op.v128Load(), ...op.get(1), ...op.v128Load()],
        ...[...op.get(5), ...op.f32x4Mul],
        ...[
          ...op.get(0),
          ...op.v128Load(),
          ...op.v128Const(ZERO),
          ...op.f32x4Gt,
          ...op.v128Bitselect,
        ],
        ...op.v128Store(),
        ...bump(0, 16),
        ...bump(1, 16),
        ...bump(2, 16),
      ]),
    ],
  },
  {
    // (x, dy, dx, groups) locals: 4 x
    name: 'reluGrad',
    params: [I32, I32, I32, I32],
    locals: [V128],
    body: [
      repeat(3, [
        ...op.get(2),
        ...[...op.get(1), ...op.v128Load()],
        // the factor: 1 where x > 0, NaN where x is NaN, else 0
        ...[...op.v128Const(NAN), ...op.v128Const(ONE)],
        ...[...op.get(0), ...op.v128Load(), ...op.tee(4), ...op.v128Const(ZERO), ...op.f32x4Gt],
        ...[...op.v128And, ...op.get(4), ...op.get(4), ...op.f32x4Ne, ...op.v128Bitselect],
        ...[...op.f32x4Mul, ...op.v128Store()],
        ...bump(0, 16),
        ...bump(1, 16),
        ...bump(2, 16),
      ]),
    ],
  },
  {
    // (x, out, groups, limit) locals: 4 limit x4
    name: 'greaterThan',
    params: [I32, I32, I32, F32],
    locals: [V128],
    body: [
      [...op.get(3), ...op.f32x4Splat, ...op.set(4)],
      repeat(2, [
        ...op.get(1),
        ...[0, 16].flatMap((at) => [...op.get(0), ...op.v128Load(at), ...op.get(4), ...op.f32x4Gt]),
        ...op.i16x8NarrowI32x4S,
        ...[32, 48].flatMap((at) => [
          ...op.get(0),
          ...op.v128Load(at),
          ...op.get(4),
          ...op.f32x4Gt,
        ]),
        ...op.i16x8NarrowI32x4S,
        ...op.i8x16NarrowI16x8S,
        ...op.i32(1),
        ...op.i8x16Splat,
        ...op.v128And,
        ...op.v128Store(),
        ...bump(0, 64),
        ...bump(1, 16),
      ]),
    ],
  },
  {
    // (condition, t, e, out, groups)
    name: 'select',
    params: [I32, I32, I32, I32, I32],
    locals: [],
    body: [
      repeat(4, [
        ...op.get(3),
        ...op.get(1),
        ...op.v128Load(),
        ...op.get(2),
        ...op.v128Load(),
        ...op.get(0),
        ...op.v128Load32Zero(),
        ...op.i16x8ExtendLowI8x16U,
        ...op.i32x4ExtendLowI16x8U,
        ...op.i32x4Neg,
        ...op.v128Bitselect,
        ...op.v128Store(),
        ...bump(0, 4),
        ...bump(1, 16),
        ...bump(2, 16),
        ...bump(3, 16),
      ]),
    ],
  },
  {
    // (x, blocks, blockGroups, running) locals: 4 v, 5 r, 6 j
    name: 'addBlocks',
    params: [I32, I32, I32, I32],
    locals: [V128, I32, I32],
    body: [
      repeat(1, [
        ...op.get(3),
        ...op.set(5),
        ...op.get(2),
        ...op.set(6),
        ...repeat(6, [
          ...op.get(0),
          ...op.v128Load(),
          ...op.set(4),
          ...op.get(5),
          ...op.get(5),
          ...op.v128Load(0),
          ...op.get(4),
          ...op.f64x2PromoteLowF32x4,
          ...op.f64x2Add,
          ...op.v128Store(0),
          ...op.get(5),
          ...op.get(5),
          ...op.v128Load(16),
          ...op.get(4),
          ...op.get(4),
          ...op.i8x16Shuffle(UPPER_HALF),
          ...op.f64x2PromoteLowF32x4,
          ...op.f64x2Add,
          ...op.v128Store(16),
          ...bump(0, 16),
          ...bump(5, 32),
        ]),
      ]),
    ],
  },
  maxPoolGrad2x2Rows(),
  ...BATCH_NORM_FUNCTIONS,
  ...ADAM_FUNCTIONS,
  ...WEIGHTED_SUM_FUNCTIONS,
];

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();
let disabled = false;
/** Why the last attempt to instantiate the loops failed, for `describeLoops`. */
let failure = '';

/**
 * The SIMD loops bound to `backend`'s memory, or null where WebAssembly SIMD
 * (or access to the memory) is missing.
 */
export function simdLoopsFor(backend: BackendWasm): SimdLoops | null {
  if (disabled) return null;
  const memory = memoryOf(backend);
  if (memory === undefined) return null;
  let loops = instances.get(memory);
  if (loops === undefined) {
    loops = instantiate(memory);
    instances.set(memory, loops);
  }
  return loops;
}

/** The wasm backend's memory, which the SIMD modules import, where it is reachable. */
function memoryOf(backend: BackendWasm): WebAssembly.Memory | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * `functions` in a module of their own on `backend`'s memory: for loops
 * generated per shape (single-channel-conv-functions.ts). Null wherever the
 * loops here are not used (no SIMD, the memory out of reach, or turned off
 * by {@link setSimdLoopsEnabled}), so callers fall back as theirs do.
 */
export function instantiateSimdFunctions(
  backend: BackendWasm,
  functions: readonly FunctionSpec[],
): WebAssembly.Exports | null {
  const memory = memoryOf(backend);
  if (simdLoopsFor(backend) === null || memory === undefined) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(functions)), {
    env: { memory },
  });
  return instance.exports;
}

const perShape = new WeakMap<BackendWasm, Map<string, WebAssembly.Exports | null>>();

/**
 * The functions `build` gives for `shape` (a plain object, their key), on
 * `backend`'s memory by {@link instantiateSimdFunctions}, compiled on first
 * use and kept per backend. Null wherever the SIMD loops are not used; asked
 * on every call, since tests turn them off after the functions compiled.
 */
export function simdFunctionsFor<T>(
  backend: BackendWasm,
  shape: object,
  build: () => readonly FunctionSpec[],
): T | null {
  if (simdLoopsFor(backend) === null) return null;
  let byShape = perShape.get(backend);
  if (byShape === undefined) {
    byShape = new Map();
    perShape.set(backend, byShape);
  }
  const key = JSON.stringify(shape);
  let functions = byShape.get(key);
  if (functions === undefined) {
    functions = instantiateSimdFunctions(backend, build());
    byShape.set(key, functions);
  }
  return functions as unknown as T | null;
}

function instantiate(memory: WebAssembly.Memory): SimdLoops | null {
  const bytes = encodeModule(FUNCTIONS);
  if (!WebAssembly.validate(bytes)) {
    failure = 'this WebAssembly engine has no SIMD';
    return null;
  }
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return instance.exports as unknown as SimdLoops;
  } catch (error) {
    // A memory this module cannot import (e.g. shared): the JavaScript loops run instead.
    failure = `the SIMD module did not instantiate (${error instanceof Error ? error.message : String(error)})`;
    return null;
  }
}

/**
 * Which loops the runner's kernels run on `backend`, as recorded with a run:
 * `SIMD loops`, or `JavaScript loops (why SIMD is not used)`. It loads the
 * SIMD module if that was not tried yet.
 */
export function describeLoops(backend: BackendWasm): string {
  if (disabled) return 'JavaScript loops (SIMD turned off)';
  if (simdLoopsFor(backend) !== null) return 'SIMD loops';
  const why =
    memoryOf(backend) !== undefined ? failure : "the wasm backend's memory is not reachable";
  return `JavaScript loops (${why})`;
}

/** For tests: run the JavaScript loops instead, to check both give the same values. */
export function setSimdLoopsEnabled(enabled: boolean): void {
  disabled = !enabled;
}
