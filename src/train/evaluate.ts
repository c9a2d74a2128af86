import * as tf from '../tf.js';
import type { ImageSplit, Task } from '../data/index.js';
import { createBatches } from '../data/index.js';
import { addToCounts, emptyCounts } from './confusion-matrix.js';
import { asValues, LOSSES, type LossName } from './losses.js';

export interface Evaluation {
  /** Mean loss over every example of the split (softmax cross-entropy, or the regression loss). */
  readonly loss: number;
  /** Classification: correct predictions over the real number of examples (not batches × batch size). */
  readonly accuracy: number | undefined;
  /** Regression: root mean squared error and mean absolute error. */
  readonly rmse: number | undefined;
  readonly mae: number | undefined;
  readonly count: number;
  /** Classification: `confusion[true][predicted]` counts, summing to `count`. */
  readonly confusion: number[][] | undefined;
}

export interface EvaluateOptions {
  readonly batchSize: number;
  readonly normalize: { readonly mean: number; readonly std: number } | undefined;
  readonly numClasses: number;
  /** Default crossEntropy. */
  readonly loss?: LossName;
  /** Called with each batch's outputs: probabilities [n, classes] (softmax) or values [n]. */
  readonly onOutputs?: (outputs: Float32Array, size: number) => void;
  /** Called after each batch with the examples evaluated so far and the split's size. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Loss and accuracy (classification, with the confusion matrix) or RMSE and
 * MAE (regression) over a whole split in inference mode: batch-norm uses its
 * moving statistics, dropout is off, and no gradients are taped.
 */
export function evaluate(
  model: tf.LayersModel,
  split: ImageSplit,
  options: EvaluateOptions,
): Evaluation {
  const loss = LOSSES[options.loss ?? 'crossEntropy'];
  const task: Task = loss.task;
  let lossSum = 0;
  let correct = 0;
  let squares = 0;
  let absolutes = 0;
  let count = 0;
  const confusion = task === 'classification' ? emptyCounts(options.numClasses) : undefined;
  const batches = createBatches(split, {
    batchSize: options.batchSize,
    shuffle: false,
    seed: 0,
    epoch: 0,
    normalize: options.normalize,
  });
  for (const batch of batches) {
    const result = tf.tidy(() => {
      const output = model.apply(batch.xs, { training: false }) as tf.Tensor;
      const batchLoss = tf.sum(loss.perExample(output, batch.labels, options.numClasses));
      if (task === 'classification') {
        const predicted = tf.argMax(output, 1);
        const shown = options.onOutputs ? tf.softmax(output as tf.Tensor2D).dataSync() : undefined;
        return {
          loss: batchLoss.dataSync()[0]!,
          predicted: predicted.dataSync(),
          truth: batch.labels.dataSync(),
          values: shown,
        };
      }
      const values = asValues(output);
      const error = tf.sub(values, batch.labels);
      return {
        loss: batchLoss.dataSync()[0]!,
        squares: tf.sum(tf.square(error)).dataSync()[0]!,
        absolutes: tf.sum(tf.abs(error)).dataSync()[0]!,
        values: options.onOutputs ? values.dataSync() : undefined,
      };
    });
    batch.xs.dispose();
    batch.labels.dispose();
    lossSum += result.loss;
    if ('predicted' in result && result.predicted && result.truth) {
      addToCounts(confusion!, result.truth, result.predicted);
      for (let i = 0; i < batch.size; i++) if (result.truth[i] === result.predicted[i]) correct++;
    } else if ('squares' in result) {
      squares += result.squares ?? 0;
      absolutes += result.absolutes ?? 0;
    }
    if (result.values !== undefined) options.onOutputs!(result.values as Float32Array, batch.size);
    count += batch.size;
    options.onProgress?.(count, split.count);
  }
  const mean = (sum: number): number => (count > 0 ? sum / count : Number.NaN);
  return {
    loss: mean(lossSum),
    accuracy: task === 'classification' ? mean(correct) : undefined,
    rmse: task === 'regression' ? Math.sqrt(mean(squares)) : undefined,
    mae: task === 'regression' ? mean(absolutes) : undefined,
    count,
    confusion,
  };
}

/**
 * The metrics an evaluation records, by name: `loss` and `accuracy`, or
 * `loss`, `rmse` and `mae`. Keys get the split as prefix (`test/rmse`).
 */
export function evaluationMetrics(evaluation: Evaluation): Record<string, number> {
  const metrics: Record<string, number> = { loss: evaluation.loss };
  if (evaluation.accuracy !== undefined) metrics['accuracy'] = evaluation.accuracy;
  if (evaluation.rmse !== undefined) metrics['rmse'] = evaluation.rmse;
  if (evaluation.mae !== undefined) metrics['mae'] = evaluation.mae;
  return metrics;
}
