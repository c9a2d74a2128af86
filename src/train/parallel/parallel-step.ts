import * as tf from '../../tf.js';
import { clipGradients, type StepSettings } from '../train-step.js';
import type { UpdateRule } from '../update-rules/index.js';
import type { ReplicaPool, ShareSource } from './replica-pool.js';

/**
 * One data-parallel update: the replicas' averaged gradients, clipped and
 * applied once by the main thread's update rule (whose state lives only
 * here), so every replica starts the next step from the same weights.
 * `whileWaiting` runs on the main thread while the workers may still be
 * computing (the loop prepares its next batch there).
 */
export async function parallelTrainStep(
  pool: ReplicaPool,
  rule: UpdateRule,
  variables: readonly tf.Variable[],
  batch: ShareSource,
  settings: StepSettings,
  whileWaiting?: () => void,
): Promise<{ loss: number; correct: number }> {
  const { loss, correct, grads } = await pool.computeBatchGradients(batch, whileWaiting);
  const gradients = variables.map((v) => grads[v.name]!);
  const clipped = clipGradients(gradients, settings.gradientClipping);
  try {
    rule.apply(variables, clipped, settings.learningRate, settings.momentum);
  } finally {
    tf.dispose([...Object.values(grads), ...clipped]);
  }
  return { loss, correct };
}
