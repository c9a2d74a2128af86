import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Hand-assembled WebAssembly functions that run on tfjs-wasm's own memory
 * (imported), so they read and write tensors in place. Two loops that no
 * XNNPACK operator provides and that JS runs at about 2 ns per element:
 *
 *   rowDot(acc, x, xStep, dy, dyStep, count, vectors):
 *     for v in [0, vectors):            // 4 channels per 128-bit vector
 *       sum = acc[v]
 *       for i in [0, count): sum += x[i*xStep + v] * dy[i*dyStep + v]
 *       acc[v] = sum
 *
 *   rowAdd(dst, dstStep, src, srcStep, count, vectors):
 *     for i in [0, count): for v in [0, vectors): dst[i*dstStep + v] += src[i*srcStep + v]
 *
 * Addresses and steps are in bytes; each v is 4 floats (one 128-bit vector).
 * rowDot is the inner loop of the depthwise filter gradient (one row of
 * output pixels for one filter tap); rowAdd that of col2im (one row of
 * patches scatter-added into the image for one filter tap).
 *
 * rowDot's body, in text form
 * (params 0-6 as above; locals 7 v, 8 i, 9 xp, 10 dp, 11 sum):
 *   block  (br_if 0 (i32.eqz vectors))
 *     loop
 *       xp = x + v<<4; dp = dy + v<<4; sum = v128.load(acc + v<<4); i = 0
 *       block  (br_if 0 (i32.eqz count))
 *         loop
 *           sum = f32x4.add(sum, f32x4.mul(v128.load(xp), v128.load(dp)))
 *           xp += xStep; dp += dyStep; i += 1; br_if 0 (i < count)
 *         end
 *       end
 *       v128.store(acc + v<<4, sum); v += 1; br_if 0 (v < vectors)
 *     end
 *   end
 */
// prettier-ignore
const ROW_DOT_BODY = [
  0x02, 0x40, 0x20, 0x06, 0x45, 0x0d, 0x00,
  0x03, 0x40,
  0x20, 0x01, 0x20, 0x07, 0x41, 0x04, 0x74, 0x6a, 0x21, 0x09,
  0x20, 0x03, 0x20, 0x07, 0x41, 0x04, 0x74, 0x6a, 0x21, 0x0a,
  0x20, 0x00, 0x20, 0x07, 0x41, 0x04, 0x74, 0x6a, 0xfd, 0x00, 0x02, 0x00, 0x21, 0x0b,
  0x41, 0x00, 0x21, 0x08,
  0x02, 0x40, 0x20, 0x05, 0x45, 0x0d, 0x00,
  0x03, 0x40,
  0x20, 0x0b,
  0x20, 0x09, 0xfd, 0x00, 0x02, 0x00,
  0x20, 0x0a, 0xfd, 0x00, 0x02, 0x00,
  0xfd, 0xe6, 0x01,
  0xfd, 0xe4, 0x01,
  0x21, 0x0b,
  0x20, 0x09, 0x20, 0x02, 0x6a, 0x21, 0x09,
  0x20, 0x0a, 0x20, 0x04, 0x6a, 0x21, 0x0a,
  0x20, 0x08, 0x41, 0x01, 0x6a, 0x22, 0x08, 0x20, 0x05, 0x49, 0x0d, 0x00,
  0x0b,
  0x0b,
  0x20, 0x00, 0x20, 0x07, 0x41, 0x04, 0x74, 0x6a, 0x20, 0x0b, 0xfd, 0x0b, 0x02, 0x00,
  0x20, 0x07, 0x41, 0x01, 0x6a, 0x22, 0x07, 0x20, 0x06, 0x49, 0x0d, 0x00,
  0x0b,
  0x0b,
  0x0b,
];

/**
 * rowAdd's body (params 0 dst, 1 dstStep, 2 src, 3 srcStep, 4 count, 5 vectors; locals 6 i, 7 v, 8 o):
 *   block  (br_if 0 (i32.eqz count)) (br_if 0 (i32.eqz vectors))
 *     loop
 *       v = 0
 *       loop
 *         o = v<<4; v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)))
 *         v += 1; br_if 0 (v < vectors)
 *       end
 *       dst += dstStep; src += srcStep; i += 1; br_if 0 (i < count)
 *     end
 *   end
 */
// prettier-ignore
const ROW_ADD_BODY = [
  0x02, 0x40, 0x20, 0x04, 0x45, 0x0d, 0x00, 0x20, 0x05, 0x45, 0x0d, 0x00,
  0x03, 0x40,
  0x41, 0x00, 0x21, 0x07,
  0x03, 0x40,
  0x20, 0x07, 0x41, 0x04, 0x74, 0x21, 0x08,
  0x20, 0x00, 0x20, 0x08, 0x6a,
  0x20, 0x00, 0x20, 0x08, 0x6a, 0xfd, 0x00, 0x02, 0x00,
  0x20, 0x02, 0x20, 0x08, 0x6a, 0xfd, 0x00, 0x02, 0x00,
  0xfd, 0xe4, 0x01,
  0xfd, 0x0b, 0x02, 0x00,
  0x20, 0x07, 0x41, 0x01, 0x6a, 0x22, 0x07, 0x20, 0x05, 0x49, 0x0d, 0x00,
  0x0b,
  0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x00,
  0x20, 0x02, 0x20, 0x03, 0x6a, 0x21, 0x02,
  0x20, 0x06, 0x41, 0x01, 0x6a, 0x22, 0x06, 0x20, 0x04, 0x49, 0x0d, 0x00,
  0x0b,
  0x0b,
  0x0b,
];

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb128(content.length), ...content];
}

function unsignedLeb128(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return bytes;
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...unsignedLeb128(bytes.length), ...bytes];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // two function types: rowDot (7 x i32) -> (), rowAdd (6 x i32) -> ()
  const types = [0x02, 0x60, 0x07, ...new Array<number>(7).fill(I32), 0x00];
  types.push(0x60, 0x06, ...new Array<number>(6).fill(I32), 0x00);
  // locals: rowDot 4 i32 (v, i, xp, dp) and 1 v128 (sum); rowAdd 3 i32 (i, v, o)
  const rowDot = [0x02, 0x04, I32, 0x01, V128, ...ROW_DOT_BODY];
  const rowAdd = [0x01, 0x03, I32, ...ROW_ADD_BODY];
  return new Uint8Array([
    ...header,
    ...section(1, types),
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [0x02, 0x00, 0x01]),
    ...section(7, [0x02, ...name('rowDot'), 0x00, 0x00, ...name('rowAdd'), 0x00, 0x01]),
    ...section(10, [
      0x02,
      ...unsignedLeb128(rowDot.length),
      ...rowDot,
      ...unsignedLeb128(rowAdd.length),
      ...rowAdd,
    ]),
  ]);
}

export type RowDot = (
  acc: number,
  x: number,
  xStep: number,
  dy: number,
  dyStep: number,
  count: number,
  vectors: number,
) => void;

export type RowAdd = (
  dst: number,
  dstStep: number,
  src: number,
  srcStep: number,
  count: number,
  vectors: number,
) => void;

/** The SIMD row functions, bound to one backend's memory. */
export interface SimdRows {
  readonly rowDot: RowDot;
  readonly rowAdd: RowAdd;
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<BackendWasm, SimdRows | null>();

/**
 * The {@link SimdRows} bound to `backend`'s memory, or `null` where they
 * cannot run (no SIMD in this WebAssembly engine, or a tfjs-wasm build that
 * does not expose its memory); callers then use their JS loops.
 */
export function simdRowsFor(backend: BackendWasm): SimdRows | null {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let rows: SimdRows | null = null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (memory instanceof WebAssembly.Memory) {
    if (compiled === undefined) {
      const bytes = moduleBytes();
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    if (compiled !== null) {
      const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
      rows = { rowDot: exports['rowDot'] as RowDot, rowAdd: exports['rowAdd'] as RowAdd };
    }
  }
  instances.set(backend, rows);
  return rows;
}
