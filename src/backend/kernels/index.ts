import type { KernelConfig } from '../../tf.js';
import { addConfig } from './add.js';
import { avgPoolGradConfig } from './avg-pool-grad.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './batch-norm-train.js';
import { castConfig } from './cast.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import { fusedBatchNormConfig } from './fused-batch-norm.js';
import { fusedConv2DConfig } from './fused-conv2d.js';
import { greaterConfig } from './greater.js';
import { identityConfig } from './identity.js';
import { leakyReluConfig } from './leaky-relu.js';
import { leakyReluGradConfig } from './leaky-relu-grad.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { meanConfig } from './mean.js';
import { multiplyConfig } from './multiply.js';
import { padV2Config } from './pad-v2.js';
import { realDivConfig } from './real-div.js';
import { selectConfig } from './select.js';
import { sliceConfig } from './slice.js';
import {
  softmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig,
} from './softmax-cross-entropy.js';
import { subConfig } from './sub.js';
import { sumConfig } from './sum.js';
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
  addConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  castConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  greaterConfig,
  identityConfig,
  leakyReluConfig,
  maxPoolGradConfig,
  meanConfig,
  multiplyConfig,
  padV2Config,
  realDivConfig,
  batchNormTrainConfig, // RunnerBatchNormTrain
  batchNormTrainGradConfig, // RunnerBatchNormTrainGrad
  leakyReluGradConfig, // RunnerLeakyReluGrad
  softmaxCrossEntropyConfig, // RunnerSoftmaxCrossEntropy
  softmaxCrossEntropyGradConfig, // RunnerSoftmaxCrossEntropyGrad
  selectConfig,
  sliceConfig,
  subConfig,
  sumConfig,
  tileConfig,
  unsortedSegmentSumConfig,
];
