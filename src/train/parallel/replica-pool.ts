import { Worker } from 'node:worker_threads';
import * as tf from '../../tf.js';
import { heapValues, uninitializedLike, type BackendName } from '../../backend/index.js';
import type { ModelSpec } from '../../config/experiment.js';
import { mixSeed } from '../../data/index.js';
import { flatLayout, sharedFloats, type FlatLayout } from './flat-layout.js';
import type { ReplicaInit, ReplicaMessage, StepRequest } from './replica-protocol.js';
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
  /** Live tensors each worker reported after its last step (replica 1 first). */
  workerTensors(): readonly number[];
  /** Ends every worker thread; safe to call twice, and after a failure. */
  close(): Promise<void>;
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
  const workers: ReplicaThread[] = [];
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
  return {
    size: options.replicas,
    async computeGradients(xs, labels) {
      if (closed) throw new Error('the replica pool is closed');
      step += 1;
      publishWeights(variables, layout, weights);
      const size = labels.shape[0];
      const bounds = shareBounds(size, options.replicas);
      const pixels = xs.dataSync() as Float32Array;
      const classes = labels.dataSync() as Int32Array;
      const perExample = imageShape[0] * imageShape[1] * imageShape[2];
      const pending = workers.map((worker, i) => {
        const [start, end] = bounds[i + 1]!;
        if (end === start) return undefined;
        return worker.step({
          kind: 'step',
          step,
          xs: pixels.slice(start * perExample, end * perExample),
          labels: classes.slice(start, end),
        });
      });
      // Replica 0 (this thread) works on its share while the workers work on theirs.
      const [, mainEnd] = bounds[0]!;
      const shareXs = tf.slice(xs, 0, mainEnd);
      const shareLabels = tf.slice(labels, 0, mainEnd);
      let mainShare: ShareGradients;
      try {
        mainShare = computeShareGradients(model, variables, shareXs, shareLabels, objective);
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
        results = await Promise.all(pending);
      } catch (error) {
        for (const g of mainShare.grads) g.dispose();
        throw error;
      }
      return averageShares(variables, layout, size, bounds, mainShare, results, workers);
    },
    workerTensors: () => workers.map((w) => w.tensors),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
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
  const grads: tf.NamedTensorMap = {};
  const sum = new Float64Array(Math.max(0, ...layout.sizes));
  variables.forEach((variable, k) => {
    const n = layout.sizes[k]!;
    const offset = layout.offsets[k]!;
    // On wasm straight from and into its memory (no copies), else through dataSync.
    const out = uninitializedLike(variable);
    const heap = heapValues(out === undefined ? [] : [out], [main.grads[k]!]);
    const own = heap?.readable[0] ?? (main.grads[k]!.dataSync() as Float32Array);
    const w0 = weightOf(0);
    for (let j = 0; j < n; j++) sum[j] = w0 * own[j]!;
    main.grads[k]!.dispose();
    results.forEach((r, i) => {
      if (r === undefined) return;
      const w = weightOf(i + 1);
      const theirs = workers[i]!.grads;
      for (let j = 0; j < n; j++) sum[j]! += w * theirs[offset + j]!;
    });
    const averaged =
      out !== undefined && heap !== undefined ? heap.writable[0]! : new Float32Array(n);
    for (let j = 0; j < n; j++) averaged[j] = sum[j]!;
    if (out !== undefined && heap !== undefined) grads[variable.name] = out;
    else {
      out?.dispose();
      grads[variable.name] = tf.tensor(averaged, variable.shape, 'float32');
    }
  });
  return { loss, correct, grads };
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
  readonly #worker: Worker;
  readonly #index: number;
  #pending: { resolve: (r: StepResult) => void; reject: (e: Error) => void } | undefined;
  #failure: Error | undefined;
  #exited = false;
  #exit: Promise<void>;

  constructor(url: URL, init: ReplicaInit) {
    this.#index = init.index;
    this.grads = init.grads;
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

  step(request: StepRequest): Promise<StepResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<StepResult>((resolve, reject) => {
      this.#pending = { resolve, reject };
      // Fresh copies (not views of shared memory): their buffers move to the worker.
      const transfer = [request.xs.buffer as ArrayBuffer, request.labels.buffer as ArrayBuffer];
      this.#worker.postMessage(request, transfer);
    });
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
