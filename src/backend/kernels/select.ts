import { Select, type KernelConfig, type TensorInfo } from '../../tf.js';
import { replacingKernel } from './replacing-kernel.js';
import { simdLoopsFor } from './simd/simd-loops.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

/**
 * `Select` (`where`) of same-shaped float32 operands, used by every
 * leaky-ReLU gradient: a bit select, 4 values per SIMD step (simd-loops.ts),
 * the rest in a branch-free JavaScript loop (2x faster than wasm's kernel).
 * Row-wise conditions and other dtypes go to wasm's kernel.
 */
export const selectConfig: KernelConfig = replacingKernel(
  Select,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const condition = inputOf(args, 'condition', Select);
    const t = inputOf(args, 't', Select);
    const e = inputOf(args, 'e', Select);
    if (t.dtype !== 'float32' || e.dtype !== 'float32' || condition.dtype !== 'bool')
      return undefined;
    const same = (shape: readonly number[]): boolean =>
      shape.length === t.shape.length && shape.every((d, i) => d === t.shape[i]);
    if (!same(e.shape) || !same(condition.shape)) return undefined;
    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(t.shape, 'float32');
    const c = heapView(backend, condition);
    const ts = int32View(backend, t);
    const es = int32View(backend, e);
    const ys = int32View(backend, out);
    let done = 0;
    const simd = simdLoopsFor(backend);
    if (simd !== null) {
      const groups = ys.length >>> 2;
      simd.select(c.byteOffset, ts.byteOffset, es.byteOffset, ys.byteOffset, groups);
      done = groups * 4;
    }
    // Select the bits: mask is all ones where the condition is 1. A branch on
    // the condition would mispredict half the time on a ReLU mask.
    for (let i = done; i < ys.length; i++) {
      const mask = -(c[i] as number);
      ys[i] = ((ts[i] as number) & mask) | ((es[i] as number) & ~mask);
    }
    return out;
  },
);

function int32View(backend: BackendWasm, info: TensorInfo): Int32Array {
  const floats = heapView(backend, info);
  return new Int32Array(floats.buffer, floats.byteOffset, floats.length);
}
