import * as tf from '../tf.js';
import type { Experiment } from '../config/experiment.js';
import type { ImageSplit } from '../data/index.js';
import { createBatches } from '../data/index.js';
import { createOptimizer } from './optimizers/index.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { parallelTrainStep, startReplicaPool, type ReplicaPool } from './parallel/index.js';
import type { BackendName } from '../backend/index.js';
import { LOSSES, type LossName } from './losses.js';

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
}

export interface TrainObserver {
  onEpochStart?(epoch: number, batchesPerEpoch: number): void;
  onStep(event: StepEvent): void;
  /** May return 'prune' to stop the run here (median stopping in sweeps). */
  onEpochEnd(event: EpochEvent): Promise<'continue' | 'prune'> | 'continue' | 'prune';
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
  readonly lastEvaluation: Evaluation | undefined;
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
}

/**
 * The training loop: Adam (or the configured optimizer) on softmax
 * cross-entropy over logits, one update per batch, evaluation in inference
 * mode at each epoch end. The caller records and renders what it observes.
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
    numClasses: input.numClasses,
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
  const { batchSize, shuffle, normalize } = experiment.data;
  const { epochs, maxSteps } = experiment.train;
  const optimizer = createOptimizer(experiment.train.optimizer);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  let step = 0;
  let lastEvaluation: Evaluation | undefined;
  let firstLoss: number | undefined;
  const finish = (status: TrainStatus, epochsDone: number, divergence?: string): TrainOutcome => {
    optimizer.dispose();
    const divergedAtStep = divergence === undefined ? undefined : step;
    return { status, steps: step, epochs: epochsDone, divergedAtStep, divergence, lastEvaluation };
  };

  for (let epoch = 1; epoch <= epochs; epoch++) {
    observer.onEpochStart?.(epoch, batchesPerEpoch);
    const epochStart = now();
    let images = 0;
    // The loader counts epochs from 0; runs report them from 1.
    const batches = createBatches(train, {
      batchSize,
      shuffle,
      seed: experiment.seed,
      epoch: epoch - 1,
      normalize,
    });
    for (const batch of batches) {
      const { loss, correct } = pool
        ? await parallelTrainStep(pool, optimizer, batch.xs as tf.Tensor4D, batch.labels)
        : trainStep(
            model,
            optimizer,
            variables,
            batch.xs,
            batch.labels,
            input.numClasses,
            experiment.train.loss,
          );
      batch.xs.dispose();
      batch.labels.dispose();
      step += 1;
      images += batch.size;
      observer.onStep({
        step,
        epoch,
        batchIndex: batch.index,
        batchesPerEpoch,
        size: batch.size,
        loss,
        accuracy: correct === undefined ? undefined : correct / batch.size,
        time: now(),
      });
      firstLoss ??= loss;
      const divergence = divergenceOf(loss, firstLoss, step);
      if (divergence !== undefined) return finish('diverged', epoch - 1, divergence);
      if (input.shouldStop()) return finish('interrupted', epoch - 1);
      if (maxSteps !== undefined && step >= maxSteps) break;
      // Let timers (metric flushes, the dashboard, signals) run between steps.
      if (step % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const trainSeconds = (now() - epochStart) / 1000;
    lastEvaluation = evaluate(model, input.evalSplit, {
      batchSize,
      normalize,
      numClasses: input.numClasses,
      loss: experiment.train.loss,
    });
    const verdict = await observer.onEpochEnd({
      epoch,
      step,
      evalName: input.evalName,
      evaluation: lastEvaluation,
      imagesPerSec: trainSeconds > 0 ? images / trainSeconds : 0,
      learningRate: experiment.train.optimizer.learningRate,
      time: now(),
    });
    if (!Number.isFinite(lastEvaluation.loss)) {
      return finish(
        'diverged',
        epoch,
        `the ${input.evalName} loss after epoch ${epoch} is ${lastEvaluation.loss}`,
      );
    }
    if (verdict === 'prune') return finish('pruned', epoch);
    if (input.shouldStop()) return finish('interrupted', epoch);
    if (maxSteps !== undefined && step >= maxSteps) return finish('completed', epoch);
  }
  return finish('completed', epochs);
}

function divergenceOf(loss: number, firstLoss: number, step: number): string | undefined {
  if (!Number.isFinite(loss)) return `the training loss at step ${step} is ${loss}`;
  const limit = DIVERGENCE_FACTOR * Math.max(firstLoss, 1);
  if (loss > limit) {
    return `the training loss at step ${step} is ${loss.toPrecision(3)}, over ${DIVERGENCE_FACTOR}x the first step's ${firstLoss.toPrecision(3)}`;
  }
  return undefined;
}

/**
 * One update; returns the batch's mean loss and (classification) number of
 * correct predictions.
 */
function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  xs: tf.Tensor,
  labels: tf.Tensor1D,
  numClasses: number,
  lossName: LossName,
): { loss: number; correct: number | undefined } {
  const definition = LOSSES[lossName];
  if (definition.task === 'regression') {
    const lossTensor = optimizer.minimize(
      () => {
        const output = model.apply(xs, { training: true }) as tf.Tensor;
        return tf.mean(definition.perExample(output, labels, numClasses)) as tf.Scalar;
      },
      true,
      variables,
    );
    const loss = lossTensor!.dataSync()[0]!;
    lossTensor!.dispose();
    return { loss, correct: undefined };
  }
  let correct: tf.Tensor | undefined;
  const lossTensor = optimizer.minimize(
    () => {
      const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
      // argmax over the class axis (1), never the batch axis: a classic pitfall.
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
      const oneHot = tf.oneHot(labels, numClasses);
      return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
    },
    true,
    variables,
  );
  const loss = lossTensor!.dataSync()[0]!;
  const correctCount = correct!.dataSync()[0]!;
  lossTensor!.dispose();
  correct!.dispose();
  return { loss, correct: correctCount };
}
