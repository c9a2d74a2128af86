import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';
import type { Experiment } from '../config/experiment.js';
import { BACKENDS } from '../backend/index.js';
import { createRequire } from 'node:module';
import type { LoadedData } from '../data/index.js';
import { findDataset } from '../data/index.js';
import { ConfigError } from '../errors.js';
import { formatBytes } from '../format/index.js';
import { valuesPerExample, type ModelPlan } from '../model/index.js';
import { optimizerStateSlots } from './optimizers/index.js';

const FLOAT = 4;

/**
 * What one training step holds in memory, in bytes: every figure is float32 values.
 * Activations are each layer's output at the batch size, twice: kept for the gradient,
 * and the gradient itself (an upper estimate: the tape frees some earlier).
 */
export interface MemoryEstimate {
  readonly batchSize: number;
  readonly weights: number;
  readonly gradients: number;
  readonly optimizerState: number;
  readonly activations: number;
  /** The data held in memory (uint8 pixels or float32 columns); undefined until it loads. */
  readonly dataset: number | undefined;
  /** What lives on the compute backend: weights, gradients, optimizer state, activations. */
  readonly tensors: number;
  /** Tensors and the dataset. */
  readonly total: number;
}

/** Estimates a step's memory from the model's plan; `datasetBytes` when the data is loaded (else from its declared size). */
export function estimateMemory(
  experiment: Experiment,
  plan: ModelPlan,
  datasetBytes: number | undefined = plannedDatasetBytes(experiment, plan),
): MemoryEstimate {
  const batchSize = experiment.data.batchSize;
  const weights = plan.totalParams * FLOAT;
  const gradients = plan.trainableParams * FLOAT;
  const optimizerState =
    plan.trainableParams * optimizerStateSlots(experiment.train.optimizer) * FLOAT;
  let perExample = valuesPerExample(plan.inputShape) ?? 0;
  for (const layer of plan.layers) perExample += valuesPerExample(layer.outputShape) ?? 0;
  const activations = 2 * perExample * batchSize * FLOAT;
  const tensors = weights + gradients + optimizerState + activations;
  return {
    batchSize,
    weights,
    gradients,
    optimizerState,
    activations,
    dataset: datasetBytes,
    tensors,
    total: tensors + (datasetBytes ?? 0),
  };
}

/**
 * The data's bytes before it loads (`plan`, `validate`): read from the user's files where the
 * dataset can tell (IDX headers, image files and CSV rows counted), else from its declared
 * example counts; undefined when neither tells.
 */
export async function plannedDataBytes(
  experiment: Experiment,
  plan: ModelPlan,
  cwd: string,
): Promise<number | undefined> {
  const measure = findDataset(experiment.data.dataset).measureData;
  if (measure === undefined) return plannedDatasetBytes(experiment, plan);
  return measure(experiment.data, { cwd, valuesPerExample: valuesPerExample(plan.inputShape) });
}

/** Images are kept as uint8 pixels, tables as float32 columns; labels as one or two bytes. */
function plannedDatasetBytes(experiment: Experiment, plan: ModelPlan): number | undefined {
  let counts: { train: number; test: number } | undefined;
  try {
    counts = findDataset(experiment.data.dataset).exampleCount?.(experiment.data);
  } catch {
    return undefined; // bad data options: loading the data says what is wrong
  }
  const values = valuesPerExample(plan.inputShape);
  if (!counts || values === undefined) return undefined;
  const { limit } = experiment.data;
  const train = Math.min(counts.train, limit.train ?? Infinity);
  const test = Math.min(counts.test, limit.test ?? Infinity);
  return (train + test) * (values + 1);
}

/** The memory a run may use: the machine's (or its cgroup's), and the backend's own limit. */
export interface MemoryLimits {
  readonly machine: { readonly bytes: number; readonly why: string };
  readonly backend?: { readonly bytes: number; readonly why: string };
}

/** This machine's memory: its RAM, or less when a cgroup (a container, a Slurm job) caps it. */
export function machineMemory(): { bytes: number; why: string } {
  const ram = totalmem();
  const capped = constrainedMemory();
  return capped > 0 && capped < ram
    ? { bytes: capped, why: `this process's cgroup limit (${formatBytes(capped)})` }
    : { bytes: ram, why: `this machine's memory (${formatBytes(ram)})` };
}

/** One line of the estimate, for `runner plan`. */
export function describeMemory(estimate: MemoryEstimate): string {
  const parts = [
    `weights ${formatBytes(estimate.weights)}`,
    `gradients ${formatBytes(estimate.gradients)}`,
    `optimizer state ${formatBytes(estimate.optimizerState)}`,
    `activations at batch ${estimate.batchSize} ${formatBytes(estimate.activations)}`,
    `dataset ${estimate.dataset === undefined ? 'measured when it loads' : formatBytes(estimate.dataset)}`,
  ];
  return `about ${formatBytes(estimate.total)} (${parts.join(', ')})`;
}

/**
 * Refuses a run that cannot fit, before the model is built: exit 2, at the data section
 * when the activations (the batch size) are most of it, else at the largest layer.
 */
export function checkMemory(
  experiment: Experiment,
  plan: ModelPlan,
  estimate: MemoryEstimate,
  limits: MemoryLimits,
): void {
  const over =
    limits.backend && estimate.tensors > limits.backend.bytes
      ? { needs: estimate.tensors, what: 'its tensors', limit: limits.backend }
      : estimate.total > limits.machine.bytes
        ? { needs: estimate.total, what: 'it', limit: limits.machine }
        : undefined;
  if (!over) return;
  const dataset = estimate.dataset ?? 0;
  if (over.what === 'it' && dataset > estimate.tensors) {
    // The data is most of it: no batch size or model size would make it fit.
    throw new ConfigError([
      {
        code: 'memory-too-large',
        path: 'data',
        message: `a training step needs ${describeMemory(estimate)}, more than ${over.limit.why}: the data alone holds ${formatBytes(dataset)} once decoded`,
        hint: 'train on fewer files or rows, or on smaller images, or on a machine with more memory',
        ...(experiment.data.loc !== undefined ? { loc: experiment.data.loc } : {}),
      },
    ]);
  }
  const largest = [...plan.layers].sort((a, b) => b.trainableParams - a.trainableParams)[0];
  const node = experiment.model.nodes.find((n) => n.name === largest?.name);
  const batchBound =
    estimate.activations >= estimate.weights + estimate.gradients + estimate.optimizerState;
  const fewer = Math.max(
    1,
    Math.floor(
      (estimate.batchSize * (over.limit.bytes - (over.needs - estimate.activations))) /
        Math.max(1, estimate.activations),
    ),
  );
  const hint = batchBound
    ? `lower data.batchSize (about ${fewer} would fit)`
    : `make ${largest?.path ?? 'the model'} (${largest?.kind ?? 'layer'}, ${(largest?.trainableParams ?? 0).toLocaleString('en-US')} parameters) smaller${over.limit === limits.backend ? ', or use another backend' : ''}`;
  const loc = batchBound ? experiment.data.loc : (node?.loc ?? experiment.model.loc);
  throw new ConfigError([
    {
      code: 'memory-too-large',
      path: batchBound ? 'data.batchSize' : (largest?.path ?? 'model'),
      message:
        over.what === 'it'
          ? `a training step needs ${describeMemory(estimate)}, more than ${over.limit.why}`
          : `a training step needs ${describeMemory(estimate)}; its tensors alone (${formatBytes(estimate.tensors)}) are more than ${over.limit.why}`,
      hint,
      ...(loc !== undefined ? { loc } : {}),
    },
  ]);
}

/** Bytes the loaded splits hold (views of one decoded file are counted once each). */
export function loadedDataBytes(data: Pick<LoadedData, 'train' | 'eval'>): number {
  const buffers = new Set<ArrayBufferLike>();
  let bytes = 0;
  for (const split of [data.train, data.eval]) {
    for (const array of [split.images, split.labels, split.features, split.targets]) {
      if (!array || buffers.has(array.buffer)) continue;
      buffers.add(array.buffer);
      bytes += array.buffer.byteLength;
    }
  }
  return bytes;
}

/**
 * The limits a run of this backend meets. `auto` before a backend loads (validate, plan):
 * tfjs-node when it is installed (no limit of its own), else wasm's.
 */
export function memoryLimits(backend: string): MemoryLimits {
  let name = backend;
  if (name === 'auto') {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      name = 'tfjs-node';
    } catch {
      name = 'wasm';
    }
  }
  const definition = BACKENDS.find((b) => b.name === name);
  const limit =
    definition && 'tensorMemoryLimit' in definition ? definition.tensorMemoryLimit : undefined;
  return { machine: machineMemory(), ...(limit ? { backend: limit } : {}) };
}
