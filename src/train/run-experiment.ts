import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import type { Experiment } from '../config/experiment.js';
import { selectBackend, type BackendInfo } from '../backend/index.js';
import {
  checkInputShape,
  loadData,
  type DownloadProgress,
  type LoadedData,
} from '../data/index.js';
import { buildModel, planModel, type ModelPlan } from '../model/index.js';
import { checkClassCount, declaredClassCount } from './check-class-count.js';
import { planOnCpu } from '../model/planning-backend.js';
import { checkMemory, estimateMemory, loadedDataBytes, memoryLimits } from './memory-estimate.js';
import {
  flattenConfig,
  heartbeatIntervalOf,
  processStartedAt,
  type PrunedAt,
  type RunStatus,
  type Store,
} from '../store/index.js';
import { DatasetError, diskFullAt, StoreError } from '../errors.js';
import { evaluationMetrics, type Evaluation } from './evaluate.js';
import { taskOfLoss } from './losses.js';
import {
  checkWarmup,
  checkResumeIdentity,
  CHECKPOINT_FILE,
  RESOLVED_CONFIG_FILE,
  type ResumePlan,
} from './resume-run.js';
import { collectRunFacts, hashConfig } from './run-facts.js';
import { saveModel } from './save-model.js';
import { failRun } from './fail-run.js';
import { openRunLog, type RunLog } from './run-log.js';
import { findMisclassified, writeMisclassified } from './misclassified.js';
import { writeTrainingCheckpoint } from './training-checkpoint.js';
import { trainModel, type EpochEvent, type StepEvent } from './train-loop.js';
import { resolveWorkers, type WorkerPlan } from './parallel/index.js';
import { RUNNER_VERSION } from '../version.js';

/** What the caller (the CLI) is told while a run goes; the library never prints. */
export interface RunReporter {
  onDownload?(progress: DownloadProgress): void;
  onStart?(start: RunStart): void;
  onEpochStart?(epoch: number, epochs: number, batchesPerEpoch: number): void;
  onStep?(event: StepEvent, epochs: number): void;
  onEpochEnd?(event: EpochEvent, epochs: number, isBest: boolean): void;
  /** Evaluation of an epoch begins (it may take a while on a large split). */
  onEvaluate?(epoch: number): void;
  /** A run continues from its checkpoint, at this step and epoch. */
  onResume?(resumed: {
    readonly step: number;
    readonly epoch: number;
    readonly forced: readonly string[];
  }): void;
}

export interface RunStart {
  readonly runId: number;
  readonly name: string;
  readonly runDir: string;
  readonly backend: BackendInfo;
  readonly data: LoadedData;
  readonly plan: ModelPlan;
  /** How many replicas train, and why. */
  readonly workers: WorkerPlan;
  /** What data-parallel training changes (batch norm statistics), also kept with the run. */
  readonly workerNotices: readonly string[];
  /**
   * Writes the metric values queued so far (a step not yet flushed) now: a caller about to end
   * the process without waiting for the loop (a trial whose sweep died, stuck past its grace)
   * calls it first, so nothing recorded is lost.
   */
  flushMetrics(): Promise<void>;
}

/** The end of a run, as `runner exp` prints it (and `--json` returns it). */
export interface RunResult {
  readonly runId: number;
  readonly name: string;
  /** Never `lost`: that is written by the worker of a queued trial, not by the run itself. */
  readonly status: Exclude<RunStatus, 'running' | 'lost'>;
  readonly steps: number;
  readonly epochs: number;
  readonly evalName: 'test' | 'val';
  readonly final: Evaluation | undefined;
  readonly best: (Evaluation & { readonly epoch: number }) | undefined;
  readonly divergedAtStep: number | undefined;
  /** Why the run was stopped as diverged, e.g. the loss at that step. */
  readonly divergence: string | undefined;
  /** Why a completed run stopped before its last epoch (early stopping). */
  readonly stopReason: string | undefined;
  readonly durationMs: number;
  readonly backend: string;
  readonly runDir: string;
  readonly dbPath: string;
}

export interface RunExperimentOptions {
  readonly experiment: Experiment;
  readonly store: Store;
  /** Per-run artifacts go to `<runsDir>/<store id>/<run id>/`: two stores beside each other never share a folder. */
  readonly runsDir: string;
  /** Overrides the config's name for the run record. */
  readonly name?: string;
  /** Tags of the new run (`runner exp --tag`); one word each (store `tagProblem`). */
  readonly tags?: readonly string[];
  /** A note on the new run. */
  readonly note?: string;
  readonly reporter?: RunReporter;
  readonly shouldStop: () => boolean;
  readonly now?: () => number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly sweep?: SweepTrialContext;
  /**
   * The cores `train.workers: auto` may use. Default: RUNNER_CORES from `env`
   * (a sweep gives each of its parallel trials its share), else
   * `os.availableParallelism()`.
   */
  readonly cores?: number;
  /** The data-parallel worker script (tests wrap the real one). */
  readonly replicaWorkerUrl?: URL;
  /** Continue this recorded run from its checkpoint instead of starting a new one. */
  readonly resume?: ResumePlan;
}

/** The pruner's stop: its reason (a notice of the run) and where (the run's `prunedAt`). */
export interface PruneStop {
  readonly reason: string;
  readonly prunedAt: PrunedAt;
}

/** A run that is a trial of a sweep: linked to it, and may be pruned by the sweep's pruner. */
export interface SweepTrialContext {
  readonly sweepId: number;
  readonly trialIndex: number;
  /**
   * Called at each epoch end with the eval metric; true, a reason (recorded as a notice of
   * the run) or a stop (reason and rung, recorded as the run's `prunedAt` too) stops the
   * trial as `pruned`.
   */
  readonly shouldPrune?: (
    epoch: number,
    metrics: Readonly<Record<string, number>>,
  ) => boolean | string | PruneStop | Promise<boolean | string | PruneStop>;
}

/**
 * Trains one experiment and records it: backend, data, model, a run row with
 * every fact needed to reproduce it, every step's metrics, the final model
 * and the best checkpoint. Whatever happens, the metrics written so far stay
 * and the run is marked with how it ended.
 */
export async function runExperiment(options: RunExperimentOptions): Promise<RunResult> {
  const { experiment, store, reporter = {} } = options;
  const now = options.now ?? Date.now;
  const cwd = options.cwd ?? process.cwd();
  // Everything that can fail on bad input happens before the run is recorded.
  const backend = await selectBackend(experiment.backend);
  // With model.input given, the model is planned (and its output checked) before any data loads.
  const earlyPlan =
    experiment.model.input === undefined
      ? undefined
      : await planOnCpu(() => planModel(experiment.model));
  const declaredClasses = declaredClassCount(experiment);
  if (earlyPlan !== undefined) checkClassCount(experiment, earlyPlan, declaredClasses);
  const data = await loadData(experiment.data, {
    seed: experiment.seed,
    modelInput: experiment.model.input,
    task: taskOfLoss(experiment.train.loss),
    cwd,
    ...(options.env ? { env: options.env } : {}),
    ...(reporter.onDownload ? { onProgress: reporter.onDownload } : {}),
  });
  // model.input, when given, must fit the data; left out, it is the data's shape
  // (and the model is planned only now).
  if (experiment.model.input !== undefined) checkInputShape(data, experiment.model.input);
  const modelSpec = { ...experiment.model, input: experiment.model.input ?? data.shape };
  const plan = earlyPlan ?? (await planOnCpu(() => planModel(modelSpec)));
  if (earlyPlan === undefined) checkClassCount(experiment, plan, declaredClasses);
  checkTask(experiment, data, plan);
  if (declaredClasses === undefined) {
    checkClassCount(
      experiment,
      plan,
      data.numClasses,
      `the training and test labels have ${data.numClasses} classes (0 to ${data.numClasses - 1})`,
    );
  }
  const workers =
    singleReplica(data) ??
    resolveWorkers(experiment.train.workers, {
      backend: backend.name,
      batchSize: experiment.data.batchSize,
      cores: options.cores ?? coresOf(options.env ?? process.env) ?? availableParallelism(),
    });
  const parallelNotices = workerNotices(workers, plan, experiment.train.workers);
  checkMemory(
    experiment,
    plan,
    estimateMemory(experiment, plan, loadedDataBytes(data)),
    memoryLimits(backend.name),
  );
  const model = buildModel(modelSpec, { seed: experiment.seed });

  const document = experiment.source.document;
  checkWarmup(experiment, data.train.count);
  const facts = collectRunFacts(document, cwd);
  const resume = options.resume;
  let runId: number;
  let name: string;
  let runDir: string;
  if (resume) {
    // Refusals first: nothing in the store changes unless the run can continue.
    const forced = checkResumeIdentity(resume, {
      configHash: hashConfig(document),
      backend: backend.name,
      runnerVersion: RUNNER_VERSION,
    });
    runId = resume.run.id;
    name = resume.run.name;
    runDir = resume.runDir;
    const { position } = resume.checkpoint.state;
    await store.reopenRun(runId, {
      afterStep: position.step,
      keepAtStep: resume.checkpoint.state.recordedAtStep,
      pid: process.pid,
      ...ownStartTime(),
    });
    await store.setRunFacts(runId, {
      notices: [
        `resumed at step ${position.step} (epoch ${position.epoch}) from its checkpoint` +
          (forced.length > 0 ? ` despite ${forced.join(', ')} (--force)` : ''),
      ],
    });
    reporter.onResume?.({ step: position.step, epoch: position.epoch, forced });
  } else {
    name = options.name ?? experiment.name;
    try {
      runId = await store.createRun({
        name,
        configYaml: facts.configYaml,
        config: document,
        configHash: facts.configHash,
        params: flattenConfig(document),
        seed: experiment.seed,
        backend: backend.name,
        // What computed it (the SIMD loops or not) recorded beside why this backend.
        backendReason: `${backend.reason}; ${backend.kernels}`,
        dataset: experiment.data.dataset,
        datasetSource: `${data.source.kind}: ${data.source.location}`,
        dataInfo: {
          ...data.source,
          evalName: data.evalName,
          numClasses: data.numClasses,
          shape: data.shape,
          task: data.task,
          classes: data.classes,
          ...(data.preprocessing ? { preprocessing: data.preprocessing } : {}),
        },
        versions: facts.versions,
        ...(facts.gitCommit ? { gitCommit: facts.gitCommit } : {}),
        host: facts.host,
        pid: process.pid,
        ...ownStartTime(),
        notices: [...data.notices, ...parallelNotices],
        ...(options.tags && options.tags.length > 0 ? { tags: options.tags } : {}),
        ...(options.note ? { note: options.note } : {}),
        ...(options.sweep
          ? { sweepId: options.sweep.sweepId, trialIndex: options.sweep.trialIndex }
          : {}),
      });
    } catch (error) {
      throw diskFullAt(store.path, error);
    }
    const storeId = await store.storeId();
    if (storeId === null)
      throw new StoreError(
        `the run store ${store.path} has no id; open it writable once to migrate it`,
      );
    runDir = resolve(options.runsDir, storeId, String(runId));
    try {
      mkdirSync(runDir, { recursive: true });
      // The resolved config beside the run: what `runner exp --resume` trains on.
      const configFile = join(runDir, RESOLVED_CONFIG_FILE);
      try {
        writeFileSync(configFile, facts.configYaml);
      } catch (error) {
        throw diskFullAt(configFile, error);
      }
      await store.setRunFacts(runId, {
        artifactsDir: runDir,
        parameterCount: plan.trainableParams,
      });
    } catch (error) {
      throw await failRun(store, runId, error, { runDir });
    }
  }
  let log: RunLog;
  try {
    log = openRunLog(join(runDir, 'log.jsonl'), runId);
    log.logger.info(
      { backend, workers, data: data.source, notices: data.notices, params: plan.totalParams },
      resume ? 'run resumed' : 'run started',
    );
  } catch (error) {
    throw await failRun(store, runId, error, { runDir });
  }
  const { logger } = log;
  const writer = await store.createMetricWriter(runId);
  reporter.onStart?.({
    runId,
    name,
    runDir,
    backend,
    data,
    plan,
    workers,
    workerNotices: parallelNotices,
    flushMetrics: () => writer.flush(),
  });
  const checkpointFile = join(runDir, CHECKPOINT_FILE);
  const identity = {
    runId,
    configHash: facts.configHash,
    backend: backend.name,
    runnerVersion: RUNNER_VERSION,
  };

  // Beats between flushes too (a slow evaluation), from a thread of its own.
  const stopHeartbeat = store.keepAlive?.(runId, heartbeatIntervalOf(options.env ?? process.env));
  const startedAt = now();
  const epochs = experiment.train.epochs;
  let best: (Evaluation & { epoch: number }) | undefined = resume?.checkpoint.state.best;
  const scheduled = experiment.train.schedule !== undefined;
  const earlyBestDir = join(runDir, 'early-stopping-best');
  /** Why the sweep's pruner stopped this trial (recorded as a notice). */
  let pruneReason: string | undefined;
  let prunedAt: PrunedAt | undefined;
  try {
    const outcome = await trainModel({
      ...(resume ? { resume: resume.checkpoint.state } : {}),
      best: () => best,
      // With model.input as the data gave it (replicas build their model from it).
      experiment: { ...experiment, model: modelSpec },
      model,
      train: data.train,
      evalSplit: data.eval,
      evalName: data.evalName,
      numClasses: data.numClasses,
      shouldStop: options.shouldStop,
      now,
      parallel: {
        replicas: workers.count,
        backend: backend.name,
        ...(options.replicaWorkerUrl ? { workerUrl: options.replicaWorkerUrl } : {}),
      },
      observer: {
        onEpochStart: (epoch, batches) => reporter.onEpochStart?.(epoch, epochs, batches),
        onStep: (event) => {
          writer.add('train/loss', event.step, event.epoch, event.loss, event.time);
          if (event.accuracy !== undefined) {
            writer.add('train/accuracy', event.step, event.epoch, event.accuracy, event.time);
          }
          if (scheduled) {
            writer.add(
              'train/learning_rate',
              event.step,
              event.epoch,
              event.learningRate,
              event.time,
            );
          }
          if (event.momentum !== undefined) {
            writer.add('train/momentum', event.step, event.epoch, event.momentum, event.time);
          }
          reporter.onStep?.(event, epochs);
        },
        onEvaluate: (epoch) => {
          logger.info({ epoch }, 'evaluation started');
          reporter.onEvaluate?.(epoch);
        },
        onCheckpoint: async (state, reason) => {
          // Metrics up to this step reach the store before the checkpoint that claims them.
          await writer.flush();
          const start = now();
          const bytes = writeTrainingCheckpoint(checkpointFile, identity, state);
          logger.info(
            { reason, ...state.position, bytes, ms: now() - start },
            'checkpoint written',
          );
        },
        onEpochEnd: async (event) => {
          const { evaluation, evalName, step, epoch, time } = event;
          const metrics = prefixed(evalName, evaluationMetrics(evaluation));
          for (const [key, value] of Object.entries(metrics)) {
            writer.add(key, step, epoch, value, time);
          }
          // The epoch's means, each batch by its size: what summaries use for training.
          writer.add('train/epoch_loss', step, epoch, event.train.loss, time);
          if (event.train.accuracy !== undefined) {
            writer.add('train/epoch_accuracy', step, epoch, event.train.accuracy, time);
          }
          if (!scheduled) writer.add('train/learning_rate', step, epoch, event.learningRate, time);
          writer.add('perf/images_per_sec', step, epoch, event.imagesPerSec, time);
          writer.add('perf/workers', step, epoch, workers.count, time);
          await writer.flush();
          const isBest = isBetter(evaluation, best, experiment.train.checkpointMetric);
          if (isBest) {
            best = { ...evaluation, epoch };
            await saveModel(model, join(runDir, 'checkpoint-best'));
          }
          if (event.earlyStoppingBest && experiment.train.earlyStopping?.restoreBest) {
            await saveModel(model, earlyBestDir);
          }
          logger.info(
            { epoch, step, evalName, ...evaluation, imagesPerSec: event.imagesPerSec, isBest },
            'epoch end',
          );
          reporter.onEpochEnd?.(event, epochs, isBest);
          const prune = await options.sweep?.shouldPrune?.(epoch, metrics);
          if (typeof prune === 'string') pruneReason = prune;
          else if (typeof prune === 'object') {
            pruneReason = prune.reason;
            prunedAt = prune.prunedAt;
          }
          return prune ? 'prune' : 'continue';
        },
      },
    });
    await writer.close();
    const modelDir = join(runDir, 'model');
    if (experiment.train.earlyStopping?.restoreBest && existsSync(earlyBestDir)) {
      // The saved final model is the best epoch's (by the early-stopping metric).
      rmSync(modelDir, { recursive: true, force: true });
      cpSync(earlyBestDir, modelDir, { recursive: true });
    } else {
      await saveModel(model, modelDir);
    }
    const stopReason = outcome.status === 'pruned' ? pruneReason : outcome.stopReason;
    if (stopReason !== undefined) await store.setRunFacts(runId, { notices: [stopReason] });
    // Only a run that can still continue keeps its training state.
    if (outcome.status !== 'interrupted') rmSync(checkpointFile, { force: true });
    const last = outcome.lastEvaluation;
    if (last !== undefined) {
      // The final model's last evaluation, with its confusion matrix (runs show, the run page).
      const evaluationId = await store.addEvaluation({
        runId,
        kind: 'training',
        checkpoint: 'final',
        split: data.evalName,
        data: document['data'] ?? null,
        count: last.count,
        metrics: evaluationMetrics(last),
        ...(last.confusion ? { classes: data.classes, confusion: last.confusion } : {}),
      });
      if (data.task === 'classification' && data.shape.length === 3) {
        // The run page's grid: the eval images the final model got wrong and was surest of.
        writeMisclassified(
          runDir,
          evaluationId,
          await findMisclassified(model, data.eval, {
            splitName: data.evalName,
            classes: data.classes,
            batchSize: experiment.data.batchSize,
            normalize: experiment.data.normalize,
            files: data.evalFiles,
            evaluationId,
          }),
        );
      }
    }
    await store.finishRun(runId, {
      status: outcome.status,
      ...(outcome.status === 'pruned' && prunedAt !== undefined ? { prunedAt } : {}),
      ...(outcome.divergedAtStep !== undefined ? { divergedAtStep: outcome.divergedAtStep } : {}),
      ...(outcome.divergence !== undefined ? { error: `diverged: ${outcome.divergence}` } : {}),
    });
    logger.info({ outcome }, 'run ended');
    return {
      runId,
      name,
      status: outcome.status,
      steps: outcome.steps,
      epochs: outcome.epochs,
      evalName: data.evalName,
      final: outcome.lastEvaluation,
      best,
      divergedAtStep: outcome.divergedAtStep,
      divergence: outcome.divergence,
      stopReason: outcome.stopReason,
      durationMs: now() - startedAt,
      backend: backend.name,
      runDir,
      dbPath: store.path,
    };
  } catch (error) {
    // Keep every metric written so far, and say how the run ended.
    const failure = await failRun(store, runId, error, {
      runDir,
      closeWriter: () => writer.close(),
    });
    quietly(() => logger.error({ err: error }, 'run failed'));
    throw failure;
  } finally {
    stopHeartbeat?.();
    model.dispose();
    log.close();
  }
}

/** Runs a write to the run's log whose own failure (a full disk) must not hide the run's error. */
function quietly(write: () => void): void {
  try {
    write();
  } catch {
    // The error that ended the run is already on its way to the user.
  }
}

/** RUNNER_CORES as a positive whole number, else undefined (the machine's count applies). */
function coresOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env['RUNNER_CORES']);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}

/**
 * What a data-parallel run tells the user and keeps: how many replicas, and
 * what batch norm does with them (DistributedDataParallel without
 * SyncBatchNorm: each replica normalizes with its own share's statistics).
 */
function workerNotices(workers: WorkerPlan, plan: ModelPlan, setting: number | 'auto'): string[] {
  if (workers.count <= 1) {
    return typeof setting === 'number' && setting > 1
      ? [`train.workers: ${setting} not used: ${workers.reason}`]
      : [];
  }
  const notices = [
    `data-parallel: ${workers.count} replicas (${workers.reason}), each batch split between them, gradients averaged`,
  ];
  if (plan.layers.some((layer) => layer.kind === 'batchNorm')) {
    notices.push(
      `batch norm: per-replica statistics (each replica normalizes with its share of the batch, as PyTorch's DistributedDataParallel without SyncBatchNorm); moving averages from replica 0's share`,
    );
  }
  return notices;
}

/**
 * The loss must suit the data (class labels or numeric targets), and a
 * regression model must have one output; both checked before the run is recorded.
 */
function checkTask(experiment: Experiment, data: LoadedData, plan: ModelPlan): void {
  const loss = experiment.train.loss;
  const task = taskOfLoss(loss);
  if (task !== data.task) {
    throw new DatasetError(
      task === 'regression'
        ? `train.loss ${loss} is a regression loss, but dataset ${data.source.dataset} has class labels`
        : `train.loss ${loss} is a classification loss, but dataset ${data.source.dataset} has numeric targets`,
      {
        hint:
          task === 'regression'
            ? 'use train.loss: crossEntropy for class labels'
            : 'use train.loss: mse, mae or huber for a numeric target',
      },
    );
  }
  const outputs = plan.outputShape.slice(1);
  const units = outputs.reduce<number>((a, b) => a * (b ?? 1), 1);
  if (task === 'regression' && units !== 1) {
    throw new DatasetError(
      `train.loss ${loss} trains one output, but the model's output is [${outputs.join(', ')}]`,
      { hint: 'end the model with a dense layer of 1 unit (no activation)' },
    );
  }
}

/**
 * Data-parallel replicas train image classifiers; a table or a regression
 * trains in one replica (said when the config asked for more).
 */
function singleReplica(data: LoadedData): WorkerPlan | undefined {
  if (data.task === 'classification' && data.shape.length === 3) return undefined;
  return {
    count: 1,
    reason: `${data.task === 'regression' ? 'regression' : 'a table'} trains in one replica`,
  };
}

/** Better by `metric`; a regression evaluation has no accuracy, so it is compared by loss. */
function isBetter(
  evaluation: Evaluation,
  best: Evaluation | undefined,
  metric: 'accuracy' | 'loss',
): boolean {
  const accuracy = metric === 'accuracy' && evaluation.accuracy !== undefined;
  const value = accuracy ? evaluation.accuracy! : evaluation.loss;
  if (!Number.isFinite(value)) return false;
  if (best === undefined) return true;
  return accuracy ? value > best.accuracy! : value < best.loss;
}

function prefixed(split: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${split}/${k}`, v]));
}

/** This process's start time, read as readers of the store will read it (see `runState`). */
function ownStartTime(): { pidStartedAt?: number } {
  const started = processStartedAt(process.pid);
  return typeof started === 'number' ? { pidStartedAt: started } : {};
}
