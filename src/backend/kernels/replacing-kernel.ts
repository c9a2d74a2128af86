import type { KernelConfig, KernelFunc, TensorInfo } from '../../tf.js';
import { InternalError } from '../../errors.js';
import type { WasmKernelArgs } from './wasm-tensors.js';

/**
 * A runner kernel that computes the cases wasm runs slowly (say a multiply
 * by a per-channel vector) and hands every other case back to the wasm
 * kernel it replaces. Registration gives it that kernel (`adoptReplaced`).
 */
export interface ReplacingKernelConfig extends KernelConfig {
  readonly adoptReplaced: (replaced: KernelConfig) => void;
}

export function isReplacingKernel(config: KernelConfig): config is ReplacingKernelConfig {
  return typeof (config as Partial<ReplacingKernelConfig>).adoptReplaced === 'function';
}

/**
 * A kernel config around `fast`, which returns its output, or `undefined`
 * for a case it leaves to wasm's own kernel.
 */
export function replacingKernel(
  kernelName: string,
  fast: (args: WasmKernelArgs) => TensorInfo | undefined,
  setupFunc?: (backend: object) => void,
): ReplacingKernelConfig {
  let replaced: KernelFunc | undefined;
  const kernelFunc: KernelFunc = (args) => {
    const out = fast(args);
    if (out !== undefined) return out;
    if (replaced === undefined) {
      throw new InternalError(`${kernelName}: the wasm kernel it replaces was never registered`);
    }
    return replaced(args);
  };
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc,
    ...(setupFunc === undefined ? {} : { setupFunc }),
    adoptReplaced: (config) => {
      replaced = config.kernelFunc;
    },
  };
}
