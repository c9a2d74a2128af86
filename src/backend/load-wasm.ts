import { errorText, LoadFailure, type LoadedBackend } from './load-failure.js';
import * as tf from '../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describeLoops } from './kernels/simd/simd-loops.js';
import { registerWasmTrainingKernels } from './register-kernels.js';

/**
 * wasm with the runner's own training kernels (the plain wasm backend cannot train a conv net).
 *
 * The single-threaded SIMD build, on purpose: tfjs-backend-wasm 4.22 turns its threaded-SIMD
 * build off under Node (WASM_HAS_MULTITHREAD_SUPPORT is false there, tfjs#3830), and forced on
 * it cannot start its pthreads (workers from blob: URLs, which worker_threads refuses). With both
 * worked around (worker and main script written to files, Dec 2026), the build loads and starts
 * its 8 pooled workers, but XNNPACK's pool still reports 1 thread after setThreadsCount(2) or
 * init_with_threads_count(2), no pthread is ever created (as in tfjs#8513), and a 64x28x28x8
 * conv took no less time (5-8 vs 5-6 ms, load ~5). A second core is used by data-parallel
 * replicas instead (src/train/parallel).
 */
export async function loadWasm(): Promise<LoadedBackend> {
  try {
    // Importing the package registers the `wasm` backend factory and its kernels.
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new LoadFailure(
      `wasm does not load (${errorText(error)})`,
      'reinstall @tensorflow/tfjs-backend-wasm with `npm install`',
      error,
    );
  }
  const count = registerWasmTrainingKernels();
  const kernels = `wasm + runner training kernels (${count})`;
  return {
    tfName: 'wasm',
    kernels,
    // Whether the SIMD loops loaded is known once the backend (its memory) exists.
    describeActive: () => `${kernels}, ${describeLoops(tf.findBackend('wasm') as BackendWasm)}`,
  };
}
