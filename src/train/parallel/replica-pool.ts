import { Worker } from 'node:worker_threads';
import * as tf from '../../tf.js';
import {
  heapValues,
  heapWeightedSum,
  uninitializedLike,
  type BackendName,
} from '../../backend/index.js';
import type { ModelSpec } from '../../config/experiment.js';
import { mixSeed } from '../../data/index.js';
import { flatLayout, sharedFloats, type FlatLayout } from './flat-layout.js';
import { DOORBELL_WATCH_MS, Doorbell } from './replica-protocol.js';
import type { ReplicaInit, ReplicaMessage, ShareBuffers, StepRequest } from './replica-protocol.js';
import { computeShareGradients, type ShareGradients } from './share-gradients.js';
import type { ObjectiveSettings } from '../step-objective.js';

/** The averaged result of one data-parallel step, before the update. */
export interface ParallelGradients {
  /** Mean loss over the whole batch (the shares' losses weighted by their sizes). */
  readonly loss: number;
  readonly correct: number;
  /** Averaged gradients keyed by the main model's variable names; the caller disposes them. */
  readonly grads: tf.NamedTensorMap;
}

export interface ReplicaPool {
  /** Replicas in all, the main thread's included. */
  readonly size: number;
  /**
   * Publishes the main model's weights, splits the batch into one contiguous
   * share per replica (the first ones one larger when it does not divide),
   * computes every share's gradients at once and averages them, weighted by
   * share size, in replica order: the same batch gives the same sums
   * whatever order the workers finish in.
   */
  computeGradients(xs: tf.Tensor4D, labels: tf.Tensor1D): Promise<ParallelGradients>;
  /**
   * The same from the batch's arrays (no batch tensor, no copy out of it):
   * each worker's share is written into its shared buffer, the main thread's
   * becomes a tensor. `whileWaiting` runs once the main thread's share is
   * done, while the workers may still compute theirs (the training loop
   * prepares the next batch there).
   */
  computeBatchGradients(batch: ShareSource, whileWaiting?: () => void): Promise<ParallelGradients>;
  /** Live tensors each worker reported after its last step (replica 1 first). */
  workerTensors(): readonly number[];
  /** Where the steps' time went so far (the speed bench prints it). */
  times(): PoolTimes;
  /** Ends every worker thread; safe to call twice, and after a failure. */
  close(): Promise<void>;
}

/**
 * The main thread's time in the pool's steps, in ms summed over `steps`, and
 * the workers' own: what is serial (prepare, average, and the update after
 * the pool) against what overlaps (own share vs. the workers').
 */
export interface PoolTimes {
  readonly steps: number;
  /** Publishing the weights, writing and posting the workers' shares, the own share's tensors. */
  readonly prepareMs: number;
  /** The main thread's own share: its forward and backward pass. */
  readonly ownShareMs: number;
  /** After its own share, until every worker answered (whileWaiting included). */
  readonly waitMs: number;
  readonly averageMs: number;
  /** Each worker's time from taking a step's message to answering it (replica 1 first). */
  readonly workerMs: readonly number[];
  /** Each worker's steps that started from the doorbell, not from their message (see Doorbell). */
  readonly workerRungSteps: readonly number[];
}

/** A batch as the loader makes it: NHWC float32 pixels and int32 class indices. */
export interface ShareSource {
  readonly xs: Float32Array;
  readonly labels: Int32Array;
  readonly size: number;
}

export interface ReplicaPoolOptions {
  /** Replicas in all: the main thread's model plus `replicas - 1` worker threads. */
  readonly replicas: number;
  readonly model: tf.LayersModel;
  readonly variables: readonly tf.Variable[];
  readonly modelSpec: ModelSpec;
  readonly seed: number;
  readonly backend: BackendName;
  /** What every replica minimises (the same as a one-worker step). */
  readonly objective: ObjectiveSettings;
  /** The worker script; tests put a wrapper of `serveReplica` here. */
  readonly workerUrl?: URL;
  /** Sizes the share buffers up front; a larger batch grows them (once). */
  readonly batchSize?: number;
  /** How long each thread watches the doorbell after a step (see Doorbell); tests set it. */
  readonly doorbellWatchMs?: number;
}

/** Where the worker script is: beside this module once built, `dist/` when run from `src/` (tests). */
export function defaultReplicaWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/train/parallel/replica-worker.js', here)
    : new URL('./replica-worker.js', here);
}

/** Starts `replicas - 1` worker threads, each with the model on its own backend, and waits until all are ready. */
export async function startReplicaPool(options: ReplicaPoolOptions): Promise<ReplicaPool> {
  const { model, variables, objective } = options;
  const layout = flatLayout(variables.map((v) => v.shape));
  const weights = sharedFloats(layout.total);
  const [, height, width, channels] = model.inputs[0]!.shape as number[];
  const imageShape = [height!, width!, channels!] as const;
  const perExample = imageShape[0] * imageShape[1] * imageShape[2];
  const capacity = Math.ceil((options.batchSize ?? 1) / options.replicas);
  const workers: ReplicaThread[] = [];
  const watchMs = options.doorbellWatchMs ?? DOORBELL_WATCH_MS;
  try {
    for (let index = 1; index < options.replicas; index++) {
      const init: ReplicaInit = {
        index,
        model: options.modelSpec,
        seed: mixSeed(options.seed, index),
        backend: options.backend,
        objective,
        imageShape,
        shapes: layout.shapes,
        weights,
        grads: sharedFloats(layout.total),
        share: shareBuffers(capacity, perExample),
        doorbell: new Int32Array(
          new SharedArrayBuffer(Doorbell.length * Int32Array.BYTES_PER_ELEMENT),
        ),
        doorbellWatchMs: watchMs,
      };
      workers.push(new ReplicaThread(options.workerUrl ?? defaultReplicaWorkerUrl(), init));
    }
    await Promise.all(workers.map((w) => w.ready));
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  let closed = false;
  let step = 0;
  const spent = { prepareMs: 0, ownShareMs: 0, waitMs: 0, averageMs: 0 };
  const computeBatchGradients = async (
    batch: ShareSource,
    whileWaiting?: () => void,
  ): Promise<ParallelGradients> => {
    if (closed) throw new Error('the replica pool is closed');
    step += 1;
    let mark = performance.now();
    const lap = (phase: keyof typeof spent): void => {
      const now = performance.now();
      spent[phase] += now - mark;
      mark = now;
    };
    publishWeights(variables, layout, weights);
    const bounds = shareBounds(batch.size, options.replicas);
    const pending = workers.map((worker, i) => {
      const [start, end] = bounds[i + 1]!;
      if (end === start) return undefined;
      return worker.step(step, batch, start, end, perExample);
    });
    // Replica 0 (this thread) works on its share while the workers work on theirs.
    const [, mainEnd] = bounds[0]!;
    const shareXs = tf.tensor4d(
      batch.xs.subarray(0, mainEnd * perExample),
      [mainEnd, ...imageShape],
      'float32',
    );
    const shareLabels = tf.tensor1d(batch.labels.subarray(0, mainEnd), 'int32');
    let mainShare: ShareGradients;
    try {
      lap('prepareMs');
      mainShare = computeShareGradients(model, variables, shareXs, shareLabels, objective);
      lap('ownShareMs');
    } catch (error) {
      // Let the workers finish their step before the pool is closed.
      await Promise.allSettled(pending);
      throw error;
    } finally {
      shareXs.dispose();
      shareLabels.dispose();
    }
    let results: (StepResult | undefined)[];
    try {
      try {
        whileWaiting?.();
      } catch (error) {
        await Promise.allSettled(pending);
        throw error;
      }
      watchAnswers(workers, step, watchMs);
      results = await Promise.all(pending);
      lap('waitMs');
    } catch (error) {
      for (const g of mainShare.grads) g.dispose();
      throw error;
    }
    const averaged = averageShares(
      variables,
      layout,
      batch.size,
      bounds,
      mainShare,
      results,
      workers,
    );
    lap('averageMs');
    return averaged;
  };
  return {
    size: options.replicas,
    computeGradients: (xs, labels) =>
      computeBatchGradients({
        xs: xs.dataSync() as Float32Array,
        labels: labels.dataSync() as Int32Array,
        size: labels.shape[0],
      }),
    computeBatchGradients,
    workerTensors: () => workers.map((w) => w.tensors),
    times: () => ({
      steps: step,
      ...spent,
      workerMs: workers.map((w) => w.busyMs),
      workerRungSteps: workers.map((w) => w.rungSteps),
    }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Stays awake (a few ms at most) until every worker has answered `step` in
 * its doorbell, so that their messages are taken as they come rather than
 * after this thread wakes from a sleep (see Doorbell).
 */
function watchAnswers(workers: readonly ReplicaThread[], step: number, watchMs: number): void {
  const until = performance.now() + watchMs;
  while (performance.now() < until && !workers.every((w) => w.answered(step))) {
    // watching
  }
}

/** [start, end) of each replica's share: contiguous, the first `size % replicas` one larger. */
export function shareBounds(size: number, replicas: number): (readonly [number, number])[] {
  const base = Math.floor(size / replicas);
  const extra = size % replicas;
  const bounds: (readonly [number, number])[] = [];
  let start = 0;
  for (let i = 0; i < replicas; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    bounds.push([start, end]);
    start = end;
  }
  return bounds;
}

function publishWeights(
  variables: readonly tf.Variable[],
  layout: FlatLayout,
  weights: Float32Array,
): void {
  // On wasm straight from its memory (no copy out first), else through dataSync.
  variables.forEach((v, i) => {
    const values = heapValues([], [v])?.readable[0] ?? (v.dataSync() as Float32Array);
    weights.set(values, layout.offsets[i]!);
  });
}

/**
 * sum_i (n_i / n) g_i over the replicas in index order (float64 sums,
 * rounded once to float32): the gradient of the whole batch's mean loss.
 */
function averageShares(
  variables: readonly tf.Variable[],
  layout: FlatLayout,
  size: number,
  bounds: readonly (readonly [number, number])[],
  main: { loss: number; correct: number; grads: tf.Tensor[] },
  results: readonly (StepResult | undefined)[],
  workers: readonly ReplicaThread[],
): ParallelGradients {
  const weightOf = (i: number): number => (bounds[i]![1] - bounds[i]![0]) / size;
  let loss = weightOf(0) * main.loss;
  let correct = main.correct;
  results.forEach((r, i) => {
    if (r === undefined) return;
    loss += weightOf(i + 1) * r.loss;
    correct += r.correct;
  });
  const others = results.flatMap((r, i) =>
    r === undefined ? [] : [{ weight: weightOf(i + 1), grads: workers[i]!.grads }],
  );
  const w0 = weightOf(0);
  const grads: tf.NamedTensorMap = {};
  // Two replicas on wasm: into the own share's gradients in place, one SIMD pass over them all
  // (the worker's buffer holds its gradients in the same order, see flatLayout).
  const [first] = others;
  if (
    first !== undefined &&
    others.length === 1 &&
    heapWeightedSum(main.grads, w0, first.grads, first.weight)
  ) {
    variables.forEach((variable, k) => (grads[variable.name] = main.grads[k]!));
    return { loss, correct, grads };
  }
  variables.forEach((variable, k) => {
    const n = layout.sizes[k]!;
    const offset = layout.offsets[k]!;
    // On wasm straight from and into its memory (no copies), else through dataSync.
    const out = uninitializedLike(variable);
    const heap = heapValues(out === undefined ? [] : [out], [main.grads[k]!]);
    const own = heap?.readable[0] ?? (main.grads[k]!.dataSync() as Float32Array);
    const averaged =
      out !== undefined && heap !== undefined ? heap.writable[0]! : new Float32Array(n);
    // One pass, float64 sums in replica order, rounded once (the same sums for any finish order).
    const [only] = others;
    if (only !== undefined && others.length === 1) {
      const theirs = only.grads;
      const w1 = only.weight;
      for (let j = 0; j < n; j++) averaged[j] = w0 * own[j]! + w1 * theirs[offset + j]!;
    } else {
      for (let j = 0; j < n; j++) {
        let sum = w0 * own[j]!;
        for (const other of others) sum += other.weight * other.grads[offset + j]!;
        averaged[j] = sum;
      }
    }
    main.grads[k]!.dispose();
    if (out !== undefined && heap !== undefined) grads[variable.name] = out;
    else {
      out?.dispose();
      grads[variable.name] = tf.tensor(averaged, variable.shape, 'float32');
    }
  });
  return { loss, correct, grads };
}

function shareBuffers(capacity: number, perExample: number): ShareBuffers {
  return {
    pixels: sharedFloats(capacity * perExample),
    labels: new Int32Array(new SharedArrayBuffer(capacity * Int32Array.BYTES_PER_ELEMENT)),
  };
}

interface StepResult {
  readonly loss: number;
  readonly correct: number;
}

/** One worker thread and the step it is working on. */
class ReplicaThread {
  readonly ready: Promise<void>;
  readonly grads: Float32Array;
  tensors = 0;
  /** Summed `busyMs` of the steps answered. */
  busyMs = 0;
  /** Steps answered that started from the doorbell. */
  rungSteps = 0;
  readonly #worker: Worker;
  readonly #index: number;
  readonly #bell: Int32Array;
  #share: ShareBuffers;
  #pending: { resolve: (r: StepResult) => void; reject: (e: Error) => void } | undefined;
  #failure: Error | undefined;
  #exited = false;
  #exit: Promise<void>;

  constructor(url: URL, init: ReplicaInit) {
    this.#index = init.index;
    this.#bell = init.doorbell;
    this.grads = init.grads;
    this.#share = init.share;
    this.#worker = new Worker(url, { workerData: init });
    let resolveReady: () => void = () => undefined;
    let rejectReady: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // A failure before the first step must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    this.#exit = new Promise<void>((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#exited = true;
        this.#fail(new Error(`worker ${this.#index} exited (code ${code}) during training`));
        rejectReady(this.#failure!);
        resolve();
      });
    });
    this.#worker.on('error', (error) => {
      this.#fail(new Error(`worker ${this.#index} failed: ${error.message}`, { cause: error }));
      rejectReady(this.#failure!);
    });
    this.#worker.on('message', (message: ReplicaMessage) => {
      switch (message.kind) {
        case 'ready':
          this.tensors = message.tensors;
          resolveReady();
          return;
        case 'done': {
          this.tensors = message.tensors;
          this.busyMs += message.busyMs;
          if (message.rung) this.rungSteps += 1;
          const pending = this.#pending;
          this.#pending = undefined;
          pending?.resolve({ loss: message.loss, correct: message.correct });
          return;
        }
        case 'failed':
          this.#fail(new Error(`worker ${this.#index} failed: ${message.message}`));
          rejectReady(this.#failure!);
          return;
      }
    });
  }

  /** Writes the share [start, end) of `batch` into this worker's buffers and posts the step. */
  step(
    step: number,
    batch: ShareSource,
    start: number,
    end: number,
    perExample: number,
  ): Promise<StepResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const size = end - start;
    let grown: ShareBuffers | undefined;
    if (size > this.#share.labels.length) {
      grown = shareBuffers(size, perExample);
      this.#share = grown;
    }
    this.#share.pixels.set(batch.xs.subarray(start * perExample, end * perExample));
    this.#share.labels.set(batch.labels.subarray(start, end));
    const request: StepRequest = { kind: 'step', step, size, ...(grown ? { share: grown } : {}) };
    if (grown === undefined) {
      // The size first: a worker that sees the step reads it next.
      Atomics.store(this.#bell, Doorbell.size, size);
      Atomics.store(this.#bell, Doorbell.step, step);
    }
    return new Promise<StepResult>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(request);
    });
  }

  /** Whether the worker has answered `step` (or can no longer: then its message says why). */
  answered(step: number): boolean {
    return (
      this.#pending === undefined ||
      this.#failure !== undefined ||
      Atomics.load(this.#bell, Doorbell.answered) >= step
    );
  }

  async terminate(): Promise<void> {
    if (!this.#exited) await this.#worker.terminate();
    await this.#exit;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#failure);
  }
}
