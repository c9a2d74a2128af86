import { DatasetError } from '../../errors.js';
import type { DatasetContext, DatasetDefinition, DatasetSplits, ImageSplit } from '../dataset.js';
import { createRandom, mixSeed } from '../random.js';

/** `data.options.synthetic`, all optional (the defaults match the config schema's). */
export interface SyntheticOptions {
  readonly train: number;
  readonly test: number;
  readonly classes: number;
  readonly shape: readonly [number, number, number];
  /** Fraction of pixels replaced by random values, in [0, 1). */
  readonly noise: number;
  /** Seed of the data; default the run's seed. */
  readonly seed: number | undefined;
}

export const SYNTHETIC_DEFAULTS: Omit<SyntheticOptions, 'seed'> = {
  train: 512,
  test: 128,
  classes: 10,
  shape: [28, 28, 1],
  noise: 0.1,
};

/** Prototypes are drawn on a coarse grid of cells, so neighbouring pixels agree (conv nets can learn them). */
const CELLS = 4;
const ON = 200;
const OFF = 30;

/**
 * The learnable rule: each class has a fixed random pattern of bright and dark
 * cells (a 4x4 grid per channel); an example is its class's pattern with a
 * fraction `noise` of the pixels replaced by uniform random values. Labels are
 * drawn uniformly. Everything derives from the seed.
 */
export function generateSynthetic(
  options: SyntheticOptions,
  seed: number,
): { train: ImageSplit; test: ImageSplit } {
  const [height, width, channels] = options.shape;
  const size = height * width * channels;
  const patternRandom = createRandom(mixSeed(seed, 0x5eed));
  const prototypes = Array.from({ length: options.classes }, () => {
    const cells = Array.from({ length: CELLS * CELLS * channels }, () => patternRandom() < 0.5);
    const image = new Uint8Array(size);
    for (let y = 0; y < height; y++) {
      const cy = Math.min(CELLS - 1, Math.floor((y * CELLS) / height));
      for (let x = 0; x < width; x++) {
        const cx = Math.min(CELLS - 1, Math.floor((x * CELLS) / width));
        for (let c = 0; c < channels; c++) {
          image[(y * width + x) * channels + c] = cells[(cy * CELLS + cx) * channels + c]
            ? ON
            : OFF;
        }
      }
    }
    return image;
  });
  const makeSplit = (count: number, stream: number): ImageSplit => {
    const random = createRandom(mixSeed(seed, stream));
    const images = new Uint8Array(count * size);
    const labels = options.classes <= 256 ? new Uint8Array(count) : new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const label = Math.floor(random() * options.classes);
      labels[i] = label;
      const prototype = prototypes[label]!;
      const out = i * size;
      for (let p = 0; p < size; p++) {
        images[out + p] = random() < options.noise ? Math.floor(random() * 256) : prototype[p]!;
      }
    }
    return { images, labels, count, height, width, channels };
  };
  return { train: makeSplit(options.train, 1), test: makeSplit(options.test, 2) };
}

/** Reads `data.options.synthetic` with defaults, checking each value. */
export function syntheticOptions(raw: unknown): SyntheticOptions {
  const given = raw === undefined ? {} : raw;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new DatasetError(
      'data.options.synthetic: expected an object {train, test, classes, shape, noise}',
    );
  }
  const o = given as Record<string, unknown>;
  const int = (key: 'train' | 'test' | 'classes', min: number, max: number): number => {
    const value = o[key] ?? SYNTHETIC_DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new DatasetError(
        `data.options.synthetic.${key}: expected an integer from ${min} to ${max.toLocaleString('en-US')}, found ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const shape = o.shape ?? SYNTHETIC_DEFAULTS.shape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 4096)
  ) {
    throw new DatasetError(
      `data.options.synthetic.shape: expected [height, width, channels] of positive integers, found ${JSON.stringify(shape)}`,
    );
  }
  const noise = o.noise ?? SYNTHETIC_DEFAULTS.noise;
  if (typeof noise !== 'number' || !(noise >= 0 && noise < 1)) {
    throw new DatasetError(
      `data.options.synthetic.noise: expected a number in [0, 1), found ${JSON.stringify(noise)}`,
    );
  }
  const seed = o.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) {
    throw new DatasetError(
      `data.options.synthetic.seed: expected a non-negative integer, found ${JSON.stringify(seed)}`,
    );
  }
  return {
    train: int('train', 1, 10_000_000),
    test: int('test', 1, 10_000_000),
    classes: int('classes', 2, 65_536),
    shape: shape as [number, number, number],
    noise,
    seed,
  };
}

function describe(options: SyntheticOptions, seed: number): string {
  return `generated: ${options.classes} classes, ${options.shape.join('x')}, noise ${options.noise}, seed ${seed}`;
}

export const synthetic: DatasetDefinition = {
  name: 'synthetic',
  description:
    'Generated images with a learnable rule (class patterns + noise), for tests and quick demos',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      synthetic: {
        type: 'object',
        additionalProperties: false,
        description: 'seeded random images in learnable classes, for quick runs and tests',
        properties: {
          train: {
            type: 'integer',
            minimum: 1,
            default: SYNTHETIC_DEFAULTS.train,
            description: 'Training examples.',
          },
          test: {
            type: 'integer',
            minimum: 1,
            default: SYNTHETIC_DEFAULTS.test,
            description: 'Test examples.',
          },
          classes: {
            type: 'integer',
            minimum: 2,
            maximum: 65536,
            default: SYNTHETIC_DEFAULTS.classes,
            description: 'Number of classes.',
          },
          shape: {
            type: 'array',
            items: { type: 'integer', minimum: 1 },
            minItems: 3,
            maxItems: 3,
            default: SYNTHETIC_DEFAULTS.shape,
            description: 'Image shape [height, width, channels].',
          },
          noise: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: SYNTHETIC_DEFAULTS.noise,
            description: 'Fraction of the pixels replaced by random values, in [0, 1).',
          },
          seed: {
            type: 'integer',
            minimum: 0,
            description: 'Seed of the generated data. Default: the experiment seed.',
          },
        },
      },
    },
  },
  // So that the schema fills in the defaults it documents.
  configDefaults: { synthetic: {} },
  checkConfig: ({ data, document }) => {
    const model = document['model'];
    const synthetic = data['synthetic'];
    const input = isRecord(model) ? model['input'] : undefined;
    const shape = isRecord(synthetic) ? synthetic['shape'] : undefined;
    if (!Array.isArray(input) || !Array.isArray(shape) || input.join() === shape.join()) return [];
    return [
      {
        path: ['model', 'input'],
        code: 'input-shape-mismatch',
        message: `[${input.join(', ')}] is not the shape of the synthetic images, [${shape.join(', ')}]`,
        hint: `set model.input to [${shape.join(', ')}], or data.synthetic.shape to [${input.join(', ')}]`,
        atKey: false,
      },
    ];
  },
  async load(context: DatasetContext): Promise<DatasetSplits> {
    const options = syntheticOptions(context.spec.options.synthetic);
    const seed = options.seed ?? context.seed;
    const { train, test } = generateSynthetic(options, seed);
    return {
      train,
      test,
      numClasses: options.classes,
      kind: 'synthetic',
      location: describe(options, seed),
      notices: [],
    };
  },
  async status(context: DatasetContext) {
    const options = syntheticOptions(context.spec.options.synthetic);
    return {
      dataset: 'synthetic',
      status: 'generated',
      location: `${options.classes} classes, ${options.shape.join('x')}, noise ${options.noise}`,
      trainCount: options.train,
      testCount: options.test,
      detail: 'made on the fly from the seed',
    };
  },
  classCount: (spec) => syntheticOptions(spec.options.synthetic).classes,
  exampleCount: (spec) => {
    const { train, test } = syntheticOptions(spec.options.synthetic);
    return { train, test };
  },
};

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
