import type { GradConfig } from '../../tf.js';
import { batchNormTrainGradConfig } from './batch-norm-train-grad.js';
import { fusedConv2dGradConfig } from './fused-conv2d-grad.js';
import { leakyReluGradConfig } from './leaky-relu-grad.js';
import { meanGradConfig } from './mean-grad.js';
import { reluGradConfig } from './relu-grad.js';
import { softmaxCrossEntropyGradConfig } from './softmax-cross-entropy-grad.js';
import { sumGradConfig } from './sum-grad.js';

/**
 * Gradients the runner registers in place of tfjs-core's when it activates
 * wasm: same values, fewer and cheaper kernels. Gradients are global in
 * tfjs (not per backend), so each must compute exactly what it replaces;
 * a test checks each against its definition.
 */
export const TRAINING_GRADIENTS: readonly GradConfig[] = [
  // One gradient per line, sorted by kernel name.
  fusedConv2dGradConfig,
  leakyReluGradConfig,
  meanGradConfig,
  reluGradConfig,
  batchNormTrainGradConfig, // RunnerBatchNormTrain
  softmaxCrossEntropyGradConfig, // RunnerSoftmaxCrossEntropy
  sumGradConfig,
];
