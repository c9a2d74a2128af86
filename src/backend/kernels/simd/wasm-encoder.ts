/**
 * Just enough of the WebAssembly binary format to write the runner's few
 * SIMD loops by hand (simd-loops.ts): one module, one imported memory,
 * exported functions of i32/f32 parameters. Opcodes are named here once;
 * the loops read like the text format.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Instructions as byte sequences. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32ShrU: [0x76],
  /** Scalar float load and store (alignment hint 4 bytes). */
  f32Load: (offset = 0) => [0x2a, 0x02, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 0x02, ...uleb(offset)],
  f32Const: (value: number) => [0x43, ...new Uint8Array(new Float32Array([value]).buffer)],
  // SIMD (0xfd prefix; memory operands: alignment hint 0, offset)
  v128Load: (offset = 0) => [0xfd, 0x00, 0x00, ...uleb(offset)],
  v128Store: (offset = 0) => [0xfd, 0x0b, 0x00, ...uleb(offset)],
  v128Load32Zero: (offset = 0) => [0xfd, 0x5c, 0x00, ...uleb(offset)],
  /** One float loaded into all four lanes (alignment hint 4 bytes). */
  v128Load32Splat: (offset = 0) => [0xfd, 0x09, 0x02, ...uleb(offset)],
  v128Const: (bytes: readonly number[]) => [0xfd, 0x0c, ...bytes],
  i8x16Shuffle: (lanes: readonly number[]) => [0xfd, 0x0d, ...lanes],
  i8x16Splat: [0xfd, 0x0f],
  f32x4Splat: [0xfd, 0x13],
  f32x4ExtractLane: (lane: number) => [0xfd, 0x1f, lane],
  f64x2Splat: [0xfd, 0x14],
  f32x4Eq: [0xfd, 0x41],
  f32x4Ne: [0xfd, 0x42],
  f32x4Lt: [0xfd, 0x43],
  f32x4Gt: [0xfd, 0x44],
  v128And: [0xfd, 0x4e],
  v128AndNot: [0xfd, 0x4f],
  v128Or: [0xfd, 0x50],
  v128Bitselect: [0xfd, 0x52],
  f32x4DemoteF64x2Zero: [0xfd, 0x5e],
  f64x2PromoteLowF32x4: [0xfd, 0x5f],
  i8x16NarrowI16x8S: [0xfd, 0x65],
  i16x8NarrowI32x4S: [0xfd, 0x85, 0x01],
  i16x8ExtendLowI8x16U: [0xfd, 0x89, 0x01],
  i32x4Neg: [0xfd, 0xa1, 0x01],
  i32x4ExtendLowI16x8U: [0xfd, 0xa9, 0x01],
  f32x4Sqrt: [0xfd, 0xe3, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4Div: [0xfd, 0xe7, 0x01],
  f32x4Max: [0xfd, 0xe9, 0x01],
  f64x2Add: [0xfd, 0xf0, 0x01],
  f64x2Sub: [0xfd, 0xf1, 0x01],
  f64x2Mul: [0xfd, 0xf2, 0x01],
} as const;

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly number[];
  /** Extra locals after the parameters, by type. */
  readonly locals: readonly number[];
  readonly body: readonly (readonly number[] | number)[];
}

/** A module importing `env.memory` and exporting `functions`, all returning nothing. */
export function encodeModule(functions: readonly FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((p) => [p])), 0x00]);
  const importMemory = [...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)];
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const locals = f.locals.map((type) => [0x01, type]);
    const code = [...vector(locals), ...f.body.flat(), ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([importMemory])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

export function uleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return bytes;
}

export function sleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}
