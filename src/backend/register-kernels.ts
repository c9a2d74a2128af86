import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs';
import { WASM_TRAINING_KERNELS } from './kernels/index.js';

let registered = false;

/**
 * Registers the runner's training kernels for `wasm`, replacing wasm's own
 * kernel of the same name where it has one. Must run before the wasm backend
 * is activated (`tf.setBackend` runs the kernels' setup functions). Returns
 * how many kernels the runner provides.
 */
export function registerWasmTrainingKernels(): number {
  if (!registered) {
    for (const config of WASM_TRAINING_KERNELS) {
      if (getKernel(config.kernelName, 'wasm') !== undefined) {
        unregisterKernel(config.kernelName, 'wasm');
      }
      registerKernel(config);
    }
    registered = true;
  }
  return WASM_TRAINING_KERNELS.length;
}
