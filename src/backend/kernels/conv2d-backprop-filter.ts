import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { imagesPerChunk, resolveConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { writePatchRows } from './im2col.js';
import {
  allocateFloat32,
  asWasmBackend,
  heapFloat32,
  matMulWasm,
  releaseTensor,
  type WasmBackendLike,
} from './wasm-tensors.js';

interface Conv2DBackpropFilterAttrs extends ConvGradientAttrs {
  readonly filterShape: [number, number, number, number];
}

/**
 * dW[kh, kw, ci, co] = sum over (n, oh, ow) of x[n, ih, iw, ci] * dy[n, oh, ow, co],
 * as one GEMM: im2col of x laid out [K, P] times dy, which in NHWC already is
 * [P, co]. The product [K, co] is the filter gradient in the filter's layout.
 * Large batches go in chunks so that the [K, P] buffer stays under 64 MB.
 */
function conv2dBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = asWasmBackend(args.backend);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const g = resolveConvGeometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs, false);
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const pixelsPerImage = g.outHeight * g.outWidth;
  const chunk = imagesPerChunk(K * pixelsPerImage, g.batch);

  if (chunk >= g.batch) {
    return filterGradientOfImages(backend, x, dy, g, 0, g.batch, attrs.filterShape);
  }
  const dw = allocateFloat32(backend, attrs.filterShape);
  const sum = new Float64Array(K * CO);
  for (let first = 0; first < g.batch; first += chunk) {
    const count = Math.min(chunk, g.batch - first);
    const part = filterGradientOfImages(backend, x, dy, g, first, count, [K, CO]);
    const partView = heapFloat32(backend, part);
    for (let i = 0; i < sum.length; i++) sum[i]! += partView[i]!;
    releaseTensor(backend, part);
  }
  heapFloat32(backend, dw).set(sum);
  return dw;
}

/** The filter gradient contributed by images [first, first + count), as a new tensor. */
function filterGradientOfImages(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  g: ReturnType<typeof resolveConvGeometry>,
  first: number,
  count: number,
  outShape: number[],
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const P = count * g.outHeight * g.outWidth;
  const cols = allocateFloat32(backend, [K, P]);
  // dy's rows for these images are contiguous; a whole-batch call uses dy in place.
  const wholeBatch = first === 0 && count === g.batch;
  const dyRows = wholeBatch ? dy : allocateFloat32(backend, [P, CO]);
  if (!wholeBatch) {
    const start = first * g.outHeight * g.outWidth * CO;
    heapFloat32(backend, dyRows).set(heapFloat32(backend, dy).subarray(start, start + P * CO));
  }
  writePatchRows(heapFloat32(backend, x), g, first, count, heapFloat32(backend, cols));
  const product = matMulWasm(backend, cols, dyRows, K, P, CO);
  releaseTensor(backend, cols);
  if (!wholeBatch) releaseTensor(backend, dyRows);
  return { dataId: product.dataId, shape: outShape, dtype: 'float32' };
}

/** `Conv2DBackpropFilter` for the wasm backend (wasm has none). */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
