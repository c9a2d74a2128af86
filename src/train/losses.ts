import * as tf from '../tf.js';
import type { Task } from '../data/index.js';

/** The values `train.loss` may take. */
export type LossName = 'crossEntropy' | 'mse' | 'mae' | 'huber';

/** One loss: what task it trains, and its value per example (the batch loss is their mean). */
export interface LossDefinition {
  readonly name: LossName;
  readonly task: Task;
  readonly description: string;
  /**
   * Per-example losses, [n]. Classification: `output` are logits [n, classes],
   * `labels` int32 class indices. Regression: `output` is [n, 1], `labels` float32 targets.
   */
  perExample(output: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Tensor1D;
}

/** Huber's delta: quadratic below, linear above (PyTorch's and Keras's default). */
export const HUBER_DELTA = 1;

/** Every loss `train.loss` may name. */
export const LOSSES: Readonly<Record<LossName, LossDefinition>> = {
  crossEntropy: {
    name: 'crossEntropy',
    task: 'classification',
    description: 'softmax cross-entropy on the logits (the last layer has no softmax)',
    perExample: (output, labels, numClasses) =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(labels, numClasses),
        output,
        undefined,
        undefined,
        tf.Reduction.NONE,
      ) as tf.Tensor1D,
  },
  mse: {
    name: 'mse',
    task: 'regression',
    description: 'mean squared error of a single output (regression)',
    perExample: (output, labels) => tf.square(tf.sub(asValues(output), labels)) as tf.Tensor1D,
  },
  mae: {
    name: 'mae',
    task: 'regression',
    description: 'mean absolute error of a single output (regression)',
    perExample: (output, labels) => tf.abs(tf.sub(asValues(output), labels)) as tf.Tensor1D,
  },
  huber: {
    name: 'huber',
    task: 'regression',
    description: `Huber loss (delta ${HUBER_DELTA}): squared near the target, absolute far from it (regression)`,
    perExample: (output, labels) => {
      const error = tf.abs(tf.sub(asValues(output), labels));
      const quadratic = tf.minimum(error, HUBER_DELTA);
      // 0.5 q^2 + delta (|e| - q), as tf.losses.huberLoss computes it.
      return tf.add(
        tf.mul(0.5, tf.square(quadratic)),
        tf.mul(HUBER_DELTA, tf.sub(error, quadratic)),
      );
    },
  },
};

/** The task a loss trains: a regression loss needs a numeric target and one output. */
export function taskOfLoss(loss: LossName): Task {
  return LOSSES[loss].task;
}

/** A regression model's output [n, 1] (or [n]) as [n] values. */
export function asValues(output: tf.Tensor): tf.Tensor1D {
  return tf.reshape(output, [-1]);
}
