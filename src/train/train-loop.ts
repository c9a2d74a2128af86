import * as tf from '../tf.js';
import type { Experiment } from '../config/experiment.js';
import type { ImageSplit } from '../data/index.js';
import { createBatchArrays, createBatches, type Batch, type BatchArrays } from '../data/index.js';
import { SeededDropout } from '../model/index.js';
import { createOptimizer } from './optimizers/index.js';
import { evaluate, evaluationMetrics, type Evaluation } from './evaluate.js';
import {
  Lookahead,
  parallelTrainStep,
  startReplicaPool,
  type ReplicaPool,
} from './parallel/index.js';
import type { BackendName } from '../backend/index.js';
import { createEarlyStopping } from './early-stopping.js';
import { createSchedule } from './lr-schedule.js';
import {
  tensorOfSaved,
  type SavedTrainingState,
  type TrainingState,
  type EpochTotals,
} from './training-checkpoint.js';
import { trainStep } from './train-step.js';

/** One training step, as recorded: the loss and (classification) accuracy of that batch. */
export interface StepEvent {
  readonly step: number;
  readonly epoch: number;
  readonly batchIndex: number;
  readonly batchesPerEpoch: number;
  readonly size: number;
  readonly loss: number;
  /** Undefined for regression. */
  readonly accuracy: number | undefined;
  /** The learning rate this step used. */
  readonly learningRate: number;
  /** The momentum this step used when the schedule cycles it (oneCycle); else undefined. */
  readonly momentum: number | undefined;
  readonly time: number;
}

export interface EpochEvent {
  readonly epoch: number;
  readonly step: number;
  readonly evalName: 'test' | 'val';
  readonly evaluation: Evaluation;
  /** Training images per second of wall time over the epoch (evaluation excluded). */
  readonly imagesPerSec: number;
  readonly learningRate: number;
  readonly time: number;
  /** With early stopping: whether this epoch is the best so far by its metric. */
  readonly earlyStoppingBest: boolean;
  /**
   * The epoch's mean training loss and accuracy, each batch weighted by its size: what
   * summaries use (a last partial batch of 8 images counts for 8, not as a whole step).
   * Accuracy is undefined for regression; both are NaN for an epoch without a step.
   */
  readonly train: { readonly loss: number; readonly accuracy: number | undefined };
}

/** Why a checkpoint is written: a mid-epoch step, the end of an epoch, or a stop request. */
export type CheckpointReason = 'steps' | 'epoch' | 'interrupt';

export interface TrainObserver {
  onEpochStart?(epoch: number, batchesPerEpoch: number): void;
  onStep(event: StepEvent): void;
  /** Evaluation of `epoch` begins (for progress: it may take a while). */
  onEvaluate?(epoch: number): void;
  /** May return 'prune' to stop the run here (median stopping in sweeps). */
  onEpochEnd(event: EpochEvent): Promise<'continue' | 'prune'> | 'continue' | 'prune';
  /** The whole training state at a step boundary, to be saved (the tensors are freed after). */
  onCheckpoint?(state: TrainingState, reason: CheckpointReason): Promise<void> | void;
}

export type TrainStatus = 'completed' | 'interrupted' | 'diverged' | 'pruned';

/**
 * A loss this many times the first step's is a blow-up, not a bad batch:
 * cross-entropy starts near ln(classes), and a run whose loss reaches 1000x
 * that has weights that no longer mean anything (Adam at lr 1e6 reaches 1e20
 * while staying finite, which a NaN check alone would let run on).
 */
export const DIVERGENCE_FACTOR = 1000;

export interface TrainOutcome {
  readonly status: TrainStatus;
  readonly steps: number;
  readonly epochs: number;
  /** The step whose loss was not finite or blew up, when diverged. */
  readonly divergedAtStep: number | undefined;
  /** Why the run was stopped as diverged. */
  readonly divergence: string | undefined;
  /** Why a completed run ended before its last epoch (early stopping). */
  readonly stopReason: string | undefined;
  readonly lastEvaluation: Evaluation | undefined;
  /** The early-stopping metric's best epoch (1-based), when early stopping is on. */
  readonly earlyStoppingBestEpoch: number | undefined;
}

export interface TrainInput {
  readonly experiment: Experiment;
  readonly model: tf.LayersModel;
  readonly train: ImageSplit;
  readonly evalSplit: ImageSplit;
  readonly evalName: 'test' | 'val';
  readonly numClasses: number;
  readonly observer: TrainObserver;
  /** Polled between steps: true ends the run after the current step. */
  readonly shouldStop: () => boolean;
  readonly now: () => number;
  /** Data-parallel training; absent or 1 replica: the main thread alone, as always. */
  readonly parallel?: {
    readonly replicas: number;
    readonly backend: BackendName;
    /** The worker script (tests wrap the real one). */
    readonly workerUrl?: URL;
  };
  /** Continue from this state (a resumed run) instead of from the start. */
  readonly resume?: SavedTrainingState;
  /** The best evaluation so far (by checkpointMetric), kept in checkpoints. */
  readonly best?: () => (Evaluation & { readonly epoch: number }) | undefined;
}

/** Steps the run takes in all: every batch of every epoch, or maxSteps when fewer. */
export function totalStepsOf(experiment: Experiment, trainCount: number): number {
  const all = experiment.train.epochs * Math.ceil(trainCount / experiment.data.batchSize);
  return Math.min(all, experiment.train.maxSteps ?? all);
}

/**
 * The training loop: the configured optimizer on softmax cross-entropy over
 * logits, one update per batch, the learning rate from the schedule at every
 * step, evaluation in inference mode at each epoch end, early stopping, and
 * the whole training state handed to the observer to checkpoint. The caller
 * records and renders what it observes.
 */
export async function trainModel(input: TrainInput): Promise<TrainOutcome> {
  const replicas = input.parallel?.replicas ?? 1;
  if (replicas <= 1) return trainLoop(input, undefined);
  const variables = input.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const pool = await startReplicaPool({
    replicas,
    model: input.model,
    variables,
    modelSpec: input.experiment.model,
    seed: input.experiment.seed,
    backend: input.parallel!.backend,
    objective: {
      numClasses: input.numClasses,
      loss: input.experiment.train.loss,
      labelSmoothing: input.experiment.train.labelSmoothing,
    },
    batchSize: input.experiment.data.batchSize,
    ...(input.parallel?.workerUrl ? { workerUrl: input.parallel.workerUrl } : {}),
  });
  try {
    return await trainLoop(input, pool);
  } finally {
    await pool.close();
  }
}

async function trainLoop(input: TrainInput, pool: ReplicaPool | undefined): Promise<TrainOutcome> {
  const { experiment, model, train, observer, now } = input;
  const { batchSize, shuffle, normalize, augment } = experiment.data;
  const { epochs, maxSteps, checkpointEvery } = experiment.train;
  const rule = createOptimizer(experiment.train.optimizer);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const dropouts = model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout);
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  const schedule = createSchedule(experiment.train.schedule, {
    baseLearningRate: experiment.train.optimizer.learningRate,
    totalSteps: totalStepsOf(experiment, train.count),
    stepsPerEpoch: batchesPerEpoch,
  });
  const earlyStopping = experiment.train.earlyStopping
    ? createEarlyStopping(experiment.train.earlyStopping)
    : undefined;

  const resume = input.resume;
  let step = resume?.position.step ?? 0;
  let lastEvaluation = resume?.lastEvaluation;
  let firstLoss = resume?.firstLoss;
  let learningRate = experiment.train.optimizer.learningRate;
  if (resume) {
    restoreState(model, rule, dropouts, resume);
    schedule.loadState(resume.schedule);
    if (earlyStopping && resume.earlyStopping) earlyStopping.loadState(resume.earlyStopping);
  }
  const startEpoch = resume?.position.epoch ?? 1;

  const noTotals: EpochTotals = { examples: 0, lossSum: 0, correct: undefined };
  let totals: EpochTotals = noTotals;
  const checkpoint = async (
    epoch: number,
    batchesDone: number,
    reason: CheckpointReason,
    recordedAtStep: readonly string[],
  ): Promise<void> => {
    if (!observer.onCheckpoint) return;
    const saved = rule.saveState();
    const state: TrainingState = {
      position: { epoch, batchesDone, step },
      epochTotals: batchesDone === 0 ? noTotals : totals,
      firstLoss,
      schedule: schedule.saveState(),
      earlyStopping: earlyStopping?.saveState(),
      best: input.best?.(),
      lastEvaluation,
      dropoutCalls: Object.fromEntries(dropouts.map((d) => [d.name, d.drawnMasks])),
      recordedAtStep,
      optimizerSteps: saved.steps,
      weights: model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })),
      slots: saved.slots,
    };
    try {
      await observer.onCheckpoint(state, reason);
    } finally {
      tf.dispose(Object.values(saved.slots).flat());
    }
  };
  const finish = (status: TrainStatus, epochsDone: number, why?: string): TrainOutcome => {
    rule.dispose();
    const diverged = status === 'diverged';
    return {
      status,
      steps: step,
      epochs: epochsDone,
      divergedAtStep: diverged ? step : undefined,
      divergence: diverged ? why : undefined,
      stopReason: diverged ? undefined : why,
      lastEvaluation,
      earlyStoppingBestEpoch: earlyStopping?.saveState().bestEpoch,
    };
  };
  const stepKeys = ['train/loss', 'train/accuracy'];
  if (experiment.train.schedule) stepKeys.push('train/learning_rate');
  if (schedule.momentumAt({ step: 0, epoch: 0 }) !== undefined) stepKeys.push('train/momentum');

  try {
    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      const firstBatch = epoch === startEpoch ? (resume?.position.batchesDone ?? 0) : 0;
      observer.onEpochStart?.(epoch, batchesPerEpoch);
      const epochStart = now();
      let images = 0;
      totals = firstBatch > 0 ? (resume?.epochTotals ?? noTotals) : noTotals;
      // The loader counts epochs from 0; runs report them from 1.
      const batchOptions = {
        batchSize,
        shuffle,
        seed: experiment.seed,
        epoch: epoch - 1,
        normalize,
        augment,
        firstBatch,
      };
      // With replicas: the batch as arrays (each share is written from them), the next one
      // prepared while the workers compute; else tensors, as always.
      const ahead = pool ? new Lookahead(createBatchArrays(train, batchOptions)) : undefined;
      const batches: Iterable<Batch | BatchArrays> =
        firstBatch >= batchesPerEpoch ? [] : (ahead ?? createBatches(train, batchOptions));
      for (const batch of batches) {
        learningRate = schedule.rateAt({ step, epoch: epoch - 1 });
        const momentum = schedule.momentumAt({ step, epoch: epoch - 1 });
        const settings = {
          numClasses: input.numClasses,
          loss: experiment.train.loss,
          labelSmoothing: experiment.train.labelSmoothing,
          gradientClipping: experiment.train.gradientClipping,
          learningRate,
          momentum,
        };
        let result: { loss: number; correct: number | undefined };
        if (isArrays(batch)) {
          result = await parallelTrainStep(pool!, rule, variables, batch, settings, () =>
            ahead?.prepare(),
          );
        } else {
          result = trainStep(model, rule, variables, batch.xs, batch.labels, settings);
          batch.xs.dispose();
          batch.labels.dispose();
        }
        const { loss, correct } = result;
        step += 1;
        images += batch.size;
        totals = {
          examples: totals.examples + batch.size,
          lossSum: totals.lossSum + loss * batch.size,
          correct: correct === undefined ? undefined : (totals.correct ?? 0) + correct,
        };
        observer.onStep({
          step,
          epoch,
          batchIndex: batch.index,
          batchesPerEpoch,
          size: batch.size,
          loss,
          accuracy: correct === undefined ? undefined : correct / batch.size,
          learningRate,
          momentum,
          time: now(),
        });
        firstLoss ??= loss;
        const divergence = divergenceOf(loss, firstLoss, step);
        if (divergence !== undefined) return finish('diverged', epoch - 1, divergence);
        if (input.shouldStop()) {
          await checkpoint(epoch, batch.index + 1, 'interrupt', stepKeys);
          return finish('interrupted', epoch - 1);
        }
        if (maxSteps !== undefined && step >= maxSteps) break;
        if (checkpointEvery !== undefined && step % checkpointEvery === 0) {
          await checkpoint(epoch, batch.index + 1, 'steps', stepKeys);
        }
        // Let timers (metric flushes, the dashboard, signals) run between steps.
        if (step % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const trainSeconds = (now() - epochStart) / 1000;
      observer.onEvaluate?.(epoch);
      lastEvaluation = evaluate(model, input.evalSplit, {
        batchSize,
        normalize,
        numClasses: input.numClasses,
        loss: experiment.train.loss,
      });
      const metrics = Object.fromEntries(
        Object.entries(evaluationMetrics(lastEvaluation)).map(([k, v]) => [
          `${input.evalName}/${k}`,
          v,
        ]),
      );
      const stopping = earlyStopping?.observe(epoch, metrics);
      const verdict = await observer.onEpochEnd({
        epoch,
        step,
        evalName: input.evalName,
        evaluation: lastEvaluation,
        imagesPerSec: trainSeconds > 0 ? images / trainSeconds : 0,
        learningRate,
        time: now(),
        earlyStoppingBest: stopping?.kind === 'improved',
        train: {
          loss: totals.examples > 0 ? totals.lossSum / totals.examples : Number.NaN,
          accuracy:
            totals.correct === undefined
              ? undefined
              : totals.examples > 0
                ? totals.correct / totals.examples
                : Number.NaN,
        },
      });
      if (!Number.isFinite(lastEvaluation.loss)) {
        return finish(
          'diverged',
          epoch,
          `the ${input.evalName} loss after epoch ${epoch} is ${lastEvaluation.loss}`,
        );
      }
      schedule.observe(metrics);
      const done = maxSteps !== undefined && step >= maxSteps;
      if (verdict !== 'prune' && stopping?.kind !== 'stop' && !done && epoch < epochs) {
        await checkpoint(epoch + 1, 0, 'epoch', []);
      }
      if (verdict === 'prune') return finish('pruned', epoch);
      if (stopping?.kind === 'stop') return finish('completed', epoch, stopping.reason);
      if (input.shouldStop()) return finish('interrupted', epoch);
      if (done) return finish('completed', epoch);
    }
    return finish('completed', epochs);
  } catch (error) {
    rule.dispose();
    throw error;
  }
}

function isArrays(batch: Batch | BatchArrays): batch is BatchArrays {
  return batch.xs instanceof Float32Array;
}

function restoreState(
  model: tf.LayersModel,
  rule: ReturnType<typeof createOptimizer>,
  dropouts: readonly SeededDropout[],
  state: SavedTrainingState,
): void {
  const byName = new Map(state.weights.map((w) => [w.name, w]));
  for (const weight of model.weights) {
    const saved = byName.get(weight.originalName);
    if (saved === undefined || saved.shape.join('x') !== weight.shape.join('x')) {
      throw new Error(
        `the checkpoint has no weight ${weight.originalName} of shape [${weight.shape.join(', ')}]`,
      );
    }
    const tensor = tensorOfSaved(saved);
    weight.write(tensor);
    tensor.dispose();
  }
  const slots: Record<string, tf.Tensor[]> = {};
  for (const [name, list] of Object.entries(state.slots)) slots[name] = list.map(tensorOfSaved);
  rule.loadState({ steps: state.optimizerSteps, slots });
  for (const dropout of dropouts) dropout.drawnMasks = state.dropoutCalls[dropout.name] ?? 0;
}

function divergenceOf(loss: number, firstLoss: number, step: number): string | undefined {
  if (!Number.isFinite(loss)) return `the training loss at step ${step} is ${loss}`;
  const limit = DIVERGENCE_FACTOR * Math.max(firstLoss, 1);
  if (loss > limit) {
    return `the training loss at step ${step} is ${loss.toPrecision(3)}, over ${DIVERGENCE_FACTOR}x the first step's ${firstLoss.toPrecision(3)}`;
  }
  return undefined;
}
