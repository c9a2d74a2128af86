import * as tf from '../../tf.js';
import type { ReplicaPool } from './replica-pool.js';

/**
 * One data-parallel update: the replicas' averaged gradients, applied once by
 * the main thread's optimizer (whose state lives only here), so every replica
 * starts the next step from the same weights.
 */
export async function parallelTrainStep(
  pool: ReplicaPool,
  optimizer: tf.Optimizer,
  xs: tf.Tensor4D,
  labels: tf.Tensor1D,
): Promise<{ loss: number; correct: number }> {
  const { loss, correct, grads } = await pool.computeGradients(xs, labels);
  try {
    optimizer.applyGradients(grads);
  } finally {
    tf.dispose(grads);
  }
  return { loss, correct };
}
