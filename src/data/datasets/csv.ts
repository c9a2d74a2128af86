import { resolve } from 'node:path';
import { DatasetError, InternalError } from '../../errors.js';
import type {
  DatasetContext,
  DatasetDefinition,
  DatasetSplits,
  ImageSplit,
  TestSplit,
} from '../dataset.js';
import { loadCsvTable, type CsvTable, type CsvTableOptions } from '../csv/load-csv-table.js';
import type { MissingPolicy } from '../csv/table-preprocessing.js';
import { countCsvRows } from '../measure-data.js';

function fileOf(context: DatasetContext, key: 'train' | 'test'): string | undefined {
  const value = context.spec.options[key] as { file?: unknown } | undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof value.file !== 'string') {
    throw new DatasetError(`data.${key}: expected {file: PATH}, found ${JSON.stringify(value)}`);
  }
  return resolve(context.cwd, value.file);
}

/** How a CSV split is read, from `data.*` (and a trained run's recorded encoding). */
export function csvTableOptions(context: DatasetContext, key: string): CsvTableOptions {
  const raw = context.spec.options;
  const target = raw['target'];
  if (typeof target !== 'string') {
    throw new DatasetError('data.target: the csv dataset needs the name of the column to predict');
  }
  return {
    key,
    target,
    features: raw['features'] as readonly string[] | undefined,
    task: context.task,
    missing: (raw['missing'] as MissingPolicy | undefined) ?? 'error',
    standardize: raw['standardize'] !== false,
    preprocessing: context.recorded?.preprocessing,
    requireTarget: true,
  };
}

/** A CSV table as a split: features in place of pixels (height = width = 1). */
export function tableSplit(table: CsvTable): ImageSplit {
  return {
    images: new Uint8Array(0),
    labels: table.labels ?? new Uint8Array(0),
    count: table.count,
    height: 1,
    width: 1,
    channels: table.width,
    features: table.features,
    ...(table.targets ? { targets: table.targets } : {}),
  };
}

const fileSchema = (description: string): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required: ['file'],
  description,
  properties: {
    file: { type: 'string', minLength: 1, description: 'A CSV file with a header row' },
  },
});

export const csv: DatasetDefinition = {
  name: 'csv',
  description:
    'Your own CSV table: a header row, one example per row; numbers standardised, strings one-hot',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['train', 'target'],
    properties: {
      train: fileSchema('the training table: {file: PATH} (required)'),
      test: fileSchema('the test table: {file: PATH}, with the same columns'),
      target: {
        type: 'string',
        minLength: 1,
        description:
          'The column to predict: class labels with train.loss crossEntropy, numbers with mse, mae or huber',
      },
      features: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        uniqueItems: true,
        description: 'The input columns, in order. Default: every column but the target.',
      },
      missing: {
        enum: ['error', 'drop', 'impute'],
        description:
          'An empty cell: error (the default: naming row and column), drop the row, or impute (training mean, or most frequent category).',
      },
      standardize: {
        type: 'boolean',
        description:
          "Scale numeric features by the training split's mean and standard deviation (recorded, applied to test, eval and predict). Default true.",
      },
    },
  },
  // Only for this dataset: a schema default would put them in every config's data.
  configDefaults: { missing: 'error', standardize: true },
  checkConfig: ({ data }) => [
    ...(data['train'] === undefined || data['target'] === undefined
      ? [
          {
            path: ['data'],
            code: 'missing-key' as const,
            message: 'dataset csv needs data.train: {file: PATH} and data.target: COLUMN',
            hint: 'the CSV file to train on and the column to predict',
          },
        ]
      : []),
    ...(data['test'] === undefined && data['validationSplit'] === 0
      ? [
          {
            path: ['data'],
            code: 'missing-key' as const,
            message: 'dataset csv without data.test has nothing to evaluate on',
            hint: 'give data.test: {file: PATH}, or set data.validationSplit, e.g. 0.1',
          },
        ]
      : []),
  ],
  async load(context: DatasetContext): Promise<DatasetSplits> {
    const trainFile = fileOf(context, 'train');
    if (trainFile === undefined) {
      throw new DatasetError('data.train: the csv dataset needs data.train.file');
    }
    const testFile = fileOf(context, 'test');
    const options = csvTableOptions(context, 'train');
    const { limit, validationSplit } = context.spec;
    // The val split is held out of the statistics, as a test file is.
    const train = await loadCsvTable(trainFile, {
      ...options,
      ...(validationSplit > 0
        ? { holdOut: { limit: limit.train, fraction: validationSplit } }
        : {}),
    });
    const test =
      testFile === undefined
        ? undefined
        : await loadCsvTable(testFile, {
            ...options,
            key: 'test',
            preprocessing: train.preprocessing,
          });
    const target = train.preprocessing.target;
    return {
      train: tableSplit(train),
      test: test ? tableSplit(test) : undefined,
      numClasses: target.kind === 'class' ? target.classes.length : 1,
      task: target.kind === 'class' ? 'classification' : 'regression',
      classes: target.kind === 'class' ? target.classes : [],
      preprocessing: train.preprocessing,
      kind: 'files',
      location: [trainFile, ...(testFile ? [testFile] : [])].join(', '),
      notices: [...train.notices, ...(test?.notices ?? [])],
    };
  },
  async loadTest(context: DatasetContext): Promise<TestSplit | undefined> {
    const preprocessing = context.recorded?.preprocessing;
    if (preprocessing === undefined) {
      throw new InternalError('csv.loadTest needs the run’s recorded table encoding');
    }
    const testFile = fileOf(context, 'test');
    if (testFile === undefined) return undefined;
    // Encoded with the training split's statistics and categories as the run recorded them.
    const test = await loadCsvTable(testFile, {
      ...csvTableOptions(context, 'test'),
      preprocessing,
    });
    return {
      test: tableSplit(test),
      files: test.lines.map((line) => `${testFile}:${line}`),
      location: testFile,
      notices: test.notices,
    };
  },
  async measureData(spec, { cwd, valuesPerExample }) {
    // Held as float32 columns (the encoded features) and a label or target of up to 4 bytes.
    if (valuesPerExample === undefined) return undefined;
    let rows = 0;
    for (const key of ['train', 'test'] as const) {
      const file = (spec.options[key] as { file?: unknown } | undefined)?.file;
      if (file === undefined && key === 'test') continue;
      const count = typeof file === 'string' ? await countCsvRows(resolve(cwd, file)) : undefined;
      if (count === undefined) return undefined;
      rows += count;
    }
    return rows * (valuesPerExample * 4 + 4);
  },
  async status() {
    return {
      dataset: 'csv',
      status: 'user files',
      location: 'data.train.file / data.test.file in the config',
      trainCount: undefined,
      testCount: undefined,
      detail: 'CSV tables named by the experiment',
    };
  },
};
