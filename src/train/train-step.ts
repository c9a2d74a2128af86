import * as tf from '../tf.js';
import type { TrainSpec } from '../config/experiment.js';
import { stepObjective, type ObjectiveSettings } from './step-objective.js';
import type { UpdateRule } from './update-rules/index.js';

export interface StepSettings extends ObjectiveSettings {
  readonly gradientClipping: TrainSpec['gradientClipping'];
  readonly learningRate: number;
  /** This step's momentum when the schedule cycles it; undefined: the optimizer's own. */
  readonly momentum: number | undefined;
}

/**
 * One update: the gradients of the step's objective (`stepObjective`: the
 * mean loss, smoothed labels, kernel penalties), clipped as
 * torch.nn.utils.clip_grad_norm_ / clip_grad_value_, then the optimizer's
 * rule. Returns the batch's objective and number of correct predictions.
 */
export function trainStep(
  model: tf.LayersModel,
  rule: UpdateRule,
  variables: readonly tf.Variable[],
  xs: tf.Tensor,
  labels: tf.Tensor1D,
  settings: StepSettings,
): { loss: number; correct: number | undefined } {
  let correct: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const objective = stepObjective(model, xs, labels, settings);
    correct = objective.correct;
    return objective.loss;
  }, variables as tf.Variable[]);
  const gradients = variables.map((v) => grads[v.name]!);
  const clipped = clipGradients(gradients, settings.gradientClipping);
  rule.apply(variables, clipped, settings.learningRate, settings.momentum);
  const loss = value.dataSync()[0]!;
  const correctCount = correct === undefined ? undefined : correct.dataSync()[0]!;
  tf.dispose([value, ...(correct ? [correct] : []), ...gradients, ...clipped]);
  return { loss, correct: correctCount };
}

/**
 * clip_grad_norm_(max_norm): scale every gradient by max_norm / (total + 1e-6)
 * when the global L2 norm `total` exceeds it; clip_grad_value_(v): clamp each
 * element to [-v, v]. Returns new tensors (or the same when nothing to do).
 */
export function clipGradients(
  gradients: readonly tf.Tensor[],
  clipping: TrainSpec['gradientClipping'],
): tf.Tensor[] {
  if (clipping === undefined) return [...gradients];
  if ('value' in clipping) {
    return gradients.map((g) => tf.clipByValue(g, -clipping.value, clipping.value));
  }
  const total = Math.sqrt(
    tf.tidy(() => tf.addN(gradients.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!),
  );
  const coefficient = clipping.norm / (total + 1e-6);
  if (coefficient >= 1) return [...gradients];
  return gradients.map((g) => tf.mul(g, coefficient));
}
