import { PadV2, type KernelConfig, type PadV2Attrs, type TensorInfo } from '../../tf.js';
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
 * `PadV2` (the zero padding before a convolution with explicit padding) as
 * a fill and one copy per contiguous row; wasm's kernel computes the source
 * of every element (1.5 ms for a batch of 128 MNIST images).
 */
export const padV2Config: KernelConfig = replacingKernel(
  PadV2,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', PadV2);
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return undefined;
    const { paddings, constantValue } = attrsOf<PadV2Attrs>(args);
    const before = x.shape.map((_, i) => paddings[i]?.[0] ?? 0);
    const outShape = x.shape.map((d, i) => d + (before[i] ?? 0) + (paddings[i]?.[1] ?? 0));
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(outShape, x.dtype);
    const dst = heapView(backend, out);
    dst.fill(constantValue);
    if (sizeOf(x.shape) > 0) {
      const zeros = x.shape.map(() => 0);
      copyBox(heapView(backend, x), x.shape, zeros, dst, outShape, before, x.shape);
    }
    return out;
  },
);
