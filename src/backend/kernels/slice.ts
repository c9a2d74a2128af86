import {
  Slice,
  slice_util,
  type KernelConfig,
  type SliceAttrs,
  type TensorInfo,
} from '../../tf.js';
import { replacingKernel } from './replacing-kernel.js';
import { copyBox } from './row-copy.js';
import {
  attrsOf,
  heapView,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `Slice` (the gradient of padding, crops) as one copy per contiguous row;
 * wasm's kernel computes the source of every element (1 ms for
 * [128, 17, 17, 3] to [128, 15, 15, 3]).
 */
export const sliceConfig: KernelConfig = replacingKernel(
  Slice,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', Slice);
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return undefined;
    const { begin, size } = attrsOf<SliceAttrs>(args);
    const [start, outShape] = slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(outShape, x.dtype);
    if (sizeOf(outShape) > 0) {
      const zeros = outShape.map(() => 0);
      copyBox(
        heapView(backend, x),
        x.shape,
        start,
        heapView(backend, out),
        outShape,
        zeros,
        outShape,
      );
    }
    return out;
  },
);
