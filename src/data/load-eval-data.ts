import type { DataSpec } from '../config/experiment.js';
import { DatasetError, RunnerError } from '../errors.js';
import type { ImageSplit, LoadDataOptions, RecordedData } from './dataset.js';
import { findDataset } from './datasets/index.js';
import { exampleShape, takeFirst } from './image-split.js';
import { checkSpec, createDatasetContext, loadData } from './load-data.js';

/** The split a trained model is evaluated on, as `runner eval` needs it. */
export interface EvalData {
  readonly eval: ImageSplit;
  readonly evalName: 'test' | 'val';
  /** Per example, the file it came from (image folders: `<class>/<file>`), when known. */
  readonly files: readonly string[] | undefined;
  /** [height, width, channels] of the images, [features] of a table. */
  readonly shape: readonly number[];
  /** Where the examples came from (folders, files). */
  readonly location: string;
  /** False when the dataset had to be loaded whole (a val split, a dataset without `loadTest`). */
  readonly testOnly: boolean;
  readonly notices: readonly string[];
}

/**
 * Loads only what a trained model is evaluated on: `data.test`, encoded with
 * the run's recorded classes, image shape and CSV statistics, so the training
 * data may be gone (moved, deleted, another machine). A `validationSplit`
 * run's own val split is part of its training data, which is then read whole.
 *
 * @example
 * const data = await loadEvalData(experiment.data, { seed: 1, recorded: run.recorded, task: 'classification' });
 */
export async function loadEvalData(
  spec: DataSpec,
  options: LoadDataOptions & { readonly recorded: RecordedData },
): Promise<EvalData> {
  checkSpec(spec);
  const dataset = findDataset(spec.dataset);
  const context = createDatasetContext(spec, options);
  const loaded =
    spec.validationSplit === 0 && dataset.loadTest ? await dataset.loadTest(context) : undefined;
  if (loaded !== undefined) {
    const notices = [...loaded.notices];
    let test = loaded.test;
    let files = loaded.files;
    const limit = spec.limit.test;
    if (limit !== undefined && limit < test.count) {
      test = takeFirst(test, limit);
      files = files?.slice(0, limit);
    } else if (limit !== undefined && limit > test.count) {
      notices.push(
        `${spec.dataset}: data.limit.test is ${limit.toLocaleString('en-US')}, but the test set has ${test.count.toLocaleString('en-US')} examples; using all of them`,
      );
    }
    if (test.count === 0) {
      throw new DatasetError(`${spec.dataset}: the test set is empty`, {
        hint: 'check the files and data.limit.test',
      });
    }
    return {
      eval: test,
      evalName: 'test',
      files,
      shape: exampleShape(test),
      location: loaded.location,
      testOnly: true,
      notices,
    };
  }
  try {
    const data = await loadData(spec, options);
    return {
      eval: data.eval,
      evalName: data.evalName,
      files: undefined,
      shape: data.shape,
      location: data.source.location,
      testOnly: false,
      notices: data.notices,
    };
  } catch (error) {
    if (!(error instanceof RunnerError) || error.kind !== 'dataset' || spec.validationSplit === 0)
      throw error;
    // The run's val split is the end of its training data: say why that data is read at all.
    throw new DatasetError(error.message, {
      hint: `the run was evaluated on data.validationSplit ${spec.validationSplit} of its training data, which is read to rebuild that split; to evaluate on other data, give runner eval --data FILE with data: {test: ...}`,
      cause: error,
    });
  }
}
