import { extname } from 'node:path';
import type { ConfigRegistries } from '../config/index.js';
import { loadExperiment } from '../config/index.js';
import { selectBackend } from '../backend/index.js';
import {
  loadCsvRows,
  loadImageFiles,
  type ImageSplit,
  type PredictTable,
  type MissingPolicy,
} from '../data/index.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import { evaluate } from './evaluate.js';
import { loadSavedModel, savedModelDir, type SavedModelChoice } from './load-saved-model.js';
import { checkModelInput, findRecordedRun, type RecordedRun } from './recorded-run.js';

/** One class and its probability. */
export interface ClassProbability {
  readonly class: string;
  readonly probability: number;
}

/** The model's answer for one input: a class with the top 3, or a value. */
export interface Prediction {
  /** The image file, or `file:line` of a CSV row. */
  readonly input: string;
  readonly file: string;
  /** A CSV row's file line. */
  readonly line: number | undefined;
  readonly class: string | undefined;
  readonly probability: number | undefined;
  /** The 3 likeliest classes, likeliest first. */
  readonly top: readonly ClassProbability[] | undefined;
  /** Regression: the predicted number. */
  readonly value: number | undefined;
}

export interface PredictRunOptions {
  readonly store: Store;
  readonly runId: number;
  readonly files: readonly string[];
  /** Default `final`. */
  readonly checkpoint?: SavedModelChoice;
  readonly registries: ConfigRegistries;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunPredictions {
  readonly runId: number;
  readonly checkpoint: SavedModelChoice;
  readonly task: 'classification' | 'regression';
  readonly predictions: readonly Prediction[];
  /** CSV input: each file's cells as written, to write back with a prediction column. */
  readonly tables: readonly { readonly file: string; readonly table: PredictTable }[];
  readonly notices: readonly string[];
}

const TOP = 3;

/**
 * Predicts with a recorded run's saved model: images decoded and resized as
 * the run's, CSV rows encoded with its recorded statistics and categories,
 * in inference mode, with the run's own input normalisation.
 *
 * @example
 * const { predictions } = await predictRun({ store, runId: 12, files: ['cat.jpg'], registries: REGISTRIES });
 */
export async function predictRun(options: PredictRunOptions): Promise<RunPredictions> {
  const { store, runId, files } = options;
  const cwd = options.cwd ?? process.cwd();
  const choice = options.checkpoint ?? 'final';
  if (files.length === 0) {
    throw new UsageError('predict: give at least one image file or CSV file', {
      hint: 'runner predict RUN_ID photo.jpg ... or runner predict RUN_ID rows.csv',
    });
  }
  const found = await findRecordedRun(store, runId, 'predict');
  const experiment = await loadExperiment(found.configFile, {
    registries: options.registries,
    cwd,
  });
  const table = found.recorded.preprocessing !== undefined;
  checkInputKinds(found, files, table);
  await selectBackend(experiment.backend);
  const model = await loadSavedModel(savedModelDir(found.runDir, choice), { runId, choice });
  try {
    const predictions: Prediction[] = [];
    const tables: { file: string; table: PredictTable }[] = [];
    const notices: string[] = [];
    const run = (split: ImageSplit, inputs: readonly { file: string; line?: number }[]): void => {
      checkModelInput(
        runId,
        model.inputs[0]!.shape,
        table ? [split.channels] : [split.height, split.width, split.channels],
        'the model was saved with another input shape than its run recorded',
      );
      const withTargets: ImageSplit =
        found.task === 'regression' && split.targets === undefined
          ? { ...split, targets: new Float32Array(split.count) }
          : split;
      let at = 0;
      evaluate(model, withTargets, {
        batchSize: experiment.data.batchSize,
        normalize: experiment.data.normalize,
        numClasses: found.numClasses,
        loss: experiment.train.loss,
        onOutputs: (outputs, size) => {
          for (let i = 0; i < size; i++, at++) {
            const input = inputs[at]!;
            predictions.push(
              found.task === 'regression'
                ? predictionOf(input, { value: outputs[i]! })
                : classify(
                    input,
                    outputs.subarray(i * found.numClasses, (i + 1) * found.numClasses),
                    found.recorded.classes,
                  ),
            );
          }
        },
      });
    };
    if (table) {
      const data = experiment.data.options;
      for (const file of files) {
        const rows = await loadCsvRows(
          file,
          {
            target: String(data['target']),
            task: found.task,
            missing: (data['missing'] as MissingPolicy | undefined) ?? 'error',
            standardize: data['standardize'] !== false,
            preprocessing: found.recorded.preprocessing!,
          },
          cwd,
        );
        tables.push({ file, table: rows });
        notices.push(...rows.notices);
        run(
          rows.split,
          rows.lines.map((line) => ({ file, line })),
        );
      }
    } else {
      const split = await loadImageFiles(files, found.recorded.shape, cwd);
      run(
        split,
        files.map((file) => ({ file })),
      );
    }
    return { runId, checkpoint: choice, task: found.task, predictions, tables, notices };
  } finally {
    model.dispose();
  }
}

/** A table run predicts CSV rows, an image run image files: anything else is said before loading. */
function checkInputKinds(found: RecordedRun, files: readonly string[], table: boolean): void {
  for (const file of files) {
    const csv = extname(file).toLowerCase() === '.csv';
    if (table && !csv) {
      throw new UsageError(
        `predict: ${file}: run ${found.run.id} was trained on a table (dataset ${found.dataset}); give CSV files with its columns`,
        {
          hint: `the columns: ${found.recorded.preprocessing!.columns.map((c) => c.name).join(', ')}`,
        },
      );
    }
    if (!table && csv) {
      throw new UsageError(
        `predict: ${file}: run ${found.run.id} was trained on images (dataset ${found.dataset}); give image files`,
        {
          hint: `images are resized to ${found.recorded.shape.join('x')} (height x width x channels)`,
        },
      );
    }
  }
}

function classify(
  input: { file: string; line?: number },
  probabilities: Float32Array,
  classes: readonly string[],
): Prediction {
  const ranked = Array.from(probabilities, (probability, index) => ({ index, probability })).sort(
    (a, b) => b.probability - a.probability || a.index - b.index,
  );
  const top = ranked.slice(0, TOP).map((r) => ({
    class: classes[r.index] ?? String(r.index),
    probability: r.probability,
  }));
  return predictionOf(input, {
    class: top[0]!.class,
    probability: top[0]!.probability,
    top,
  });
}

function predictionOf(
  input: { file: string; line?: number },
  answer: Partial<Pick<Prediction, 'class' | 'probability' | 'top' | 'value'>>,
): Prediction {
  return {
    input: input.line === undefined ? input.file : `${input.file}:${input.line}`,
    file: input.file,
    line: input.line,
    class: answer.class,
    probability: answer.probability,
    top: answer.top,
    value: answer.value,
  };
}
