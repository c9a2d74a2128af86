import * as tf from '../tf.js';
import { BATCH_NORM_TRAIN, type BatchNormTrainAttrs } from './kernels/batch-norm-train.js';

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
