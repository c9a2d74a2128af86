import { Cast, type CastAttrs, type KernelConfig, type TensorInfo } from '../../tf.js';
import { replacingKernel } from './replacing-kernel.js';
import { attrsOf, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

/**
 * `Cast` to the dtype a tensor already has, by reference (as `Identity`,
 * identity.ts): the output shares the input's immutable data. wasm's
 * kernel copies it; tfjs's gradient of `Identity` is such a cast (`dy` to
 * float32), so every tensor a layer passes through unchanged (tfjs-layers
 * clones it) cost a copy of its gradient a step. Real conversions go to
 * wasm's kernel.
 */
export const castConfig: KernelConfig = replacingKernel(
  Cast,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', Cast);
    const { dtype } = attrsOf<CastAttrs>(args);
    if (x.dtype !== dtype || dtype === 'string' || dtype === 'complex64') return undefined;
    wasmBackendOf(args).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
);
