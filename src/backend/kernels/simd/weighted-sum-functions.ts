import { bump, JOIN_LOW_HALVES, promoteHalf, repeat } from './loop-builders.js';
import { F64, I32, op, V128, type FunctionSpec } from './wasm-encoder.js';

/**
 * The SIMD loop of the replica pool's gradient average (heap-weighted-sum.ts):
 * out = wa a + wb b, each product and the sum in float64 in that order and
 * rounded once to float32, as the JavaScript loop beside it, so both give the
 * same values bit for bit.
 */
function weightedSum(): FunctionSpec {
  const [a, b, out, groups, wa, wb] = [0, 1, 2, 3, 4, 5];
  const [va, vb, sa, sb] = [6, 7, 8, 9];
  const half = (h: 0 | 1): number[] => [
    ...[...promoteHalf(va, h), ...op.get(sa), ...op.f64x2Mul],
    ...[...promoteHalf(vb, h), ...op.get(sb), ...op.f64x2Mul],
    ...[...op.f64x2Add, ...op.f32x4DemoteF64x2Zero],
  ];
  const group = [
    ...op.get(out),
    ...[...op.get(a), ...op.v128Load(), ...op.set(va)],
    ...[...op.get(b), ...op.v128Load(), ...op.set(vb)],
    ...half(0),
    ...half(1),
    ...op.i8x16Shuffle(JOIN_LOW_HALVES),
    ...op.v128Store(),
    ...[...bump(a, 16), ...bump(b, 16), ...bump(out, 16)],
  ];
  return {
    name: 'weightedSum',
    params: [I32, I32, I32, I32, F64, F64],
    locals: [V128, V128, V128, V128],
    body: [
      [...op.get(wa), ...op.f64x2Splat, ...op.set(sa)],
      [...op.get(wb), ...op.f64x2Splat, ...op.set(sb)],
      repeat(groups, group),
    ],
  };
}

export const WEIGHTED_SUM_FUNCTIONS: readonly FunctionSpec[] = [weightedSum()];

/** The weighted-sum loop as SimdLoops exports it (offsets in bytes, a count of 4-float groups). */
export interface WeightedSumSimdLoops {
  /** out = wa a + wb b (float64, rounded once to float32), `groups` of 4 floats; out may be a. */
  weightedSum(a: number, b: number, out: number, groups: number, wa: number, wb: number): void;
}
