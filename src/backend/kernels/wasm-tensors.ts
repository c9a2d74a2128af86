import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { InternalError } from '../../errors.js';

/**
 * The part of `@tensorflow/tfjs-backend-wasm`'s `BackendWasm` that our kernels
 * use: tensors live in the wasm heap, addressed by `memoryOffset`. Declared
 * structurally so that this module does not import the wasm package (it is
 * loaded lazily, only when the wasm backend is chosen).
 */
export interface WasmBackendLike {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: {
    has(dataId: object): boolean;
    get(dataId: object): { memoryOffset: number } | undefined;
  };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Narrows the `backend` a kernel receives to the wasm backend, or fails loudly. */
export function asWasmBackend(backend: unknown): WasmBackendLike {
  const candidate = backend as Partial<WasmBackendLike> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.makeOutput !== 'function' ||
    typeof candidate.disposeData !== 'function' ||
    candidate.dataIdMap === undefined ||
    candidate.wasm === undefined
  ) {
    throw new InternalError(
      'a wasm training kernel was called with a backend that is not tfjs-backend-wasm',
    );
  }
  return candidate as WasmBackendLike;
}

/**
 * A float32 view of a tensor's data in the wasm heap. The view is invalidated
 * whenever the heap grows (any allocation), so take views after allocating
 * and never keep them across calls into other kernels.
 */
export function heapFloat32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry === undefined) {
    throw new InternalError('wasm kernel: tensor data is not on the wasm backend');
  }
  const size = info.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(backend.wasm.HEAPU8.buffer, entry.memoryOffset, size);
}

/** Allocates an uninitialised float32 tensor on the wasm heap (malloc: contents are garbage). */
export function allocateFloat32(backend: WasmBackendLike, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** Frees a tensor this kernel allocated and does not return. */
export function releaseTensor(backend: WasmBackendLike, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/**
 * C = A x B for row-major A [M, K] and B [K, N], by wasm's own `BatchMatMul`
 * kernel (XNNPACK fully-connected) called directly with the backend, never
 * through the engine: a kernel may not run ops. No transpose flags: wasm's
 * transposed path is a naive loop, 8-17x slower than laying operands out first.
 * The caller owns the returned [M, N] tensor.
 */
export function matMulWasm(
  backend: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  if (kernel === undefined) {
    throw new InternalError('wasm kernel: the wasm backend has no BatchMatMul kernel');
  }
  const attrs: NamedAttrMap = { transposeA: false, transposeB: false };
  const out = (kernel.kernelFunc as KernelFunc)({
    inputs: {
      a: { dataId: a.dataId, shape: [1, m, k], dtype: 'float32' },
      b: { dataId: b.dataId, shape: [1, k, n], dtype: 'float32' },
    },
    backend: backend as unknown as tf.KernelBackend,
    attrs,
  });
  const info = Array.isArray(out) ? out[0] : out;
  if (info === undefined) {
    throw new InternalError('wasm kernel: BatchMatMul returned no output');
  }
  return { dataId: info.dataId, shape: [m, n], dtype: 'float32' };
}
