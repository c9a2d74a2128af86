import type { DataSpec } from '../config/experiment.js';
import { DatasetError } from '../errors.js';
import type {
  DatasetContext,
  DatasetSplits,
  ImageSplit,
  LoadDataOptions,
  LoadedData,
} from './dataset.js';
import { findDataset } from './datasets/index.js';
import { DEFAULT_TIMEOUTS } from './download.js';
import { exampleShape, sliceSplit, takeFirst } from './image-split.js';

/** Resolves the options of `loadData` (and of `runner data ls/fetch`) into what a dataset sees. */
export function createDatasetContext(spec: DataSpec, options: LoadDataOptions): DatasetContext {
  return {
    spec,
    seed: options.seed,
    modelInput: options.modelInput,
    task: options.task ?? 'classification',
    recorded: options.recorded,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    logger: options.logger,
    onProgress: options.onProgress,
    mirrors: options.mirrors,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
  };
}

/**
 * Loads the dataset `spec.dataset` names, applies `limit` (the first N examples)
 * and `validationSplit` (the last fraction of the limited training set becomes
 * `val`), and says where the data came from.
 *
 * @example
 * const data = await loadData(experiment.data, { seed: experiment.seed, onProgress });
 * for (const notice of data.notices) out.note(notice);
 */
export async function loadData(spec: DataSpec, options: LoadDataOptions): Promise<LoadedData> {
  checkSpec(spec);
  const dataset = findDataset(spec.dataset);
  const context = createDatasetContext(spec, options);
  const splits = await dataset.load(context);
  const data = assemble(spec, splits);
  context.logger?.info(
    { dataset: spec.dataset, source: data.source, evalName: data.evalName, notices: data.notices },
    'data loaded',
  );
  return data;
}

export function checkSpec(spec: DataSpec): void {
  const { train, test } = spec.limit;
  for (const [key, value] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new DatasetError(`data.limit.${key}: expected a positive integer, found ${value}`);
    }
  }
  if (!(spec.validationSplit >= 0 && spec.validationSplit < 1)) {
    throw new DatasetError(
      `data.validationSplit: expected a fraction in [0, 1), found ${spec.validationSplit}`,
      {
        hint: 'e.g. 0.1 holds out the last 10% of the training set; 0 evaluates on the test set',
      },
    );
  }
}

function assemble(spec: DataSpec, splits: DatasetSplits): LoadedData {
  const notices = [...splits.notices];
  const name = spec.dataset;
  const limited = (
    split: ImageSplit,
    limit: number | undefined,
    key: 'train' | 'test',
  ): ImageSplit => {
    if (limit === undefined) return split;
    if (limit > split.count) {
      notices.push(
        `${name}: data.limit.${key} is ${limit.toLocaleString('en-US')}, but the ${key} set has ${split.count.toLocaleString('en-US')} examples; using all of them`,
      );
      return split;
    }
    return takeFirst(split, limit);
  };
  let train = limited(splits.train, spec.limit.train, 'train');
  let evalSplit: ImageSplit;
  let evalName: 'test' | 'val';
  let evalFiles: readonly string[] | undefined;
  if (spec.validationSplit > 0) {
    if (spec.limit.test !== undefined) {
      notices.push(
        `${name}: data.limit.test is not used: with data.validationSplit ${spec.validationSplit}, evaluation is on the val split held out from train`,
      );
    }
    const valCount = Math.round(train.count * spec.validationSplit);
    if (valCount < 1 || valCount >= train.count) {
      throw new DatasetError(
        `data.validationSplit: ${spec.validationSplit} of ${train.count.toLocaleString('en-US')} training examples leaves ${valCount < 1 ? 'no validation' : 'no training'} examples`,
        { hint: 'raise data.limit.train or change data.validationSplit' },
      );
    }
    evalSplit = sliceSplit(train, train.count - valCount, train.count);
    evalFiles = splits.files?.train.slice(train.count - valCount, train.count);
    train = sliceSplit(train, 0, train.count - valCount);
    evalName = 'val';
  } else {
    if (splits.test === undefined) {
      throw new DatasetError(`${name}: there is no test set to evaluate on`, {
        hint: 'give data.test.images and data.test.labels, or set data.validationSplit (e.g. 0.1)',
      });
    }
    evalSplit = limited(splits.test, spec.limit.test, 'test');
    evalFiles = splits.files?.test?.slice(0, evalSplit.count);
    evalName = 'test';
  }
  if (train.count === 0 || evalSplit.count === 0) {
    throw new DatasetError(
      `${name}: the ${train.count === 0 ? 'training' : evalName} set is empty`,
      {
        hint: 'check the files and data.limit',
      },
    );
  }
  return {
    train,
    eval: evalSplit,
    evalName,
    numClasses: splits.numClasses,
    task: splits.task ?? 'classification',
    classes: splits.classes ?? Array.from({ length: splits.numClasses }, (_, i) => String(i)),
    preprocessing: splits.preprocessing,
    shape: exampleShape(train),
    ...(evalFiles !== undefined ? { evalFiles } : {}),
    source: {
      dataset: name,
      kind: splits.kind,
      location: splits.location,
      trainCount: train.count,
      evalCount: evalSplit.count,
    },
    notices,
  };
}

/**
 * Throws when the model's input shape (without the batch dimension) is not the
 * data's: [height, width, channels] of the images, or [features] of a table.
 */
export function checkInputShape(
  data: Pick<LoadedData, 'shape' | 'source'>,
  modelInput: readonly number[],
): void {
  const shape = data.shape;
  const matches = modelInput.length === shape.length && modelInput.every((d, i) => d === shape[i]);
  if (matches) return;
  const what =
    shape.length === 1
      ? `the table of ${data.source.dataset}: ${shape[0]} encoded features`
      : `the images of ${data.source.dataset}: ${shape.join('x')} (height x width x channels)`;
  throw new DatasetError(`model.input [${modelInput.join(',')}] does not match ${what}`, {
    hint: `set model.input to [${shape.join(', ')}] or leave it out (it is then taken from the data), or use data that fits the model`,
  });
}
