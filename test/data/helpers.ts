import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DataSpec } from '../../src/config/experiment.js';

/**
 * The official MNIST files on development and CI machines (the product never
 * knows this path): `$RUNNER_TEST_SHARED_DATA`, else `shared/data` beside the
 * checkout, as CI lays it out. Undefined when neither holds `mnist/`.
 */
export const SHARED_DATA_DIR: string | undefined = [
  process.env['RUNNER_TEST_SHARED_DATA'],
  join(import.meta.dirname, '..', '..', '..', 'shared', 'data'),
].find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'mnist')));
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const DEBIAN_PRESENT = existsSync(join(DEBIAN_FASHION_DIR, 'train-images-idx3-ubyte.gz'));

/** A full-size data set some tests need, and whether this machine has it. */
export interface FullSet {
  /** False: the tests that need it are skipped (never under `CI=true`, where they run and fail). */
  readonly run: boolean;
  /** The folder; throws, naming what is missing, when the set is absent (CI). */
  dir(): string;
}

function fullSet(what: string, dir: string | undefined, howToGet: string): FullSet {
  const present = dir !== undefined;
  const ci = process.env['CI'] === 'true';
  let announced = false;
  return {
    get run() {
      // One line per test file that would use the set, the first time it asks.
      if (!present && !ci && !announced) {
        announced = true;
        process.stderr.write(`skipped: tests that need ${what} (not found; ${howToGet})\n`);
      }
      return present || ci;
    },
    dir: () => {
      if (dir === undefined) {
        throw new Error(`missing: ${what} (${howToGet}); CI=true requires them`);
      }
      return dir;
    },
  };
}

/** The official MNIST files (`<dir>/mnist/`): the shared data folder. */
export const FULL_MNIST = fullSet(
  'the official MNIST files',
  SHARED_DATA_DIR,
  'set RUNNER_TEST_SHARED_DATA to a folder holding mnist/, or put shared/data/mnist beside the checkout',
);

/** Debian's Fashion-MNIST (`apt-get install dataset-fashion-mnist`). */
export const DEBIAN_FASHION = fullSet(
  "Debian's Fashion-MNIST",
  DEBIAN_PRESENT ? DEBIAN_FASHION_DIR : undefined,
  'apt-get install dataset-fashion-mnist',
);

export function dataSpec(overrides: Partial<DataSpec> = {}): DataSpec {
  return {
    dataset: 'mnist',
    batchSize: 32,
    root: undefined,
    source: 'auto',
    limit: { train: undefined, test: undefined },
    validationSplit: 0,
    shuffle: true,
    normalize: undefined,
    augment: undefined,
    options: {},
    loc: undefined,
    ...overrides,
  };
}

/** An environment with no data dir, cache or mirrors of the real machine. */
export function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), ...extra };
}

/** IDX bytes: magic 0x0000TTDD, big-endian dims, data. */
export function idxBytes(type: number, dims: readonly number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export function idxImagesBytes(
  count: number,
  height: number,
  width: number,
  fill: (i: number) => number,
): Buffer {
  const data = new Uint8Array(count * height * width);
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return idxBytes(0x08, [count, height, width], data);
}

export function idxLabelsBytes(labels: readonly number[]): Buffer {
  return idxBytes(0x08, [labels.length], Uint8Array.from(labels));
}

export const gzip = (bytes: Uint8Array): Buffer => gzipSync(bytes);
