import { Identity, type KernelConfig, type TensorInfo } from '../../tf.js';
import { replacingKernel } from './replacing-kernel.js';
import { inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

/**
 * `Identity` by reference, as the cpu and webgl backends do it: the output
 * shares the input's (immutable) data. wasm's kernel copies it: 117 copies a
 * step for the tutorial net, most of them gradients passed through.
 */
export const identityConfig: KernelConfig = replacingKernel(
  Identity,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', Identity);
    if (x.dtype === 'string' || x.dtype === 'complex64') return undefined;
    wasmBackendOf(args).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
);
