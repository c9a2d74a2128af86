import * as tf from '../tf.js';
import type { TrainSpec } from '../config/experiment.js';
import { LOSSES, type LossName } from './losses.js';
import type { UpdateRule } from './update-rules/index.js';

export interface StepSettings {
  readonly numClasses: number;
  /** Default crossEntropy. */
  readonly loss?: LossName;
  readonly labelSmoothing: number;
  readonly gradientClipping: TrainSpec['gradientClipping'];
  readonly learningRate: number;
}

/**
 * One update: softmax cross-entropy on the logits (labels smoothed as
 * PyTorch's CrossEntropyLoss(label_smoothing): y * (1 - s) + s / classes),
 * gradients clipped as torch.nn.utils.clip_grad_norm_ / clip_grad_value_,
 * then the optimizer's rule. Returns the batch's mean loss and number of
 * correct predictions.
 */
export function trainStep(
  model: tf.LayersModel,
  rule: UpdateRule,
  variables: readonly tf.Variable[],
  xs: tf.Tensor,
  labels: tf.Tensor1D,
  settings: StepSettings,
): { loss: number; correct: number | undefined } {
  const definition = LOSSES[settings.loss ?? 'crossEntropy'];
  let correct: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    if (definition.task === 'regression') {
      const output = model.apply(xs, { training: true }) as tf.Tensor;
      return tf.mean(definition.perExample(output, labels, settings.numClasses)) as tf.Scalar;
    }
    const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
    // argmax over the class axis (1), never the batch axis: a classic pitfall.
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
    const oneHot = tf.oneHot(labels, settings.numClasses);
    return tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, settings.labelSmoothing);
  }, variables as tf.Variable[]);
  const gradients = variables.map((v) => grads[v.name]!);
  const clipped = clipGradients(gradients, settings.gradientClipping);
  rule.apply(variables, clipped, settings.learningRate);
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
