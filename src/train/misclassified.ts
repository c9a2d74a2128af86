import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diskFullAt } from '../errors.js';
import type * as tf from '../tf.js';
import { encodePngDataUrl, type ImageSplit } from '../data/index.js';
import { evaluate } from './evaluate.js';

/**
 * The file in a run's artifacts folder with its most confidently misclassified
 * eval images, as runs recorded before each evaluation kept its own.
 */
export const MISCLASSIFIED_FILE = 'misclassified.json';

/** The folder in a run's artifacts folder with one grid per evaluation: `<evaluation id>.json`. */
export const MISCLASSIFIED_DIR = 'misclassified';

/** How many images the grid keeps. */
export const MISCLASSIFIED_COUNT = 16;

/** One wrongly classified image, with what the model said and how sure it was. */
export interface MisclassifiedExample {
  /** The example's index in the eval split. */
  readonly index: number;
  /** The image file (`<class>/<file>` in its folder), when known. */
  readonly file?: string;
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
  /** The evaluation whose pass found them (absent in grids from before evaluations kept one each). */
  readonly evaluationId?: number;
  readonly split: string;
  /** Examples of the split, and how many of them were wrong. */
  readonly count: number;
  readonly wrong: number;
  /** Most confident first, at most {@link MISCLASSIFIED_COUNT}. */
  readonly examples: readonly MisclassifiedExample[];
}

/** Keeps the wrong answers of one pass over an image split (`evaluate`'s `onOutputs`). */
export interface MisclassifiedCollector {
  readonly onOutputs: (probabilities: Float32Array, size: number) => void;
  /** The grid, most confident first, once the pass is over. */
  finish(): Promise<MisclassifiedImages>;
}

/**
 * Collects, during an evaluation pass over an image split, the wrong answers
 * the model was surest of, as small PNGs for the run page (named by file when
 * `files` gives each example's).
 */
export function collectMisclassified(
  split: ImageSplit,
  options: {
    readonly splitName: string;
    readonly classes: readonly string[];
    readonly files?: readonly string[] | undefined;
    readonly evaluationId?: number;
    readonly limit?: number;
  },
): MisclassifiedCollector {
  const numClasses = options.classes.length;
  const limit = options.limit ?? MISCLASSIFIED_COUNT;
  const wrong: { index: number; predicted: number; probability: number; truth: number }[] = [];
  let wrongCount = 0;
  let index = 0;
  return {
    onOutputs: (outputs, size) => {
      for (let i = 0; i < size; i++, index++) {
        const row = outputs.subarray(i * numClasses, (i + 1) * numClasses);
        let predicted = 0;
        for (let c = 1; c < numClasses; c++) if (row[c]! > row[predicted]!) predicted = c;
        const truth = split.labels[index]!;
        if (predicted === truth) continue;
        wrongCount++;
        wrong.push({ index, predicted, probability: row[predicted]!, truth: row[truth]! });
        // Bounded memory on a large split: keep the most confident few only.
        if (wrong.length >= limit * 8) keepMostConfident(wrong, limit);
      }
    },
    async finish() {
      keepMostConfident(wrong, limit);
      const size = split.height * split.width * split.channels;
      const examples: MisclassifiedExample[] = [];
      for (const w of wrong) {
        const pixels = split.images.subarray(w.index * size, (w.index + 1) * size);
        const file = options.files?.[w.index];
        examples.push({
          index: w.index,
          ...(file !== undefined ? { file } : {}),
          trueClass: options.classes[split.labels[w.index]!] ?? String(split.labels[w.index]),
          predictedClass: options.classes[w.predicted] ?? String(w.predicted),
          probability: w.probability,
          trueProbability: w.truth,
          image: await encodePngDataUrl(pixels, split.height, split.width, split.channels),
        });
      }
      return {
        ...(options.evaluationId !== undefined ? { evaluationId: options.evaluationId } : {}),
        split: options.splitName,
        count: index,
        wrong: wrongCount,
        examples,
      };
    },
  };
}

function keepMostConfident(wrong: { index: number; probability: number }[], limit: number): void {
  wrong.sort((a, b) => b.probability - a.probability || a.index - b.index);
  wrong.length = Math.min(wrong.length, limit);
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
    readonly files?: readonly string[] | undefined;
    readonly evaluationId?: number;
    readonly limit?: number;
  },
): Promise<MisclassifiedImages> {
  const collector = collectMisclassified(split, options);
  evaluate(model, split, {
    batchSize: options.batchSize,
    normalize: options.normalize,
    numClasses: options.classes.length,
    onOutputs: collector.onOutputs,
  });
  return collector.finish();
}

/** The grid file of evaluation `evaluationId` in a run's artifacts folder. */
export function misclassifiedFile(runDir: string, evaluationId: number): string {
  return join(runDir, MISCLASSIFIED_DIR, `${evaluationId}.json`);
}

/**
 * Writes an evaluation's grid into the run's artifacts folder (atomically:
 * write, then rename); throws what the file system says.
 */
export function writeMisclassified(
  runDir: string,
  evaluationId: number,
  images: MisclassifiedImages,
): void {
  const file = misclassifiedFile(runDir, evaluationId);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(images));
  } catch (error) {
    // A full disk leaves no partial file behind.
    rmSync(`${file}.tmp`, { force: true });
    throw diskFullAt(file, error);
  }
  renameSync(`${file}.tmp`, file);
}
