import { DatasetError } from '../errors.js';
import type { ImageSplit } from './dataset.js';
import type { AugmentSpec } from '../config/experiment.js';
import { augmentsAnything, fillAugmentedBatch } from './augment.js';
import { createRandom, mixSeed, shuffleInPlace } from './random.js';

export interface BatchOptions {
  readonly batchSize: number;
  /** Visit the examples in a new seeded order each epoch; false keeps file order. */
  readonly shuffle: boolean;
  readonly seed: number;
  /** 0-based epoch: with the seed, decides the order. */
  readonly epoch: number;
  /** After scaling to [0, 1]: (x - mean) / std. */
  readonly normalize: { readonly mean: number; readonly std: number } | undefined;
  /** Random changes of each image (training batches only); undefined: none. */
  readonly augment?: AugmentSpec | undefined;
  /** Start at this 0-based batch of the epoch (a resumed run); default 0. */
  readonly firstBatch?: number;
}

/** One batch as plain arrays (NHWC float32 pixels, int32 labels), before it becomes tensors. */
export interface BatchArrays {
  readonly xs: Float32Array;
  /** Class indices (empty for regression). */
  readonly labels: Int32Array;
  /** Regression: the target values; undefined for classification. */
  readonly targets: Float32Array | undefined;
  /** Real number of examples: the last batch of an epoch may be smaller than the batch size. */
  readonly size: number;
  /** 0-based position of the batch in the epoch. */
  readonly index: number;
}

/**
 * The order in which an epoch visits the examples: 0..count-1, or a
 * Fisher-Yates shuffle seeded by (seed, epoch), so the same seed and epoch
 * always give the same order.
 */
export function epochOrder(
  count: number,
  options: Pick<BatchOptions, 'shuffle' | 'seed' | 'epoch'>,
): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (options.shuffle) shuffleInPlace(order, createRandom(mixSeed(options.seed, options.epoch)));
  return order;
}

/** The example indices of each batch of one epoch, as views of one order array; the last may be short. */
export function* batchIndices(
  count: number,
  options: Pick<BatchOptions, 'batchSize' | 'shuffle' | 'seed' | 'epoch'>,
): Generator<Uint32Array> {
  checkBatchSize(options.batchSize);
  const order = epochOrder(count, options);
  for (let start = 0; start < count; start += options.batchSize) {
    yield order.subarray(start, Math.min(start + options.batchSize, count));
  }
}

export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** Byte value → network input: x / 255, then (x - mean) / std; 256 entries, looked up per pixel. */
export function pixelTable(normalize: BatchOptions['normalize']): Float32Array {
  const table = new Float32Array(256);
  const mean = normalize?.mean ?? 0;
  const std = normalize?.std ?? 1;
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / std;
  return table;
}

/**
 * Copies the examples `indices` of `split` into `xs` (through `table`) and
 * `labels`: the whole per-batch work, one pass over the batch's pixels.
 * A table's features are copied as they are (encoded when loaded), and a
 * regression split's targets go to `targets`.
 */
export function fillBatch(
  split: ImageSplit,
  indices: Uint32Array,
  table: Float32Array,
  xs: Float32Array,
  labels: Int32Array,
  targets?: Float32Array,
): void {
  const size = split.height * split.width * split.channels;
  const images = split.images;
  const splitLabels = split.labels;
  const features = split.features;
  const values = split.targets;
  if (features !== undefined || values !== undefined) {
    for (let b = 0; b < indices.length; b++) {
      const example = indices[b]!;
      if (values !== undefined && targets !== undefined) targets[b] = values[example]!;
      else labels[b] = splitLabels[example]!;
      if (features !== undefined) {
        xs.set(features.subarray(example * size, (example + 1) * size), b * size);
      } else {
        const from = example * size;
        const to = b * size;
        for (let p = 0; p < size; p++) xs[to + p] = table[images[from + p]!]!;
      }
    }
    return;
  }
  for (let b = 0; b < indices.length; b++) {
    const example = indices[b]!;
    labels[b] = splitLabels[example]!;
    const from = example * size;
    const to = b * size;
    for (let p = 0; p < size; p++) xs[to + p] = table[images[from + p]!]!;
  }
}

/**
 * The batches of one epoch as fresh arrays (each batch owns its arrays, so
 * they can back a tensor without a copy).
 */
export function* createBatchArrays(
  split: ImageSplit,
  options: BatchOptions,
): Generator<BatchArrays> {
  if (options.normalize !== undefined && !(options.normalize.std > 0)) {
    throw new DatasetError(
      `data.normalize.std: expected a positive number, found ${options.normalize.std}`,
    );
  }
  const table = pixelTable(options.normalize);
  const size = split.height * split.width * split.channels;
  const augment = augmentsAnything(options.augment) ? options.augment : undefined;
  const firstBatch = options.firstBatch ?? 0;
  let index = 0;
  for (const indices of batchIndices(split.count, options)) {
    if (index < firstBatch) {
      index++;
      continue;
    }
    const xs = new Float32Array(indices.length * size);
    const regression = split.targets !== undefined;
    const labels = new Int32Array(regression ? 0 : indices.length);
    const targets = regression ? new Float32Array(indices.length) : undefined;
    if (augment === undefined || split.features !== undefined) {
      fillBatch(split, indices, table, xs, labels, targets);
    } else {
      const position = { seed: options.seed, epoch: options.epoch, batch: index };
      const std = options.normalize?.std ?? 1;
      fillAugmentedBatch(split, indices, table, xs, labels, augment, position, std);
      if (targets !== undefined) {
        for (let b = 0; b < indices.length; b++) targets[b] = split.targets![indices[b]!]!;
      }
    }
    yield { xs, labels, targets, size: indices.length, index };
    index++;
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DatasetError(`data.batchSize: expected a positive integer, found ${batchSize}`);
  }
}
