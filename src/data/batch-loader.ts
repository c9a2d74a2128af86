import * as tf from '../tf.js';
import type { ImageSplit } from './dataset.js';
import { createBatchArrays, type BatchOptions } from './batch-arrays.js';
import { exampleShape } from './image-split.js';

/** One batch, ready for the model. The caller owns (and disposes) both tensors. */
export interface Batch {
  /**
   * [size, height, width, channels] float32, scaled to [0, 1] then normalized;
   * [size, features] for a table.
   */
  readonly xs: tf.Tensor;
  /** [size] int32 class indices; for regression, [size] float32 target values. */
  readonly labels: tf.Tensor1D;
  /** Real number of examples: count accuracy over this, not the batch size. */
  readonly size: number;
  readonly index: number;
}

/**
 * The batches of one epoch. Images stay uint8 in `split`; each batch is
 * converted on demand (one pass through a 256-entry table), so memory holds
 * one batch of floats at a time. The last, partial batch is kept.
 *
 * @example
 * for (const batch of createBatches(data.train, { batchSize: 128, shuffle: true, seed, epoch, normalize })) {
 *   try { step(batch.xs, batch.labels, batch.size); } finally { batch.xs.dispose(); batch.labels.dispose(); }
 * }
 */
export function* createBatches(split: ImageSplit, options: BatchOptions): Generator<Batch> {
  const shape = exampleShape(split);
  for (const arrays of createBatchArrays(split, options)) {
    yield {
      xs: tf.tensor(arrays.xs, [arrays.size, ...shape], 'float32'),
      labels:
        arrays.targets === undefined
          ? tf.tensor1d(arrays.labels, 'int32')
          : tf.tensor1d(arrays.targets, 'float32'),
      size: arrays.size,
      index: arrays.index,
    };
  }
}
