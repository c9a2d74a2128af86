import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { checkInputShape, loadData, type LoadedData } from '../../src/data/index.js';
import { dataSpec, gzip, idxBytes, idxImagesBytes, idxLabelsBytes } from './helpers.js';
import { useTempDir } from '../test-kit.js';

const makeTemp = useTempDir('data').fresh;
const sockets: Server[] = [];
afterEach(() => {
  for (const server of sockets.splice(0)) server.close();
});

interface Files {
  readonly trainImages: Buffer;
  readonly trainLabels: Buffer;
  readonly testImages?: Buffer;
  readonly testLabels?: Buffer;
}

/** Writes the files into a fresh folder; returns an idx DataSpec with absolute paths. */
async function idxSetup(files: Files, extra: Record<string, unknown> = {}) {
  const dir = makeTemp();
  const write = async (name: string, bytes: Buffer | undefined) => {
    if (bytes === undefined) return undefined;
    await writeFile(join(dir, name), bytes);
    return join(dir, name);
  };
  const trainImages = (await write('train-images', files.trainImages))!;
  const trainLabels = (await write('train-labels', files.trainLabels))!;
  const testImages = await write('test-images', files.testImages);
  const testLabels = await write('test-labels', files.testLabels);
  const options: Record<string, unknown> = {
    train: { images: trainImages, labels: trainLabels },
    ...(testImages && testLabels ? { test: { images: testImages, labels: testLabels } } : {}),
    ...extra,
  };
  return { dir, spec: dataSpec({ dataset: 'idx', options }) };
}

const images = (count: number, h = 5, w = 4) => idxImagesBytes(count, h, w, (i) => i % 251);
const labels = (values: readonly number[]) => idxLabelsBytes(values);

async function failure(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('idx: the user’s own files', () => {
  it('reads gzip and uncompressed files of any size, and counts the classes', async () => {
    const { spec } = await idxSetup({
      trainImages: gzip(images(6)),
      trainLabels: labels([0, 1, 2, 3, 4, 0]),
      testImages: images(3),
      testLabels: gzip(labels([1, 2, 2])),
    });
    const data = await loadData(spec, { seed: 1 });
    expect(data.shape).toEqual([5, 4, 1]);
    expect(data.numClasses).toBe(5);
    expect([data.train.count, data.eval.count]).toEqual([6, 3]);
    expect([...data.train.labels]).toEqual([0, 1, 2, 3, 4, 0]);
    expect(data.train.images[20]).toBe(20); // image 1 starts at byte 20, pixel value 20 % 251
    expect(data.source.kind).toBe('files');
    expect(data.source.location).toContain('train-images');
  });

  it('reads colour images [n, h, w, c] and labels stored as 16-bit integers (many classes)', async () => {
    const colour = idxBytes(0x08, [4, 2, 3, 3], new Uint8Array(4 * 18).fill(9));
    const wide = Buffer.alloc(8);
    [0, 300, 299, 1].forEach((v, i) => wide.writeUInt16BE(v, i * 2));
    const { spec } = await idxSetup({
      trainImages: colour,
      trainLabels: idxBytes(0x0b, [4], new Uint8Array(wide)),
      testImages: colour,
      testLabels: idxBytes(0x0b, [4], new Uint8Array(wide)),
    });
    const data = await loadData(spec, { seed: 1 });
    expect(data.shape).toEqual([2, 3, 3]);
    expect(data.numClasses).toBe(301);
    expect(data.train.labels).toBeInstanceOf(Uint16Array);
    expect([...data.train.labels]).toEqual([0, 300, 299, 1]);
  });

  it('resolves relative paths from the current directory', async () => {
    const { dir } = await idxSetup({ trainImages: images(4), trainLabels: labels([0, 1, 0, 1]) });
    const cwd = join(dir, 'sub');
    await mkdir(cwd);
    const spec = dataSpec({
      dataset: 'idx',
      validationSplit: 0.25,
      options: {
        train: { images: '../train-images', labels: relative(cwd, join(dir, 'train-labels')) },
      },
    });
    const data = await loadData(spec, { seed: 1, cwd });
    expect([data.train.count, data.eval.count, data.evalName]).toEqual([3, 1, 'val']);
  });

  it('uses the given class count and rejects a label outside it, naming file and index', async () => {
    const { dir, spec } = await idxSetup(
      {
        trainImages: images(3),
        trainLabels: labels([0, 3, 1]),
        testImages: images(1),
        testLabels: labels([0]),
      },
      { classes: 3 },
    );
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toBe(
      `${join(dir, 'train-labels')}: label 3 at index 1 is outside the 3 classes (0 to 2)`,
    );
    const ok = await loadData({ ...spec, options: { ...spec.options, classes: 10 } }, { seed: 1 });
    expect(ok.numClasses).toBe(10);
  });

  it('says where the test set is missing and what to do', async () => {
    const { spec } = await idxSetup({ trainImages: images(3), trainLabels: labels([0, 1, 1]) });
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toBe('idx: there is no test set to evaluate on');
    expect(error.hint).toContain('data.validationSplit');
  });

  it('rejects train and test images of different sizes', async () => {
    const { spec } = await idxSetup({
      trainImages: images(2, 5, 4),
      trainLabels: labels([0, 1]),
      testImages: images(2, 4, 4),
      testLabels: labels([0, 1]),
    });
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toMatch(
      /test-images: test images are 4x4x1, but the training images are 5x4x1$/,
    );
  });

  describe('bad files get one clear line naming the file', () => {
    const good = { trainImages: images(3), trainLabels: labels([0, 1, 2]) };
    it.each<[string, Partial<Files>, RegExp]>([
      [
        'wrong magic number',
        { trainImages: Buffer.from('PK\x03\x04 this is a zip file, not IDX') },
        /train-images: wrong magic number 0x504b0304, expected an IDX file \(0x00000801 labels, 0x00000803 images\)$/,
      ],
      [
        'truncated data',
        { trainImages: images(3).subarray(0, 50) },
        /train-images: truncated: dimensions 3x5x4 need 76 bytes, the file has 50$/,
      ],
      [
        'truncated gzip',
        { trainImages: gzip(images(3)).subarray(0, 30) },
        /train-images: the gzip data is truncated or corrupt \(unexpected end of file\)$/,
      ],
      [
        'trailing bytes',
        { trainLabels: Buffer.concat([labels([0, 1, 2]), Buffer.from([7])]) },
        /train-labels: 1 extra byte after the data the header describes \(3 unsigned byte\)$/,
      ],
      [
        'counts that differ',
        { trainLabels: labels([0, 1]) },
        /train-labels: 2 labels, but .*train-images has 3 images$/,
      ],
      [
        'labels given as images',
        { trainImages: labels([0, 1, 2]) },
        /train-images: images must have dimensions \[count, height, width\] or \[count, height, width, channels\], found \[3\]$/,
      ],
      [
        'images given as labels',
        { trainLabels: images(3) },
        /train-labels: labels must have one dimension \[count\], found \[3, 5, 4\]$/,
      ],
      [
        'an empty file',
        { trainLabels: Buffer.alloc(0) },
        /train-labels: not an IDX file \(only 0 bytes\)$/,
      ],
    ])('%s', async (_name, broken, message) => {
      const { spec } = await idxSetup({ ...good, ...broken });
      const error = await failure(loadData({ ...spec, validationSplit: 0.5 }, { seed: 1 }));
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    });

    it('a path that does not exist', async () => {
      const dir = makeTemp();
      const spec = dataSpec({
        dataset: 'idx',
        validationSplit: 0.5,
        options: { train: { images: join(dir, 'nope.idx'), labels: join(dir, 'nope-labels.idx') } },
      });
      const error = await failure(loadData(spec, { seed: 1 }));
      expect(error.message).toMatch(/nope(-labels)?\.idx: no such file$/);
      expect(error.hint).toContain('relative paths are resolved from the current directory');
    });

    it('options without train files', async () => {
      const error = await failure(loadData(dataSpec({ dataset: 'idx' }), { seed: 1 }));
      expect(error.message).toBe(
        'data.train: the idx dataset needs data.train.images and data.train.labels',
      );
    });
  });
});

describe('checkInputShape', () => {
  const data = { shape: [32, 32, 3], source: { dataset: 'mnist' } } as unknown as LoadedData;
  it('accepts the images’ own shape', () => {
    expect(() => checkInputShape(data, [32, 32, 3])).not.toThrow();
  });
  it('names both shapes and the fix', () => {
    let error: unknown;
    try {
      checkInputShape(data, [28, 28, 1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toBe(
      'model.input [28,28,1] does not match the images of mnist: 32x32x3 (height x width x channels)',
    );
    expect((error as DatasetError).hint).toBe(
      'set model.input to [32, 32, 3] or leave it out (it is then taken from the data), or use data that fits the model',
    );
    expect(() => checkInputShape(data, [32, 32])).toThrow(DatasetError);
  });
});

describe('idx: paths and files that would hang or exhaust memory', () => {
  /** The idx spec with `images` as the training images path (valid labels beside it). */
  async function withImagesPath(imagesPath: (dir: string) => Promise<string> | string) {
    const { dir, spec } = await idxSetup({
      trainImages: images(3),
      trainLabels: labels([0, 1, 2]),
    });
    const path = await imagesPath(dir);
    const options = spec.options as { train: { labels: string } };
    return {
      path,
      spec: {
        ...spec,
        validationSplit: 0.5,
        options: { train: { images: path, labels: options.train.labels } },
      },
    };
  }

  it.each<[string, (dir: string) => Promise<string> | string, string]>([
    ['a character device', () => '/dev/zero', 'a character device'],
    [
      'a FIFO, which would block open() for ever',
      (dir) => {
        const path = join(dir, 'fifo');
        execFileSync('mkfifo', [path]);
        return path;
      },
      'a FIFO (named pipe)',
    ],
    [
      'a socket',
      async (dir) => {
        const path = join(dir, 'sock');
        const server = createServer();
        await new Promise<void>((resolve) => server.listen(path, resolve));
        sockets.push(server);
        return path;
      },
      'a socket',
    ],
    [
      'a folder',
      async (dir) => {
        await mkdir(join(dir, 'folder'));
        return join(dir, 'folder');
      },
      'a folder',
    ],
  ])('refuses %s before reading it, in one line', async (_name, makePath, kind) => {
    const { path, spec } = await withImagesPath(makePath);
    const started = Date.now();
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toBe(`${path}: is ${kind}, expected a regular IDX file`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a gzip file whose header claims far more than it can hold, without inflating it', async () => {
    // 10^9 images of 28x28 declared, a few real bytes: the gzip is tiny, the claim is 784 GB.
    const header = idxBytes(0x08, [1_000_000_000, 28, 28], new Uint8Array(4096));
    const { path, spec } = await withImagesPath(async (dir) => {
      await writeFile(join(dir, 'bomb.gz'), gzip(header));
      return join(dir, 'bomb.gz');
    });
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toBe(
      `${path}: its IDX header declares 784,000,000,016 bytes (730.2 GiB), more than the 4.0 GiB the runner reads`,
    );
  });

  it('refuses a header that claims more than the compressed size can hold', async () => {
    // 100 MB declared in a gzip of a few hundred bytes: deflate cannot do better than 1032:1.
    const liar = gzip(idxBytes(0x08, [127_551, 28, 28], new Uint8Array(0)));
    const { path, spec } = await withImagesPath(async (dir) => {
      await writeFile(join(dir, 'liar.gz'), liar);
      return join(dir, 'liar.gz');
    });
    const error = await failure(loadData(spec, { seed: 1 }));
    const n = (x: number) => x.toLocaleString('en-US');
    expect(error.message).toBe(
      `${path}: its IDX header declares 100,000,000 bytes, but ${n(liar.length)} bytes of gzip data can hold at most ${n(liar.length * 1032)}`,
    );
  });

  it('stops inflating at the size the header declares', async () => {
    // The header says 3 images of 5x4; the gzip holds 5 MB of zeros after them.
    const bytes = Buffer.concat([images(3), Buffer.alloc(5_000_000)]);
    const { path, spec } = await withImagesPath(async (dir) => {
      await writeFile(join(dir, 'long.gz'), gzip(bytes));
      return join(dir, 'long.gz');
    });
    const error = await failure(loadData(spec, { seed: 1 }));
    expect(error.message).toBe(
      `${path}: the gzip data inflates to more than the 76 bytes its IDX header declares`,
    );
  });
});
