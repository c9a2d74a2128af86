import * as tf from '../tf.js';
import { fusedConv2dGradConfig } from './gradients/fused-conv2d-grad.js';
import { BATCH_NORM_TRAIN, type BatchNormTrainAttrs } from './kernels/batch-norm-train.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  type SoftmaxCrossEntropyAttrs,
} from './kernels/softmax-cross-entropy.js';

/** What one fused batch-norm training step gives. */
export interface BatchNormTrainResult {
  readonly y: tf.Tensor;
  /** The moving mean and variance after this batch. */
  readonly movingMean: tf.Tensor;
  readonly movingVariance: tf.Tensor;
}

/**
 * Batch norm's training step over the last axis in one kernel call (and
 * its gradient in one more), where the active backend has the runner's
 * kernel (wasm); undefined elsewhere, where the caller computes it op by op.
 * `gamma`, `beta`, the moving statistics: float32 [C].
 */
export function batchNormTrainFused(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  movingMean: tf.Tensor,
  movingVariance: tf.Tensor,
  attrs: BatchNormTrainAttrs,
): BatchNormTrainResult | undefined {
  if (x.dtype !== 'float32' || tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) === undefined) {
    return undefined;
  }
  const [y, , , newMean, newVariance] = tf
    .engine()
    .runKernel(
      BATCH_NORM_TRAIN,
      { x, gamma, beta, movingMean, movingVariance },
      { ...attrs },
    ) as tf.Tensor[];
  if (y === undefined || newMean === undefined || newVariance === undefined) {
    throw new Error(`${BATCH_NORM_TRAIN} returned too few outputs`);
  }
  return { y, movingMean: newMean, movingVariance: newVariance };
}

/**
 * A classifier's objective in one kernel call (its gradient in one more):
 * the mean softmax cross-entropy of `logits` [n, K] against int32 `labels`
 * [n] with PyTorch's label smoothing, and the count of right predictions
 * (int32 scalar, no gradient). Where the active backend has the runner's
 * kernel (wasm); undefined elsewhere, where the caller computes it op by op.
 */
export function softmaxCrossEntropyFused(
  logits: tf.Tensor,
  labels: tf.Tensor,
  labelSmoothing: number,
): { loss: tf.Scalar; correct: tf.Scalar } | undefined {
  if (
    logits.dtype !== 'float32' ||
    logits.rank !== 2 ||
    labels.dtype !== 'int32' ||
    labels.rank !== 1 ||
    tf.getKernel(SOFTMAX_CROSS_ENTROPY, tf.getBackend()) === undefined
  ) {
    return undefined;
  }
  const attrs: SoftmaxCrossEntropyAttrs = { labelSmoothing };
  const [loss, correct] = tf
    .engine()
    .runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels }, { ...attrs }) as tf.Scalar[];
  if (loss === undefined || correct === undefined) {
    throw new Error(`${SOFTMAX_CROSS_ENTROPY} returned too few outputs`);
  }
  return { loss, correct };
}

/** The activations {@link conv2dBiasActivation} fuses. */
export type FusedConvActivation = 'linear' | 'relu';

/**
 * conv2d (NHWC, dilation 1) + bias + activation in one `FusedConv2D` kernel
 * call, differentiated by the runner's gradient (gradients/fused-conv2d-grad.ts),
 * which computes only the gradients the graph needs: unlike tfjs's
 * `fused.conv2d`, it skips the input gradient of a layer whose input is
 * data, and it fuses ReLU in training too (tfjs then runs Conv2D, Add and
 * Relu). On wasm with the runner's kernels; undefined elsewhere, where the
 * caller uses tfjs's own path. `bias`: [outChannels] or null.
 */
export function conv2dBiasActivation(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  strides: [number, number],
  pad: 'valid' | 'same',
  activation: FusedConvActivation,
): tf.Tensor4D | undefined {
  if (
    x.dtype !== 'float32' ||
    filter.dtype !== 'float32' ||
    (bias !== null && bias.dtype !== 'float32') ||
    tf.getBackend() !== 'wasm' ||
    tf.getGradient(tf.FusedConv2D) !== fusedConv2dGradConfig
  ) {
    return undefined;
  }
  const inputs = bias === null ? { x, filter } : { x, filter, bias };
  return tf.engine().runKernel(tf.FusedConv2D, inputs, {
    strides,
    pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    activation,
  }) as tf.Tensor4D;
}
