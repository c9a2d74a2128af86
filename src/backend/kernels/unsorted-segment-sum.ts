import {
  UnsortedSegmentSum,
  type KernelConfig,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
} from '../../tf.js';
import {
  attrsOf,
  heapView,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `UnsortedSegmentSum`, which wasm lacks: the gradient of `gather`, so of
 * every embedding layer. Row i of `x` is added to output row `segmentIds[i]`;
 * ids outside [0, numSegments) are dropped, as on the cpu backend.
 */
export function unsortedSegmentSum(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const x = inputOf(args, 'x', UnsortedSegmentSum);
  const segmentIds = inputOf(args, 'segmentIds', UnsortedSegmentSum);
  const { numSegments } = attrsOf<UnsortedSegmentSumAttrs>(args);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = sizeOf(rowShape);
  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  const xValues = heapView(backend, x);
  const ids = heapView(backend, segmentIds);
  const outValues = heapView(backend, out);
  outValues.fill(0);
  const rows = sizeOf(segmentIds.shape);
  for (let i = 0; i < rows; i++) {
    const id = ids[i] as number;
    if (!(id >= 0 && id < numSegments)) continue;
    const from = i * rowSize;
    const to = id * rowSize;
    for (let j = 0; j < rowSize; j++) {
      outValues[to + j] = (outValues[to + j] as number) + (xValues[from + j] as number);
    }
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
