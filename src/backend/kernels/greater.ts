import { Greater, type KernelConfig, type TensorInfo } from '../../tf.js';
import { replacingKernel } from './replacing-kernel.js';
import { simdLoopsFor } from './simd/simd-loops.js';
import { heapView, inputOf, sizeOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

/**
 * `Greater` against a single number (`x > 0`, the mask of every ReLU-like
 * gradient): 16 float32 values per SIMD step (simd-loops.ts), the rest in a
 * branch-free JavaScript loop; wasm's broadcasting loop takes 8x as long
 * as the JavaScript. Other shapes go to wasm's kernel.
 */
export const greaterConfig: KernelConfig = replacingKernel(
  Greater,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const a = inputOf(args, 'a', Greater);
    const b = inputOf(args, 'b', Greater);
    if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'int32')) return undefined;
    if (sizeOf(b.shape) !== 1 || b.shape.length > a.shape.length) return undefined;
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(a.shape, 'bool');
    const as = heapView(backend, a);
    const limit = heapView(backend, b)[0] as number;
    const mask = heapView(backend, out);
    let done = 0;
    const simd = a.dtype === 'float32' ? simdLoopsFor(backend) : null;
    if (simd !== null) {
      const groups = as.length >>> 4;
      simd.greaterThan(as.byteOffset, mask.byteOffset, groups, limit);
      done = groups * 16;
    }
    // `+(a > b)` compiles to a flag move; `a > b ? 1 : 0` to a branch that mispredicts on random signs.
    for (let i = done; i < as.length; i++) mask[i] = +((as[i] as number) > limit);
    return out;
  },
);
