import { bump, JOIN_LOW_HALVES, promoteHalf, repeat } from './loop-builders.js';
import { I32, op, V128, type FunctionSpec } from './wasm-encoder.js';

/**
 * The SIMD loops of batch norm's training step and its gradient
 * (batch-norm-loops.ts). Each walks `blocks` blocks of `blockGroups` groups
 * of 4 floats; per column of a block it reads (and adds into) float64 rows
 * of the block's length, so a channel's values meet their own statistics
 * whatever the channel count (a block is a multiple of it and of 4). All
 * arithmetic is float64, in the order of the JavaScript loops beside them,
 * so both give the same values bit for bit.
 */

/** Per block, `rows` (locals) start again at their parameter and the group count at `groups`. */
function blockLoop(
  blocksParam: number,
  groupsParam: number,
  groupCount: number,
  rows: readonly (readonly [local: number, param: number])[],
  group: readonly number[],
): number[] {
  return repeat(blocksParam, [
    ...rows.flatMap(([local, param]) => [...op.get(param), ...op.set(local)]),
    ...op.get(groupsParam),
    ...op.set(groupCount),
    ...repeat(groupCount, group),
  ]);
}

/** running[j] += (x - center[j])^2; (x, blocks, blockGroups, center, running). */
function addSquaredDeviations(): FunctionSpec {
  const [x, blocks, groups, center, running] = [0, 1, 2, 3, 4];
  const [v, d, c, r, n] = [5, 6, 7, 8, 9];
  const half = (h: 0 | 1): number[] => [
    ...op.get(r),
    ...[...op.get(r), ...op.v128Load(16 * h)],
    ...[...promoteHalf(v, h), ...op.get(c), ...op.v128Load(16 * h), ...op.f64x2Sub],
    ...[...op.tee(d), ...op.get(d), ...op.f64x2Mul, ...op.f64x2Add],
    ...op.v128Store(16 * h),
  ];
  const group = [
    ...[...op.get(x), ...op.v128Load(), ...op.set(v)],
    ...half(0),
    ...half(1),
    ...[...bump(x, 16), ...bump(c, 32), ...bump(r, 32)],
  ];
  return {
    name: 'addSquaredDeviations',
    params: [I32, I32, I32, I32, I32],
    locals: [V128, V128, I32, I32, I32],
    body: [
      blockLoop(
        blocks,
        groups,
        n,
        [
          [c, center],
          [r, running],
        ],
        group,
      ),
    ],
  };
}

/** y = x scale[j] + shift[j], rounded to float32; (x, y, blocks, blockGroups, scale, shift). */
function scaleShift(): FunctionSpec {
  const [x, y, blocks, groups, scale, shift] = [0, 1, 2, 3, 4, 5];
  const [v, s, t, n] = [6, 7, 8, 9];
  const half = (h: 0 | 1): number[] => [
    ...[...promoteHalf(v, h), ...op.get(s), ...op.v128Load(16 * h), ...op.f64x2Mul],
    ...[...op.get(t), ...op.v128Load(16 * h), ...op.f64x2Add, ...op.f32x4DemoteF64x2Zero],
  ];
  const group = [
    ...op.get(y),
    ...[...op.get(x), ...op.v128Load(), ...op.set(v)],
    ...half(0),
    ...half(1),
    ...op.i8x16Shuffle(JOIN_LOW_HALVES),
    ...op.v128Store(),
    ...[...bump(x, 16), ...bump(y, 16), ...bump(s, 32), ...bump(t, 32)],
  ];
  return {
    name: 'scaleShift',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [V128, I32, I32, I32],
    body: [
      blockLoop(
        blocks,
        groups,
        n,
        [
          [s, scale],
          [t, shift],
        ],
        group,
      ),
    ],
  };
}

/**
 * sumDy[j] += dy, sumDyXc[j] += dy (x - center[j]);
 * (dy, x, blocks, blockGroups, center, sumDy, sumDyXc).
 */
function addGradientSums(): FunctionSpec {
  const [dy, x, blocks, groups, center, sumDy, sumDyXc] = [0, 1, 2, 3, 4, 5, 6];
  const [g, v, c, p, q, n] = [7, 8, 9, 10, 11, 12];
  const half = (h: 0 | 1): number[] => [
    ...[...op.get(p), ...op.get(p), ...op.v128Load(16 * h), ...promoteHalf(g, h)],
    ...[...op.f64x2Add, ...op.v128Store(16 * h)],
    ...[...op.get(q), ...op.get(q), ...op.v128Load(16 * h), ...promoteHalf(g, h)],
    ...[...promoteHalf(v, h), ...op.get(c), ...op.v128Load(16 * h), ...op.f64x2Sub],
    ...[...op.f64x2Mul, ...op.f64x2Add, ...op.v128Store(16 * h)],
  ];
  const group = [
    ...[...op.get(dy), ...op.v128Load(), ...op.set(g)],
    ...[...op.get(x), ...op.v128Load(), ...op.set(v)],
    ...half(0),
    ...half(1),
    ...[...bump(dy, 16), ...bump(x, 16), ...bump(c, 32), ...bump(p, 32), ...bump(q, 32)],
  ];
  return {
    name: 'addGradientSums',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [V128, V128, I32, I32, I32, I32],
    body: [
      blockLoop(
        blocks,
        groups,
        n,
        [
          [c, center],
          [p, sumDy],
          [q, sumDyXc],
        ],
        group,
      ),
    ],
  };
}

/** dx = dy a[j] + x b[j] + k[j], rounded to float32; (dy, x, dx, blocks, blockGroups, a, b, k). */
function batchNormGradient(): FunctionSpec {
  const [dy, x, dx, blocks, groups, a, b, k] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [g, v, pa, pb, pk, n] = [8, 9, 10, 11, 12, 13];
  const half = (h: 0 | 1): number[] => [
    ...[...promoteHalf(g, h), ...op.get(pa), ...op.v128Load(16 * h), ...op.f64x2Mul],
    ...[...promoteHalf(v, h), ...op.get(pb), ...op.v128Load(16 * h), ...op.f64x2Mul],
    ...op.f64x2Add,
    ...[...op.get(pk), ...op.v128Load(16 * h), ...op.f64x2Add, ...op.f32x4DemoteF64x2Zero],
  ];
  const group = [
    ...op.get(dx),
    ...[...op.get(dy), ...op.v128Load(), ...op.set(g)],
    ...[...op.get(x), ...op.v128Load(), ...op.set(v)],
    ...half(0),
    ...half(1),
    ...op.i8x16Shuffle(JOIN_LOW_HALVES),
    ...op.v128Store(),
    ...[...bump(dy, 16), ...bump(x, 16), ...bump(dx, 16)],
    ...[...bump(pa, 32), ...bump(pb, 32), ...bump(pk, 32)],
  ];
  return {
    name: 'batchNormGradient',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [V128, V128, I32, I32, I32, I32],
    body: [
      blockLoop(
        blocks,
        groups,
        n,
        [
          [pa, a],
          [pb, b],
          [pk, k],
        ],
        group,
      ),
    ],
  };
}

export const BATCH_NORM_FUNCTIONS: readonly FunctionSpec[] = [
  addSquaredDeviations(),
  scaleShift(),
  addGradientSums(),
  batchNormGradient(),
];

/** The batch-norm loops as SimdLoops exports them (offsets in bytes, counts of blocks/groups). */
export interface BatchNormSimdLoops {
  addSquaredDeviations(
    x: number,
    blocks: number,
    blockGroups: number,
    center: number,
    running: number,
  ): void;
  scaleShift(
    x: number,
    y: number,
    blocks: number,
    blockGroups: number,
    scale: number,
    shift: number,
  ): void;
  addGradientSums(
    dy: number,
    x: number,
    blocks: number,
    blockGroups: number,
    center: number,
    sumDy: number,
    sumDyXc: number,
  ): void;
  batchNormGradient(
    dy: number,
    x: number,
    dx: number,
    blocks: number,
    blockGroups: number,
    a: number,
    b: number,
    k: number,
  ): void;
}
