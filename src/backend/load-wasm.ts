import { errorText, LoadFailure, type LoadedBackend } from './load-failure.js';
import * as tf from '../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { describeLoops } from './kernels/simd/simd-loops.js';
import { registerWasmTrainingKernels } from './register-kernels.js';

/** wasm with the runner's own training kernels (the plain wasm backend cannot train a conv net). */
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
