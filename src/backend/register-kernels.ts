import {
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '../tf.js';
import { TRAINING_GRADIENTS } from './gradients/index.js';
import { WASM_TRAINING_KERNELS } from './kernels/index.js';
import { isReplacingKernel } from './kernels/replacing-kernel.js';
import { keepSavedTensorsByReference } from './saved-by-reference.js';

let registered = false;

/**
 * Registers the runner's training kernels for `wasm`, replacing wasm's own
 * kernel of the same name where it has one, and its cheaper gradients
 * (TRAINING_GRADIENTS, identical values). Must run before the wasm backend
 * is activated (`tf.setBackend` runs the kernels' setup functions), and has
 * gradients keep the tensors they save by reference (saved-by-reference.ts).
 * Returns how many kernels the runner provides.
 */
export function registerWasmTrainingKernels(): number {
  if (!registered) {
    for (const config of WASM_TRAINING_KERNELS) {
      const replaced = getKernel(config.kernelName, 'wasm');
      if (replaced !== undefined) {
        unregisterKernel(config.kernelName, 'wasm');
        if (isReplacingKernel(config)) config.adoptReplaced(replaced);
      }
      registerKernel(keepingSetupOf(replaced, config));
    }
    for (const gradient of TRAINING_GRADIENTS) registerGradient(gradient);
    keepSavedTensorsByReference();
    registered = true;
  }
  return WASM_TRAINING_KERNELS.length;
}

/**
 * wasm's kernels call each other's functions directly (e.g. Tile inside
 * others), and those functions bind their C entry point in the kernel's
 * setup: a replaced kernel's setup must keep running.
 */
function keepingSetupOf(replaced: KernelConfig | undefined, config: KernelConfig): KernelConfig {
  const oldSetup = replaced?.setupFunc;
  if (oldSetup === undefined) return config;
  const newSetup = config.setupFunc;
  return {
    ...config,
    setupFunc: (backend) => {
      oldSetup(backend);
      newSetup?.(backend);
    },
  };
}
