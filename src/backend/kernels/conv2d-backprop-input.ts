import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { imagesPerChunk, resolveConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { addPatchRowsToImage } from './im2col.js';
import {
  allocateFloat32,
  asWasmBackend,
  heapFloat32,
  matMulWasm,
  releaseTensor,
} from './wasm-tensors.js';

interface Conv2DBackpropInputAttrs extends ConvGradientAttrs {
  readonly inputShape: [number, number, number, number];
}

/**
 * dx = col2im(dy x W^T): dy in NHWC is [P, co]; the filter [K, co] is
 * transposed once to [co, K] (it is tiny), so the GEMM needs no transpose
 * flag; its [P, K] rows are then scatter-added into the image. Replaces wasm's
 * own Conv2DBackpropInput, a naive loop. Large batches go in chunks so that
 * the [P, K] buffer stays under 64 MB.
 */
function conv2dBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const g = resolveConvGeometry(
    'Conv2DBackpropInput',
    attrs.inputShape,
    filter.shape,
    attrs,
    false,
  );
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const pixelsPerImage = g.outHeight * g.outWidth;

  const filterT = allocateFloat32(backend, [CO, K]);
  transposeInto(heapFloat32(backend, filter), K, CO, heapFloat32(backend, filterT));
  const dx = allocateFloat32(backend, [...attrs.inputShape]);
  heapFloat32(backend, dx).fill(0);

  const chunk = imagesPerChunk(K * pixelsPerImage, g.batch);
  for (let first = 0; first < g.batch; first += chunk) {
    const count = Math.min(chunk, g.batch - first);
    const P = count * pixelsPerImage;
    const wholeBatch = count === g.batch;
    const dyRows = wholeBatch ? dy : allocateFloat32(backend, [P, CO]);
    if (!wholeBatch) {
      const start = first * pixelsPerImage * CO;
      heapFloat32(backend, dyRows).set(heapFloat32(backend, dy).subarray(start, start + P * CO));
    }
    const cols = matMulWasm(backend, dyRows, filterT, P, CO, K);
    if (!wholeBatch) releaseTensor(backend, dyRows);
    addPatchRowsToImage(heapFloat32(backend, cols), g, first, count, heapFloat32(backend, dx));
    releaseTensor(backend, cols);
  }
  releaseTensor(backend, filterT);
  return dx;
}

/** out[c, r] = a[r, c] for row-major a [rows, columns]. */
function transposeInto(a: Float32Array, rows: number, columns: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = a[r * columns + c]!;
  }
}

/** `Conv2DBackpropInput` for the wasm backend, on XNNPACK's GEMM instead of wasm's naive loop. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
};
