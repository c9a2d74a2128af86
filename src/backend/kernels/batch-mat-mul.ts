import {
  BatchMatMul,
  broadcast_util,
  type BatchMatMulAttrs,
  type KernelConfig,
  type TensorInfo,
} from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import { convLoopsFor } from './conv-loops.js';
import { outerProductFits, outerProductInto } from './outer-product.js';
import { transposeMatrix } from './transpose-matrix.js';
import { bindWasmGemm, runWasmGemm, type WasmGemm } from './wasm-gemm.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

let gemm: WasmGemm | undefined;

function setup(backend: object): void {
  gemm = bindWasmGemm(backend);
}

/**
 * `BatchMatMul` that never asks wasm's GEMM to transpose: wasm multiplies
 * operands laid out as [M, K] x [K, N] with XNNPACK, but takes a path 8 to
 * 17 times slower when `transposeA` or `transposeB` is set, which is what
 * every dense layer's gradient asks for. A transposed operand is first
 * copied into a temporary, transposed by tiles, then multiplied plainly.
 */
export function batchMatMul(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const a = inputOf(args, 'a', BatchMatMul);
  const b = inputOf(args, 'b', BatchMatMul);
  const { transposeA, transposeB } = attrsOf<BatchMatMulAttrs>(args);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new InternalError(
      `BatchMatMul: expected float32 tensors, found ${a.dtype} and ${b.dtype}`,
    );
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const aRows = a.shape[aRank - 2] ?? 1;
  const aCols = a.shape[aRank - 1] ?? 1;
  const bRows = b.shape[bRank - 2] ?? 1;
  const bCols = b.shape[bRank - 1] ?? 1;
  const [m, kA] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (kA !== kB) {
    throw new InternalError(
      `BatchMatMul: inner dimensions ${kA} and ${kB} of shapes [${a.shape.join(',')}] and ` +
        `[${b.shape.join(',')}] (transposeA=${transposeA}, transposeB=${transposeB}) differ`,
    );
  }
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const outerShape = broadcast_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const outShape = [...outerShape, m, n];

  const a3 = transposeA ? transposedCopy(backend, a, batchA, aRows, aCols) : a;
  const b3 = transposeB ? transposedCopy(backend, b, batchB, bRows, bCols) : b;
  const out = backend.makeOutput([Math.max(batchA, batchB), m, n], 'float32');
  if (!productByOuterLoops(backend, a3, b3, out, batchA, batchB, m, kA, n)) {
    if (batchA > 1 && batchB === 1) {
      // Every matrix of a times the one b: a single [batchA * m, k] x [k, n] product, on XNNPACK.
      runWasmGemm(gemm, backend, a3, [1, batchA * m, kA], b3, [1, kB, n], out);
    } else {
      runWasmGemm(gemm, backend, a3, [batchA, m, kA], b3, [batchB, kB, n], out);
    }
  }
  if (a3 !== a) backend.disposeData(a3.dataId);
  if (b3 !== b) backend.disposeData(b3.dataId);
  out.shape = outShape;
  return out;
}

/**
 * The product by the SIMD outer loops (outer-product.ts: no packing of b,
 * which XNNPACK repeats for every b it has not seen, as a dense layer's
 * fresh weights and gradients are each step; the same values bit for bit),
 * one [m, k] x [k, n] per pair of matrices, b broadcast where it is one.
 * False where the loops are missing or would read past the memory; then
 * XNNPACK computes it.
 */
export function productByOuterLoops(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  batchA: number,
  batchB: number,
  m: number,
  k: number,
  n: number,
): boolean {
  const loops = convLoopsFor(backend);
  if (loops === null || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return false;
  const batch = Math.max(batchA, batchB);
  // b one matrix: the batches of a are one [batch m, k] product.
  const [products, rows] = batchB === 1 ? [1, batch * m] : [batch, m];
  if (rows > OUTER_ROWS_PER_DEPTH * k) return false;
  const sums = backend.makeOutput([32], 'float32');
  // Views after the last allocation (an allocation can replace the heap).
  const [as, bs, outs, sumsView] = [a, b, out, sums].map((t) =>
    heapFloats(backend, t, BatchMatMul),
  );
  const [aAt, bAt] = [as!.byteOffset, bs!.byteOffset];
  const aOffset = (i: number): number => (batchA === 1 ? 0 : i * m * k * 4);
  const bOffset = (i: number): number => (batchB === 1 ? 0 : i * k * n * 4);
  // Only the last pair's reads go past the tensors.
  const last = products - 1;
  const bytes = outs!.buffer.byteLength;
  const fits = outerProductFits(bytes, aAt + aOffset(last), bAt + bOffset(last), rows, k, n);
  for (let i = 0; fits && i < products; i++) {
    outerProductInto(
      loops,
      sumsView!,
      aAt + aOffset(i),
      bAt + bOffset(i),
      rows,
      k,
      n,
      outs!,
      i * m * n,
    );
  }
  backend.disposeData(sums.dataId);
  return fits;
}

/**
 * Rows of a product per row of b past which XNNPACK's GEMM is the faster
 * (its packing of b is then small next to the product; the outer loops pay
 * a call per 4 x 8 block): a dense layer's weight gradient, [400, 32] x
 * [32, 120] at batch 32, 0.25 ms on XNNPACK against 0.42; its forward
 * [32, 400] x [400, 120], 0.71 against 0.11 (CPU time, min of 5 x 50).
 */
const OUTER_ROWS_PER_DEPTH = 1.5;

/** A new tensor holding each of the `batch` matrices of `x` transposed. */
function transposedCopy(
  backend: BackendWasm,
  x: TensorInfo,
  batch: number,
  rows: number,
  cols: number,
): TensorInfo {
  const copy = backend.makeOutput([batch, cols, rows], 'float32');
  const src = heapFloats(backend, x, BatchMatMul);
  const dst = heapFloats(backend, copy, BatchMatMul);
  const size = rows * cols;
  for (let i = 0; i < batch; i++) transposeMatrix(src, i * size, dst, i * size, rows, cols);
  return copy;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  setupFunc: setup,
  kernelFunc: batchMatMul,
};
