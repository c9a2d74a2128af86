import { DatasetError } from '../errors.js';
import type { ImageSplit } from './dataset.js';
import { idxImages, idxLabels, type IdxArray } from './idx-reader.js';

/**
 * Pairs an images file with its labels file, checking that the counts agree
 * and (when `numClasses` is known) that every label is a valid class.
 */
export function splitFromIdx(images: IdxArray, labels: IdxArray, numClasses?: number): ImageSplit {
  const decoded = idxImages(images);
  const labelValues = idxLabels(labels);
  if (decoded.count !== labelValues.length) {
    throw new DatasetError(
      `${labels.file}: ${labelValues.length.toLocaleString('en-US')} labels, but ${images.file} has ${decoded.count.toLocaleString('en-US')} images`,
      { hint: 'images and labels must come in matching pairs, one label per image' },
    );
  }
  const split: ImageSplit = { ...decoded, labels: labelValues };
  if (numClasses !== undefined) checkLabels(split, numClasses, labels.file);
  return split;
}

/** The largest label + 1: the class count when the user does not give one. */
export function countClasses(...splits: readonly ImageSplit[]): number {
  let max = -1;
  for (const split of splits) {
    const labels = split.labels;
    for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  }
  return max + 1;
}

export function checkLabels(split: ImageSplit, numClasses: number, file: string): void {
  const labels = split.labels;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= numClasses) {
      throw new DatasetError(
        `${file}: label ${labels[i]} at index ${i} is outside the ${numClasses} classes (0 to ${numClasses - 1})`,
        { hint: 'fix the labels, or raise the class count (data.options.classes for idx)' },
      );
    }
  }
}

/** The first `count` examples, as views (no copy). */
export function takeFirst(split: ImageSplit, count: number): ImageSplit {
  return sliceSplit(split, 0, Math.min(count, split.count));
}

/** Examples [start, end) as views into the same memory. */
export function sliceSplit(split: ImageSplit, start: number, end: number): ImageSplit {
  const size = split.height * split.width * split.channels;
  return {
    images: split.images.subarray(start * size, end * size),
    labels: split.labels.subarray(start, end),
    count: end - start,
    height: split.height,
    width: split.width,
    channels: split.channels,
    ...(split.features ? { features: split.features.subarray(start * size, end * size) } : {}),
    ...(split.targets ? { targets: split.targets.subarray(start, end) } : {}),
  };
}

/** The model input shape of one example: [channels] for a table, else [height, width, channels]. */
export function exampleShape(split: ImageSplit): number[] {
  return split.features ? [split.channels] : [split.height, split.width, split.channels];
}
