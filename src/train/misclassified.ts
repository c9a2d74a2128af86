import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '../tf.js';
import { encodePngDataUrl, type ImageSplit } from '../data/index.js';
import { evaluate } from './evaluate.js';

/** The file in a run's artifacts folder with its most confidently misclassified eval images. */
export const MISCLASSIFIED_FILE = 'misclassified.json';

/** How many images the grid keeps. */
export const MISCLASSIFIED_COUNT = 16;

/** One wrongly classified image, with what the model said and how sure it was. */
export interface MisclassifiedExample {
  /** The example's index in the eval split. */
  readonly index: number;
  readonly trueClass: string;
  readonly predictedClass: string;
  /** The probability of the predicted class. */
  readonly probability: number;
  /** The probability the model gave the true class. */
  readonly trueProbability: number;
  /** A PNG data URL of the image as the model saw it (decoded and resized). */
  readonly image: string;
}

/** What `misclassified.json` holds. */
export interface MisclassifiedImages {
  readonly split: string;
  /** Examples of the split, and how many of them were wrong. */
  readonly count: number;
  readonly wrong: number;
  /** Most confident first, at most {@link MISCLASSIFIED_COUNT}. */
  readonly examples: readonly MisclassifiedExample[];
}

/**
 * Classifies an image split once more with the final model and keeps the
 * wrong answers the model was surest of, as small PNGs, for the run page.
 */
export async function findMisclassified(
  model: tf.LayersModel,
  split: ImageSplit,
  options: {
    readonly splitName: string;
    readonly classes: readonly string[];
    readonly batchSize: number;
    readonly normalize: { readonly mean: number; readonly std: number } | undefined;
    readonly limit?: number;
  },
): Promise<MisclassifiedImages> {
  const numClasses = options.classes.length;
  const wrong: { index: number; predicted: number; probability: number; truth: number }[] = [];
  let index = 0;
  evaluate(model, split, {
    batchSize: options.batchSize,
    normalize: options.normalize,
    numClasses,
    onOutputs: (outputs, size) => {
      for (let i = 0; i < size; i++, index++) {
        const row = outputs.subarray(i * numClasses, (i + 1) * numClasses);
        let predicted = 0;
        for (let c = 1; c < numClasses; c++) if (row[c]! > row[predicted]!) predicted = c;
        const truth = split.labels[index]!;
        if (predicted !== truth) {
          wrong.push({ index, predicted, probability: row[predicted]!, truth: row[truth]! });
        }
      }
    },
  });
  wrong.sort((a, b) => b.probability - a.probability || a.index - b.index);
  const size = split.height * split.width * split.channels;
  const examples: MisclassifiedExample[] = [];
  for (const w of wrong.slice(0, options.limit ?? MISCLASSIFIED_COUNT)) {
    const pixels = split.images.subarray(w.index * size, (w.index + 1) * size);
    examples.push({
      index: w.index,
      trueClass: options.classes[split.labels[w.index]!] ?? String(split.labels[w.index]),
      predictedClass: options.classes[w.predicted] ?? String(w.predicted),
      probability: w.probability,
      trueProbability: w.truth,
      image: await encodePngDataUrl(pixels, split.height, split.width, split.channels),
    });
  }
  return { split: options.splitName, count: split.count, wrong: wrong.length, examples };
}

/** Writes the grid's file into the run's artifacts folder (atomically: write, then rename). */
export function writeMisclassified(runDir: string, images: MisclassifiedImages): void {
  const file = join(runDir, MISCLASSIFIED_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(images));
  renameSync(`${file}.tmp`, file);
}
