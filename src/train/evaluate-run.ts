import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ConfigRegistries, Experiment } from '../config/index.js';
import { loadExperiment } from '../config/index.js';
import { selectBackend } from '../backend/index.js';
import { loadEvalData, type EvalData } from '../data/index.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import { scoreConfusion, type ConfusionMatrix } from './confusion-matrix.js';
import { evaluate, evaluationMetrics, type Evaluation } from './evaluate.js';
import { loadSavedModel, savedModelDir, type SavedModelChoice } from './load-saved-model.js';
import {
  collectMisclassified,
  writeMisclassified,
  type MisclassifiedExample,
} from './misclassified.js';
import { checkModelInput, findRecordedRun } from './recorded-run.js';

export interface EvaluateRunOptions {
  readonly store: Store;
  readonly runId: number;
  /** Default `final`. */
  readonly checkpoint?: SavedModelChoice;
  /** A YAML file with a `data:` section, over the run's own (paths relative to `cwd`). */
  readonly dataFile?: string;
  /** `data.*` (or `backend`) overrides, as `runner exp --set`. */
  readonly set?: readonly string[];
  readonly registries: ConfigRegistries;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called after each evaluated batch: examples done so far, and how many in all. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What `runner eval` prints and records. */
export interface RunEvaluation {
  readonly evaluationId: number;
  readonly runId: number;
  readonly checkpoint: SavedModelChoice;
  /** `test` or `val` of the run's data; `data` for data given by --data or --set. */
  readonly split: string;
  readonly count: number;
  readonly metrics: Record<string, number>;
  readonly task: 'classification' | 'regression';
  readonly classes: readonly string[];
  /** Classification: counts, per-class precision, recall and F1. */
  readonly confusion: ConfusionMatrix | undefined;
  /**
   * Image classification: the wrong answers the model was surest of (most
   * confident first, without their pixels; the run page shows them).
   */
  readonly misclassified:
    | {
        readonly count: number;
        readonly wrong: number;
        readonly examples: readonly Omit<MisclassifiedExample, 'image'>[];
      }
    | undefined;
  /** Where the evaluated examples came from (folders, files). */
  readonly location: string;
  readonly backend: string;
  readonly notices: readonly string[];
  readonly durationMs: number;
}

/**
 * Evaluates a recorded run's saved model on its own eval split, or on other
 * data given like a config's `data` section, encoded as the run recorded
 * (classes, image size, CSV statistics), and records the result as an
 * evaluation of the run (not a new run).
 *
 * @example
 * const result = await evaluateRun({ store, runId: 12, registries: REGISTRIES });
 * result.metrics['accuracy'];
 */
export async function evaluateRun(options: EvaluateRunOptions): Promise<RunEvaluation> {
  const { store, runId } = options;
  const cwd = options.cwd ?? process.cwd();
  const choice = options.checkpoint ?? 'final';
  const start = Date.now();
  const found = await findRecordedRun(store, runId, 'eval');
  const set = [...(options.set ?? [])];
  for (const flag of set) checkEvalOverride(flag);
  const otherData = options.dataFile !== undefined || set.some((f) => f.trim().startsWith('data.'));
  const dataFile = options.dataFile === undefined ? undefined : resolve(cwd, options.dataFile);
  if (dataFile !== undefined)
    set.unshift(...dataFileOverrides(dataFile, options.dataFile!, found.dataset));
  const experiment: Experiment = await loadExperiment(dataFile ?? found.configFile, {
    registries: options.registries,
    set,
    cwd,
    ...(dataFile !== undefined ? { base: found.configFile } : {}),
  });
  const backend = await selectBackend(experiment.backend);
  // Load the model first: a missing artifact is said before any data is read.
  const model = await loadSavedModel(savedModelDir(found.runDir, choice), { runId, choice });
  try {
    // Only the evaluated split is read, encoded as the run recorded: the training data may be gone.
    const data: EvalData = await loadEvalData(experiment.data, {
      seed: experiment.seed,
      modelInput: found.recorded.shape,
      task: found.task,
      recorded: found.recorded,
      cwd,
      ...(options.env ? { env: options.env } : {}),
    });
    checkModelInput(
      runId,
      model.inputs[0]!.shape,
      data.shape,
      'evaluate on data of the shape the run was trained on (leave data.image.size as it was)',
    );
    const split = otherData ? 'data' : data.evalName;
    const classes = found.recorded.classes;
    const images = found.task === 'classification' && data.shape.length === 3;
    // The grid of the most confidently misclassified images comes from the same pass.
    const collector = images
      ? collectMisclassified(data.eval, { splitName: split, classes, files: data.files })
      : undefined;
    const evaluation: Evaluation = evaluate(model, data.eval, {
      batchSize: experiment.data.batchSize,
      normalize: experiment.data.normalize,
      numClasses: found.numClasses,
      loss: experiment.train.loss,
      ...(collector ? { onOutputs: collector.onOutputs } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const metrics = evaluationMetrics(evaluation);
    const evaluationId = await store.addEvaluation({
      runId,
      kind: 'eval',
      checkpoint: choice,
      split,
      data: experiment.source.document['data'] ?? null,
      count: evaluation.count,
      metrics,
      ...(evaluation.confusion ? { classes, confusion: evaluation.confusion } : {}),
    });
    const notices = [...data.notices];
    const grid = collector ? { ...(await collector.finish()), evaluationId } : undefined;
    if (grid !== undefined) {
      try {
        writeMisclassified(found.runDir, evaluationId, grid);
      } catch (error) {
        // The evaluation is recorded; only the page's grid is missing, and the user is told.
        notices.push(
          `could not write the misclassified grid of evaluation ${evaluationId} in ${found.runDir} (${(error as Error).message}); the run page will not show it`,
        );
      }
    }
    return {
      evaluationId,
      runId,
      checkpoint: choice,
      split,
      count: evaluation.count,
      metrics,
      task: found.task,
      classes,
      confusion: evaluation.confusion ? scoreConfusion(evaluation.confusion) : undefined,
      misclassified: grid
        ? {
            count: grid.count,
            wrong: grid.wrong,
            examples: grid.examples.map(({ image: _image, ...rest }) => rest),
          }
        : undefined,
      location: data.location,
      backend: backend.name,
      notices,
      durationMs: Date.now() - start,
    };
  } finally {
    model.dispose();
  }
}

/** Only the data (and the backend) may change: the model and its training are the run's. */
function checkEvalOverride(flag: string): void {
  const key = flag.split('=')[0]!.trim();
  if (key === 'backend' || key.startsWith('data.')) return;
  throw new UsageError(`--set ${flag}: eval only changes data.* (and backend), not ${key}`, {
    hint: 'e.g. --set data.test.dir=other/test; the model and its training are the run’s',
  });
}

/**
 * Checks the --data file holds only a `data:` section of the run's dataset;
 * data with a `test` and no `validationSplit` is evaluated on that test set.
 */
function dataFileOverrides(absolute: string, shown: string, dataset: string): string[] {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--data ${shown}: file not found`);
    // YAML syntax errors are located by the config stage, which reads the file next.
    return [];
  }
  const data = (document as { data?: unknown } | null)?.data;
  const keys = document !== null && typeof document === 'object' ? Object.keys(document) : [];
  if (typeof data !== 'object' || data === null || keys.some((k) => k !== 'data')) {
    throw new UsageError(
      `--data ${shown}: expected a file with only a data: section${keys.length > 0 ? `, found ${keys.join(', ')}` : ''}`,
      { hint: 'e.g. data: { test: { dir: photos/test } }, over the run’s own data section' },
    );
  }
  const given = data as Record<string, unknown>;
  if (given['dataset'] !== undefined && given['dataset'] !== dataset) {
    throw new UsageError(
      `--data ${shown}: dataset ${String(given['dataset'])}, but run was trained on ${dataset}`,
      { hint: `leave data.dataset out, or give ${dataset} data` },
    );
  }
  return given['test'] !== undefined && given['validationSplit'] === undefined
    ? ['data.validationSplit=0']
    : [];
}
