import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import {
  DATASETS,
  datasetStatus,
  findDataset,
  loadData,
  type ImageSplit,
} from '../../src/data/index.js';
import { dataSpec, DEBIAN_FASHION, FULL_MNIST, isolatedEnv } from './helpers.js';
import { useTempDir } from '../test-kit.js';

const makeTemp = useTempDir('data').fresh;
/** Byte equality without vitest's slow element-by-element diff of large typed arrays. */
const same = (a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
const synthetic = (
  options: Record<string, unknown> = {},
  extra: Parameters<typeof dataSpec>[0] = {},
) => dataSpec({ dataset: 'synthetic', options: { synthetic: options }, ...extra });

/** Nearest class mean, learned on train: the rule must be learnable. */
function nearestMeanAccuracy(train: ImageSplit, test: ImageSplit, classes: number): number {
  const size = train.height * train.width * train.channels;
  const sums = Array.from({ length: classes }, () => new Float64Array(size));
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < train.count; i++) {
    const label = train.labels[i]!;
    counts[label]!++;
    for (let p = 0; p < size; p++) sums[label]![p]! += train.images[i * size + p]!;
  }
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < classes; c++) {
      if (counts[c] === 0) continue;
      let d = 0;
      for (let p = 0; p < size; p++) {
        const diff = test.images[i * size + p]! - sums[c]![p]! / counts[c]!;
        d += diff * diff;
      }
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    if (best === test.labels[i]) correct++;
  }
  return correct / test.count;
}

describe('synthetic', () => {
  it('is learnable and the same for the same seed', async () => {
    const spec = synthetic({ train: 300, test: 100, classes: 5, shape: [12, 12, 1], noise: 0.4 });
    const a = await loadData(spec, { seed: 3 });
    const b = await loadData(spec, { seed: 3 });
    const c = await loadData(spec, { seed: 4 });
    expect(same(a.train.images, b.train.images)).toBe(true);
    expect(same(a.train.labels, b.train.labels)).toBe(true);
    expect(same(a.train.images, c.train.images)).toBe(false);
    expect(a.shape).toEqual([12, 12, 1]);
    expect(a.numClasses).toBe(5);
    expect(a.source).toMatchObject({ kind: 'synthetic', trainCount: 300, evalCount: 100 });
    expect(nearestMeanAccuracy(a.train, a.eval, 5)).toBeGreaterThan(0.9);
    // Not trivial: with pure noise it is chance.
    const noisy = await loadData(
      synthetic({ train: 300, test: 200, classes: 5, shape: [12, 12, 1], noise: 0.99 }),
      {
        seed: 3,
      },
    );
    expect(nearestMeanAccuracy(noisy.train, noisy.eval, 5)).toBeLessThan(0.5);
  });

  it('has defaults shaped like MNIST, and its own seed beats the run seed', async () => {
    const data = await loadData(synthetic({ seed: 11 }), { seed: 1 });
    expect([data.train.count, data.eval.count, data.numClasses, ...data.shape]).toEqual([
      512, 128, 10, 28, 28, 1,
    ]);
    const again = await loadData(synthetic({ seed: 11 }), { seed: 2 });
    expect(same(again.train.images, data.train.images)).toBe(true);
  });

  it.each([
    [
      { classes: 1 },
      'data.options.synthetic.classes: expected an integer from 2 to 65,536, found 1',
    ],
    [
      { shape: [28, 28] },
      'data.options.synthetic.shape: expected [height, width, channels] of positive integers, found [28,28]',
    ],
    [{ noise: 1 }, 'data.options.synthetic.noise: expected a number in [0, 1), found 1'],
    [
      { train: 0 },
      'data.options.synthetic.train: expected an integer from 1 to 10,000,000, found 0',
    ],
  ])('rejects %j', async (options, message) => {
    await expect(loadData(synthetic(options), { seed: 1 })).rejects.toThrow(message);
  });
});

describe('limits and the validation split', () => {
  it('holds out the last fraction of the limited training set as val', async () => {
    const full = await loadData(synthetic({ train: 100, test: 10 }), { seed: 1 });
    const data = await loadData(
      synthetic(
        { train: 100, test: 10 },
        { limit: { train: 50, test: undefined }, validationSplit: 0.2 },
      ),
      {
        seed: 1,
      },
    );
    expect(data.evalName).toBe('val');
    expect([data.train.count, data.eval.count]).toEqual([40, 10]);
    expect(data.source).toMatchObject({ trainCount: 40, evalCount: 10 });
    const size = 28 * 28;
    expect(same(data.train.images, full.train.images.subarray(0, 40 * size))).toBe(true);
    expect(same(data.eval.images, full.train.images.subarray(40 * size, 50 * size))).toBe(true);
    expect(data.eval.labels).toEqual(full.train.labels.subarray(40, 50));
  });

  it('announces that limit.test does not apply when evaluating on val', async () => {
    const data = await loadData(
      synthetic(
        { train: 20, test: 5 },
        { limit: { train: undefined, test: 3 }, validationSplit: 0.5 },
      ),
      { seed: 1 },
    );
    expect([data.train.count, data.eval.count, data.evalName]).toEqual([10, 10, 'val']);
    expect(data.notices).toEqual([
      'synthetic: data.limit.test is not used: with data.validationSplit 0.5, evaluation is on the val split held out from train',
    ]);
  });

  it('announces a limit larger than the set and uses all of it', async () => {
    const data = await loadData(
      synthetic({ train: 20, test: 5 }, { limit: { train: 100, test: 3 } }),
      { seed: 1 },
    );
    expect([data.train.count, data.eval.count]).toEqual([20, 3]);
    expect(data.notices).toEqual([
      'synthetic: data.limit.train is 100, but the train set has 20 examples; using all of them',
    ]);
  });

  it.each([
    [{ validationSplit: 1 }, 'data.validationSplit: expected a fraction in [0, 1), found 1'],
    [
      { limit: { train: 0, test: undefined } },
      'data.limit.train: expected a positive integer, found 0',
    ],
    [
      { validationSplit: 0.001, limit: { train: 10, test: undefined } },
      'data.validationSplit: 0.001 of 10 training examples leaves no validation examples',
    ],
  ])('rejects %j', async (extra, message) => {
    await expect(loadData(synthetic({ train: 20 }, extra), { seed: 1 })).rejects.toThrow(message);
  });
});

describe('the dataset registry', () => {
  it('has unique names, each with a compiling options schema', () => {
    const names = DATASETS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(['mnist', 'fashion-mnist', 'idx', 'images', 'csv', 'synthetic']);
    const ajv = new Ajv2020({ strict: true, useDefaults: false });
    for (const dataset of DATASETS) {
      expect(() => ajv.compile(dataset.optionsSchema), dataset.name).not.toThrow();
    }
    const validate = ajv.compile(findDataset('idx').optionsSchema);
    expect(validate({ train: { images: 'a', labels: 'b' } })).toBe(true);
    expect(validate({ train: { images: 'a' } })).toBe(false);
  });

  it('suggests the closest name for a typo', () => {
    expect(() => findDataset('mnsit')).toThrow(DatasetError);
    expect(() => findDataset('mnsit')).toThrow('unknown dataset "mnsit" (did you mean "mnist"?)');
    expect(() => findDataset('cifar10')).toThrow('unknown dataset "cifar10"');
    // The config stage's closest match: case, separators, and no far-fetched guesses.
    expect(() => findDataset('MNIST')).toThrow('(did you mean "mnist"?)');
    expect(() => findDataset('fashion_mnist')).toThrow('(did you mean "fashion-mnist"?)');
    expect(() => findDataset('xy')).toThrow(/^unknown dataset "xy"$/);
  });

  it('reports where each dataset is without using the network', async () => {
    const home = makeTemp();
    const status = await datasetStatus({ env: isolatedEnv(home) });
    expect(status.map((s) => [s.dataset, s.status])).toEqual([
      ['mnist', 'bundled sample'],
      ['fashion-mnist', DEBIAN_FASHION.run ? 'debian' : 'downloadable'],
      ['idx', 'user files'],
      ['images', 'user files'],
      ['csv', 'user files'],
      ['synthetic', 'generated'],
    ]);
    expect(status[0]).toMatchObject({ trainCount: 8000, testCount: 2000 });
    expect(status[1]).toMatchObject({
      location: DEBIAN_FASHION.run
        ? '/usr/share/datasets/fashion-mnist'
        : 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      trainCount: 60000,
    });
  });

  it.skipIf(!FULL_MNIST.run)(
    'reports verified official files under data.root as cached (full MNIST)',
    async () => {
      const home = makeTemp();
      const root = FULL_MNIST.dir();
      const withRoot = await datasetStatus({ env: isolatedEnv(home), root });
      expect(withRoot[0]).toMatchObject({
        status: 'cached',
        location: `${root}/mnist`,
        trainCount: 60000,
      });
    },
  );
});
