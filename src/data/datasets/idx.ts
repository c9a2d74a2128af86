import { resolve } from 'node:path';
import type { DatasetRuleIssue } from '../../config/index.js';
import { DatasetError } from '../../errors.js';
import type {
  DatasetContext,
  DatasetDefinition,
  DatasetSplits,
  ImageSplit,
  TestSplit,
} from '../dataset.js';
import { parseIdx, readFileContent } from '../idx-reader.js';
import { countClasses, splitFromIdx } from '../image-split.js';
import { idxFileBytes } from '../measure-data.js';

interface IdxPair {
  readonly images: string;
  readonly labels: string;
}

/** `data.options` for idx: file paths (absolute, or relative to the current directory). */
export interface IdxOptions {
  readonly train: IdxPair;
  readonly test: IdxPair | undefined;
  /** Class count; default the largest label + 1. */
  readonly classes: number | undefined;
}

export function idxOptions(raw: Readonly<Record<string, unknown>>): IdxOptions {
  const pair = (key: 'train' | 'test'): IdxPair | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    const v = value as Record<string, unknown> | null;
    if (
      typeof value !== 'object' ||
      v === null ||
      typeof v.images !== 'string' ||
      typeof v.labels !== 'string'
    ) {
      throw new DatasetError(
        `data.${key}: expected {images: PATH, labels: PATH}, found ${JSON.stringify(value)}`,
      );
    }
    return { images: v.images, labels: v.labels };
  };
  const train = pair('train');
  if (train === undefined) {
    throw new DatasetError(
      'data.train: the idx dataset needs data.train.images and data.train.labels',
      {
        hint: 'give the paths of your IDX files (gzip or uncompressed); data.test likewise, or a data.validationSplit',
      },
    );
  }
  const classes = raw.classes;
  if (
    classes !== undefined &&
    (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2)
  ) {
    throw new DatasetError(
      `data.classes: expected an integer of at least 2, found ${JSON.stringify(classes)}`,
    );
  }
  return { train, test: pair('test'), classes };
}

async function readPair(
  pair: IdxPair,
  cwd: string,
  numClasses: number | undefined,
): Promise<ImageSplit> {
  const imagesPath = resolve(cwd, pair.images);
  const labelsPath = resolve(cwd, pair.labels);
  const [images, labels] = await Promise.all([
    readFileContent(imagesPath),
    readFileContent(labelsPath),
  ]);
  return splitFromIdx(
    parseIdx(images.raw, imagesPath),
    parseIdx(labels.raw, labelsPath),
    numClasses,
  );
}

const pairSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['images', 'labels'],
  properties: {
    images: {
      type: 'string',
      minLength: 1,
      description: 'IDX images file (gzip or raw); relative to the current directory',
    },
    labels: {
      type: 'string',
      minLength: 1,
      description: 'IDX labels file (gzip or raw); relative to the current directory',
    },
  },
};

export const idx: DatasetDefinition = {
  name: 'idx',
  description:
    'Your own IDX files (the MNIST format, gzip or raw): any image size, any class count',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['train'],
    properties: {
      train: { ...pairSchema, description: 'the training images and labels (required)' },
      test: { ...pairSchema, description: 'the test images and labels (optional)' },
      classes: {
        type: 'integer',
        minimum: 2,
        description: 'the number of classes (default: the largest label + 1)',
      },
    },
  },
  checkConfig: ({ data }) => {
    const issues: DatasetRuleIssue[] = [];
    if (data['test'] === undefined && data['validationSplit'] === 0) {
      issues.push({
        path: ['data'],
        code: 'missing-key',
        message: 'dataset idx without data.test has nothing to evaluate on',
        hint: 'give data.test: {images, labels}, or set data.validationSplit, e.g. 0.1',
      });
    }
    if (data['train'] === undefined) {
      issues.push({
        path: ['data'],
        code: 'missing-key',
        message: 'dataset idx needs data.train: {images, labels}',
        hint: 'the paths of your IDX files',
      });
    }
    return issues;
  },
  async load(context: DatasetContext): Promise<DatasetSplits> {
    const options = idxOptions(context.spec.options);
    const [train, test] = await Promise.all([
      readPair(options.train, context.cwd, options.classes),
      options.test === undefined ? undefined : readPair(options.test, context.cwd, options.classes),
    ]);
    if (
      test !== undefined &&
      (test.height !== train.height ||
        test.width !== train.width ||
        test.channels !== train.channels)
    ) {
      throw new DatasetError(
        `${resolve(context.cwd, options.test!.images)}: test images are ${test.height}x${test.width}x${test.channels}, but the training images are ${train.height}x${train.width}x${train.channels}`,
        { hint: 'train and test images must have the same size' },
      );
    }
    const numClasses = options.classes ?? Math.max(2, countClasses(train, ...(test ? [test] : [])));
    const files = [options.train, ...(options.test ? [options.test] : [])]
      .flatMap((p) => [resolve(context.cwd, p.images), resolve(context.cwd, p.labels)])
      .join(', ');
    return { train, test, numClasses, kind: 'files', location: files, notices: [] };
  },
  async loadTest(context: DatasetContext): Promise<TestSplit | undefined> {
    const options = idxOptions(context.spec.options);
    if (options.test === undefined) return undefined;
    // Labels are checked against the run's classes, not the (absent) training labels.
    const classes = context.recorded?.classes.length ?? options.classes;
    const test = await readPair(options.test, context.cwd, classes);
    return {
      test,
      files: undefined,
      location: [options.test.images, options.test.labels]
        .map((p) => resolve(context.cwd, p))
        .join(', '),
      notices: [],
    };
  },
  classCount: (spec) => safeOptions(spec.options)?.classes,
  async measureData(spec, { cwd }) {
    const options = safeOptions(spec.options);
    if (options === undefined) return undefined;
    const pairs = [options.train, ...(options.test ? [options.test] : [])];
    const sizes = await Promise.all(
      pairs.flatMap((pair) => [pair.images, pair.labels]).map((p) => idxFileBytes(resolve(cwd, p))),
    );
    return sizes.some((size) => size === undefined)
      ? undefined
      : sizes.reduce<number>((sum, size) => sum + size!, 0);
  },
  async status(context: DatasetContext) {
    const options = context.spec.dataset === 'idx' ? safeOptions(context.spec.options) : undefined;
    return {
      dataset: 'idx',
      status: 'user files',
      location: options
        ? resolve(context.cwd, options.train.images)
        : 'data.train / data.test in the config',
      trainCount: undefined,
      testCount: undefined,
      detail: 'IDX files named by the experiment',
    };
  },
};

function safeOptions(raw: Readonly<Record<string, unknown>>): IdxOptions | undefined {
  try {
    return idxOptions(raw);
  } catch {
    return undefined;
  }
}
