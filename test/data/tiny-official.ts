import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OfficialDataset, OfficialFile } from '../../src/data/official-files.js';
import { gzip, idxImagesBytes, idxLabelsBytes } from './helpers.js';

/**
 * A made-up MNIST-style dataset: four small, valid IDX files written by the
 * test itself, with their checksums computed here. It exercises the official
 * loader (data dir, system copy, cache, mirrors, checksums) without the real
 * sets, which a fresh clone does not have.
 */
export interface TinyOfficial {
  readonly dataset: OfficialDataset;
  /** `.gz` bytes as a mirror would serve them, by official file name (no `.gz`). */
  readonly gz: Readonly<Record<string, Buffer>>;
  /** Uncompressed IDX bytes, by official file name. */
  readonly raw: Readonly<Record<string, Buffer>>;
  readonly trainLabels: readonly number[];
  readonly testLabels: readonly number[];
}

export const TINY_FILE_NAMES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** Pixels from a small LCG so that gzip cannot shrink them to nothing; `seed` tells datasets apart. */
function noise(seed: number): (i: number) => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state >>> 24;
  };
}

/**
 * `name` is also the folder (`<data dir>/<name>/`); `seed` makes the content
 * differ between two tiny datasets, so only the checksum tells their files apart.
 */
export function makeTinyOfficial(
  name: string,
  options: {
    readonly seed?: number;
    readonly trainCount?: number;
    readonly testCount?: number;
    readonly systemDirs?: OfficialDataset['systemDirs'];
    readonly mirrors?: readonly string[];
  } = {},
): TinyOfficial {
  const seed = options.seed ?? 1;
  const trainCount = options.trainCount ?? 60;
  const testCount = options.testCount ?? 20;
  const trainLabels = Array.from({ length: trainCount }, (_, i) => (i * 7 + seed) % 10);
  const testLabels = Array.from({ length: testCount }, (_, i) => (i * 3 + seed + 1) % 10);
  const raw: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idxImagesBytes(trainCount, 28, 28, noise(seed)),
    'train-labels-idx1-ubyte': idxLabelsBytes(trainLabels),
    't10k-images-idx3-ubyte': idxImagesBytes(testCount, 28, 28, noise(seed + 1000)),
    't10k-labels-idx1-ubyte': idxLabelsBytes(testLabels),
  };
  const gz = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, gzip(v)]));
  const file = (fileName: string): OfficialFile => ({
    name: fileName,
    gzMd5: md5(gz[fileName]!),
    gzBytes: gz[fileName]!.length,
    rawMd5: md5(raw[fileName]!),
  });
  const dataset: OfficialDataset = {
    name,
    folder: name,
    files: {
      trainImages: file('train-images-idx3-ubyte'),
      trainLabels: file('train-labels-idx1-ubyte'),
      testImages: file('t10k-images-idx3-ubyte'),
      testLabels: file('t10k-labels-idx1-ubyte'),
    },
    numClasses: 10,
    trainCount,
    testCount,
    mirrors: options.mirrors ?? [],
    systemDirs: options.systemDirs ?? [],
  };
  return { dataset, gz, raw, trainLabels, testLabels };
}

/** Writes the tiny files into `<dir>/<folder>/` (gzip unless told otherwise). */
export async function writeTinyFiles(
  tiny: TinyOfficial,
  dir: string,
  options: { readonly names?: readonly string[]; readonly gzip?: boolean } = {},
): Promise<string> {
  const folder = join(dir, tiny.dataset.folder);
  await mkdir(folder, { recursive: true });
  for (const name of options.names ?? TINY_FILE_NAMES) {
    if (options.gzip === false) await writeFile(join(folder, name), tiny.raw[name]!);
    else await writeFile(join(folder, `${name}.gz`), tiny.gz[name]!);
  }
  return folder;
}
