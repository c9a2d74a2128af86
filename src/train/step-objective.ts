import * as tf from '../tf.js';
import { softmaxCrossEntropyFused } from '../backend/fused-ops.js';
import { LOSSES, type LossName } from './losses.js';

/** What a training step minimises, the same on the main thread and in every replica. */
export interface ObjectiveSettings {
  readonly numClasses: number;
  /** Default crossEntropy. */
  readonly loss?: LossName;
  /** Cross-entropy only (the config refuses it with a regression loss). */
  readonly labelSmoothing: number;
}

/**
 * The training objective of one batch (or one replica's share of it), to be
 * called inside `tf.variableGrads`: the mean loss in training mode — softmax
 * cross-entropy on the logits with labels smoothed as PyTorch's
 * CrossEntropyLoss(label_smoothing): y * (1 - s) + s / classes — plus the
 * layers' kernel penalties (`kernelRegularizer`, tfjs-layers' l1l2, as its
 * own `fit` adds them). On wasm the cross-entropy and the count of right
 * predictions are one kernel call (backend/fused-ops.ts), 25 op by op. `correct` (kept, the caller disposes it) counts the
 * right predictions; undefined for regression.
 */
export function stepObjective(
  model: tf.LayersModel,
  xs: tf.Tensor,
  labels: tf.Tensor1D,
  settings: ObjectiveSettings,
): { loss: tf.Scalar; correct: tf.Tensor | undefined } {
  const definition = LOSSES[settings.loss ?? 'crossEntropy'];
  const output = model.apply(xs, { training: true }) as tf.Tensor;
  let data: tf.Scalar;
  let correct: tf.Tensor | undefined;
  let fused: ReturnType<typeof softmaxCrossEntropyFused>;
  if (definition.task === 'regression') {
    data = tf.mean(definition.perExample(output, labels, settings.numClasses)) as tf.Scalar;
  } else if (
    (fused = softmaxCrossEntropyFused(output, labels, settings.labelSmoothing)) !== undefined
  ) {
    data = fused.loss;
    correct = tf.keep(fused.correct);
  } else {
    // argmax over the class axis (1), never the batch axis: a classic pitfall.
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(output, 1), labels), 'int32')));
    const oneHot = tf.oneHot(labels, settings.numClasses);
    data = tf.losses.softmaxCrossEntropy(
      oneHot,
      output,
      undefined,
      settings.labelSmoothing,
    ) as tf.Scalar;
  }
  const penalties = model.calculateLosses();
  const loss = penalties.length === 0 ? data : (tf.add(data, tf.addN(penalties)) as tf.Scalar);
  return { loss, correct };
}
