import * as tf from '../tf.js';
import type { ImageSplit } from '../data/index.js';
import { createBatches } from '../data/index.js';

export interface Evaluation {
  /** Mean softmax cross-entropy over every example of the split. */
  readonly loss: number;
  /** Correct predictions divided by the real number of examples (not batches × batch size). */
  readonly accuracy: number;
  readonly count: number;
}

/**
 * Loss and accuracy over a whole split in inference mode: batch-norm uses its
 * moving statistics, dropout is off, and no gradients are taped.
 */
export function evaluate(
  model: tf.LayersModel,
  split: ImageSplit,
  options: {
    readonly batchSize: number;
    readonly normalize: { readonly mean: number; readonly std: number } | undefined;
    readonly numClasses: number;
  },
): Evaluation {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const batches = createBatches(split, {
    batchSize: options.batchSize,
    shuffle: false,
    seed: 0,
    epoch: 0,
    normalize: options.normalize,
  });
  for (const batch of batches) {
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const logits = model.apply(batch.xs, { training: false }) as tf.Tensor2D;
      const oneHot = tf.oneHot(batch.labels, options.numClasses);
      const losses = tf.losses.softmaxCrossEntropy(
        oneHot,
        logits,
        undefined,
        undefined,
        tf.Reduction.NONE,
      );
      const hits = tf.cast(tf.equal(tf.argMax(logits, 1), batch.labels), 'int32');
      return [tf.sum(losses).dataSync()[0]!, tf.sum(hits).dataSync()[0]!];
    });
    batch.xs.dispose();
    batch.labels.dispose();
    lossSum += batchLoss;
    correct += batchCorrect;
    count += batch.size;
  }
  return {
    loss: count > 0 ? lossSum / count : Number.NaN,
    accuracy: count > 0 ? correct / count : Number.NaN,
    count,
  };
}
