import * as tf from '../../tf.js';
import { stepObjective, type ObjectiveSettings } from '../step-objective.js';

/** One replica's forward and backward pass over its share of a batch. */
export interface ShareGradients {
  /** The share's objective: mean loss (smoothed labels) plus kernel penalties. */
  readonly loss: number;
  readonly correct: number;
  /** Gradients of the mean loss, in the order of the variables given. */
  readonly grads: tf.Tensor[];
}

/**
 * The gradients of the share's objective with respect to `variables`, as the
 * single-worker step computes them (`stepObjective`: the mean loss with its
 * label smoothing, plus the kernel penalties — so the size-weighted average
 * of the shares is the whole batch's objective), without updating anything.
 * The caller owns (and disposes) the gradient tensors.
 */
export function computeShareGradients(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  xs: tf.Tensor4D,
  labels: tf.Tensor1D,
  objective: ObjectiveSettings,
): ShareGradients {
  let correct: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const step = stepObjective(model, xs, labels, objective);
    correct = step.correct;
    return step.loss;
  }, variables as tf.Variable[]);
  const loss = value.dataSync()[0]!;
  const correctCount = correct === undefined ? 0 : correct.dataSync()[0]!;
  tf.dispose([value, ...(correct ? [correct] : [])]);
  return { loss, correct: correctCount, grads: variables.map((v) => grads[v.name]!) };
}
