import { bump, repeat } from './loop-builders.js';
import { F32, I32, op, V128, type FunctionSpec } from './wasm-encoder.js';

/** How {@link AdamSimdLoop.adamUpdate} applies weight decay. */
export const ADAM_DECAY = { none: 0, l2: 1, decoupled: 2 } as const;

/** Adam's update as SimdLoops exports it (offsets in bytes, `groups` of 4 floats). */
export interface AdamSimdLoop {
  /**
   * torch.optim.Adam / AdamW on `groups` of 4 parameters, every operation in
   * float32 in the order of the JavaScript pass of update-rules/adam.ts (so
   * both give the same values bit for bit): with `decay` l2, g = g + w wd; with
   * decoupled, w = w shrink; then m = m b1 + g (1 - b1), v = v b2 + g g (1 - b2)
   * in place, and out = w - m / (sqrt(v) / c2 + eps) stepSize.
   */
  adamUpdate(
    w: number,
    out: number,
    g: number,
    m: number,
    v: number,
    groups: number,
    decay: number,
    b1: number,
    b2: number,
    oneMinusB1: number,
    oneMinusB2: number,
    eps: number,
    stepSize: number,
    c2: number,
    shrink: number,
    wd: number,
  ): void;
}

/** The instructions of `body`, run only when the i32 parameter `decay` equals `mode`. */
function when(decay: number, mode: number, body: readonly number[]): number[] {
  return [
    ...op.block,
    ...[...op.get(decay), ...op.i32(mode), ...op.i32Sub, ...op.brIf(0)],
    ...body,
    ...op.end,
  ];
}

function adamUpdate(): FunctionSpec {
  // Parameters: five offsets, the group count, the decay mode, nine float32 constants.
  const [w, out, g, m, v, groups, decay] = [0, 1, 2, 3, 4, 5, 6];
  const constants = [7, 8, 9, 10, 11, 12, 13, 14, 15];
  // Locals: the constants splat to four lanes (16-24), then one group's w, g, m and v.
  const [b1, b2, oneMinusB1, oneMinusB2, eps, stepSize, c2, shrink, wd] = constants.map(
    (c) => c + 9,
  ) as [number, number, number, number, number, number, number, number, number];
  const [wv, gv, mv, vv] = [25, 26, 27, 28];
  const group = [
    ...[...op.get(w), ...op.v128Load(), ...op.set(wv)],
    ...[...op.get(g), ...op.v128Load(), ...op.set(gv)],
    ...when(decay, 2, [...op.get(wv), ...op.get(shrink), ...op.f32x4Mul, ...op.set(wv)]),
    ...when(decay, 1, [
      ...[...op.get(gv), ...op.get(wv), ...op.get(wd), ...op.f32x4Mul, ...op.f32x4Add],
      ...op.set(gv),
    ]),
    // m = m b1 + g (1 - b1)
    ...[...op.get(m), ...op.v128Load(), ...op.get(b1), ...op.f32x4Mul],
    ...[...op.get(gv), ...op.get(oneMinusB1), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(mv)],
    ...[...op.get(m), ...op.get(mv), ...op.v128Store()],
    // v = v b2 + (g g) (1 - b2)
    ...[...op.get(v), ...op.v128Load(), ...op.get(b2), ...op.f32x4Mul],
    ...[...op.get(gv), ...op.get(gv), ...op.f32x4Mul, ...op.get(oneMinusB2), ...op.f32x4Mul],
    ...[...op.f32x4Add, ...op.set(vv)],
    ...[...op.get(v), ...op.get(vv), ...op.v128Store()],
    // out = w - (m / (sqrt(v) / c2 + eps)) stepSize
    ...[...op.get(out), ...op.get(wv), ...op.get(mv)],
    ...[...op.get(vv), ...op.f32x4Sqrt, ...op.get(c2), ...op.f32x4Div, ...op.get(eps)],
    ...[...op.f32x4Add, ...op.f32x4Div, ...op.get(stepSize), ...op.f32x4Mul, ...op.f32x4Sub],
    ...op.v128Store(),
    ...[...bump(w, 16), ...bump(out, 16), ...bump(g, 16), ...bump(m, 16), ...bump(v, 16)],
  ];
  return {
    name: 'adamUpdate',
    params: [I32, I32, I32, I32, I32, I32, I32, ...constants.map(() => F32)],
    locals: [...constants.map(() => V128), V128, V128, V128, V128],
    body: [
      constants.flatMap((c) => [...op.get(c), ...op.f32x4Splat, ...op.set(c + 9)]),
      repeat(groups, group),
    ],
  };
}

export const ADAM_FUNCTIONS: readonly FunctionSpec[] = [adamUpdate()];
