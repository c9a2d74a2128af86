import { op } from './wasm-encoder.js';

/** Instruction sequences the SIMD loops are built from (simd-loops.ts, batch-norm-functions.ts). */

export const ZERO = Array<number>(16).fill(0);
/** Four float32 ones and four NaNs. */
export const ONE = [...Array<number[]>(4).fill([0x00, 0x00, 0x80, 0x3f])].flat();
export const NAN = [...Array<number[]>(4).fill([0x00, 0x00, 0xc0, 0x7f])].flat();
export const MINUS_INFINITY = [...Array<number[]>(4).fill([0x00, 0x00, 0x80, 0xff])].flat();
/** Lanes 8-15 then 0-7: the upper two floats moved down, to promote them to float64. */
export const UPPER_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
/** The low two floats of the first vector, then the low two of the second. */
export const JOIN_LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** local += by (a constant or an instruction list). */
export const bump = (local: number, by: number | readonly number[]): number[] => [
  ...op.get(local),
  ...(typeof by === 'number' ? op.i32(by) : by),
  ...op.i32Add,
  ...op.set(local),
];
/** Decrements `counter` and loops (innermost `loop`) while it is not zero. */
const countDown = (counter: number): number[] => [
  ...op.get(counter),
  ...op.i32(1),
  ...op.i32Sub,
  ...op.tee(counter),
  ...op.brIf(0),
];
/** `block` that is skipped when `counter` is zero, around a `loop`. */
export const repeat = (counter: number, body: readonly number[]): number[] => [
  ...op.block,
  ...op.get(counter),
  ...op.i32Eqz,
  ...op.brIf(0),
  ...op.loop,
  ...body,
  ...countDown(counter),
  ...op.end,
  ...op.end,
];

/** Floats 0-1 (half 0) or 2-3 (half 1) of the f32x4 in `local`, promoted to f64x2. */
export const promoteHalf = (local: number, half: 0 | 1): number[] =>
  half === 0
    ? [...op.get(local), ...op.f64x2PromoteLowF32x4]
    : [
        ...op.get(local),
        ...op.get(local),
        ...op.i8x16Shuffle(UPPER_HALF),
        ...op.f64x2PromoteLowF32x4,
      ];
