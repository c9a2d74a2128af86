import type { KernelConfig } from '@tensorflow/tfjs';
import { avgPoolGradConfig } from './avg-pool-grad.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { tileConfig } from './tile.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/**
 * The runner's training kernels for the `wasm` backend: gradients that wasm
 * lacks and fast replacements for the ones it has but runs slowly. One file
 * per kernel, one line per kernel here; `selectBackend` registers them (over
 * any existing kernel of the same name) when it activates wasm.
 *
 * A test keeps the names unique, and checks every kernel against the cpu
 * backend's reference.
 */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  // Keep one kernel per line, sorted by kernel name.
  avgPoolGradConfig,
  batchMatMulConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  tileConfig,
  unsortedSegmentSumConfig,
];
