import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedData, Task } from '../data/index.js';
import type { TablePreprocessing } from '../data/index.js';
import { UsageError } from '../errors.js';
import { isRunAlive, localLivenessProbe, type RunDetail, type Store } from '../store/index.js';
import { RESOLVED_CONFIG_FILE } from './resume-run.js';

/** A trained run as eval and predict need it: its config file and what it learnt about its data. */
export interface RecordedRun {
  readonly run: RunDetail;
  readonly runDir: string;
  /** The run's resolved config, in its artifacts folder. */
  readonly configFile: string;
  readonly dataset: string;
  readonly task: Task;
  /** The model's outputs: classes, or 1 for regression. */
  readonly numClasses: number;
  /** Classes, input shape and CSV encoding as the run recorded them. */
  readonly recorded: RecordedData;
}

/** The `dataInfo` a run records (`runExperiment`), as far as eval and predict read it. */
interface DataInfo {
  readonly dataset?: unknown;
  readonly task?: unknown;
  readonly numClasses?: unknown;
  readonly shape?: unknown;
  readonly classes?: unknown;
  readonly preprocessing?: unknown;
}

/**
 * Finds run `runId` with its artifacts and data facts, or says in one line
 * (UsageError) why `command` cannot use it.
 */
export async function findRecordedRun(
  store: Store,
  runId: number,
  command: 'eval' | 'predict',
): Promise<RecordedRun> {
  const run = await store.getRun(runId);
  if (!run) {
    throw new UsageError(`${command}: no run with id ${runId} in ${store.path}`, {
      hint: 'see the ids with `runner runs ls`',
    });
  }
  // A lost run (recorded running, its process gone) may still have a best checkpoint.
  if (run.status === 'running' && isRunAlive(run, localLivenessProbe())) {
    throw new UsageError(`${command}: run ${runId} is still running; its model is not saved yet`, {
      hint: 'wait until it ends (runner runs ls), or stop it with Ctrl-C',
    });
  }
  const runDir = run.artifactsDir;
  if (runDir === null || !existsSync(runDir)) {
    throw new UsageError(
      `${command}: run ${runId} has no artifacts folder${runDir ? ` (${runDir} is missing)` : ''}`,
      { hint: 'the saved model lives there; was the folder moved or deleted?' },
    );
  }
  const info = (run.dataInfo ?? {}) as DataInfo;
  const shape = info.shape;
  const classes = info.classes;
  const task = info.task === 'regression' ? 'regression' : 'classification';
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number') ||
    !Array.isArray(classes) ||
    typeof info.numClasses !== 'number'
  ) {
    throw new UsageError(
      `${command}: run ${runId} was recorded without its data facts (classes, input shape)`,
      { hint: 'runs recorded by an older runner cannot be evaluated; train it again' },
    );
  }
  const configFile = join(runDir, RESOLVED_CONFIG_FILE);
  // Runs recorded before the file was kept: the store has the same text.
  if (!existsSync(configFile)) writeFileSync(configFile, run.configYaml);
  return {
    run,
    runDir,
    configFile,
    dataset: typeof info.dataset === 'string' ? info.dataset : run.dataset,
    task,
    numClasses: info.numClasses,
    recorded: {
      classes: classes.map(String),
      shape: shape as number[],
      preprocessing: info.preprocessing as TablePreprocessing | undefined,
    },
  };
}

/** Refuses a model whose input is not the data's shape (a resized image set, other CSV columns). */
export function checkModelInput(
  runId: number,
  modelShape: readonly (number | null)[],
  dataShape: readonly number[],
  hint: string,
): void {
  const input = modelShape.slice(1);
  if (input.length === dataShape.length && input.every((d, i) => d === dataShape[i])) return;
  throw new UsageError(
    `the model of run ${runId} takes input [${input.join(', ')}], but the data gives [${dataShape.join(', ')}]`,
    { hint },
  );
}
