import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * A hand-assembled WebAssembly function that runs on tfjs-wasm's own memory
 * (imported), so it reads tensors in place:
 *
 *   rowDot(acc, x, xStep, dy, dyStep, count, vectors):
 *     for v in [0, vectors):            // 4 channels per 128-bit vector
 *       sum = acc[v]
 *       for i in [0, count): sum += x[i*xStep + v] * dy[i*dyStep + v]
 *       acc[v] = sum
 *
 * Addresses and steps are in bytes. This is the inner loop of the depthwise
 * filter gradient (one row of output pixels for one filter tap), which no
 * XNNPACK operator computes; in JS it runs at about 2 ns per multiply-add,
 * here at four multiply-adds per SIMD instruction.
 *
 * Text form of the body (params 0-6 as above; locals 7 v, 8 i, 9 xp, 10 dp, 11 sum):
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
  // one local group of 4 i32 (v, i, xp, dp) and one of 1 v128 (sum)
  const body = [0x02, 0x04, I32, 0x01, V128, ...ROW_DOT_BODY];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x07, I32, I32, I32, I32, I32, I32, I32, 0x00]),
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, ...name('rowDot'), 0x00, 0x00]),
    ...section(10, [0x01, ...unsignedLeb128(body.length), ...body]),
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

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<BackendWasm, RowDot | null>();

/**
 * {@link RowDot} bound to `backend`'s memory, or `null` where it cannot run
 * (no SIMD in this WebAssembly engine, or a tfjs-wasm build that does not
 * expose its memory); callers then use their JS loop.
 */
export function rowDotFor(backend: BackendWasm): RowDot | null {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let fn: RowDot | null = null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (memory instanceof WebAssembly.Memory) {
    if (compiled === undefined) {
      const bytes = moduleBytes();
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    }
    if (compiled !== null) {
      const instance = new WebAssembly.Instance(compiled, { env: { memory } });
      fn = instance.exports['rowDot'] as RowDot;
    }
  }
  instances.set(backend, fn);
  return fn;
}
