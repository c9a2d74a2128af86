import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach } from 'vitest';
import type { DataSpec } from '../../src/config/experiment.js';

/**
 * The official MNIST files on development and CI machines (the product never
 * knows this path): `shared/data` beside the checkout, as CI lays it out, else
 * the development machines' copy.
 */
export const SHARED_DATA_DIR =
  [
    process.env['RUNNER_TEST_SHARED_DATA'],
    join(import.meta.dirname, '..', '..', '..', 'shared', 'data'),
    '/work/shared/data',
  ].find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'mnist'))) ??
  '/work/shared/data';
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

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
    options: {},
    loc: undefined,
    ...overrides,
  };
}

/** A temporary folder per test, removed afterwards. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-data-'));
    dirs.push(dir);
    return dir;
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
