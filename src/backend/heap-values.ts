import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '../tf.js';
import { simdLoopsFor, type SimdLoops } from './kernels/simd/simd-loops.js';

/**
 * The values of float32 tensors where they live in the wasm backend's
 * memory, for an update that reads and writes them in place (the fused
 * optimizers: no copy out, no new tensor, no assign). Undefined unless the
 * active backend is wasm, every tensor's data is held there, and each of
 * `writable` is the only tensor on its data (a tensor sharing it, e.g. a
 * reshape or a clone kept by reference, must keep its values). The views
 * are valid until the next allocation in the wasm memory.
 *
 * Never write a variable that kernels may use as weights in place: wasm's
 * convolutions and matrix products keep XNNPACK operators with their own
 * packed copy of a filter, keyed by its data (they would not see the new
 * values). Write such values into `uninitializedLike` and assign it.
 */
export function heapValues(
  writable: readonly tf.Tensor[],
  readable: readonly tf.Tensor[],
): { writable: Float32Array[]; readable: Float32Array[] } | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as BackendWasm;
  const held = (t: tf.Tensor): boolean =>
    t.dtype === 'float32' && !t.isDisposed && backend.dataIdMap.has(t.dataId);
  if (!writable.every((t) => held(t) && backend.refCount(t.dataId) === 1)) return undefined;
  if (!readable.every(held)) return undefined;
  const view = (t: tf.Tensor): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
  return { writable: writable.map(view), readable: readable.map(view) };
}

/** A new float32 tensor of `like`'s shape on wasm, its values not set (undefined elsewhere). */
export function uninitializedLike(like: tf.Tensor): tf.Tensor | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as BackendWasm;
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(like.shape, 'float32'), backend);
}

/**
 * The runner's SIMD loops on the active wasm backend's memory, for updates
 * that run on `heapValues` views; null on other backends or without SIMD
 * (then the caller runs its JavaScript loop, which gives the same values).
 */
export function activeSimdLoops(): SimdLoops | null {
  if (tf.getBackend() !== 'wasm') return null;
  return simdLoopsFor(tf.backend() as BackendWasm);
}
