import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { diskFullAt } from '../errors.js';
import * as tf from '../tf.js';
import type { Evaluation } from './evaluate.js';
import type { EarlyStoppingState } from './early-stopping.js';
import type { PlateauState } from './lr-schedule.js';

/**
 * The whole training state at a step boundary: everything a resumed run
 * needs to take exactly the steps the uninterrupted run would have taken.
 * The data order needs no state (it is a function of seed and epoch), nor
 * does augmentation (a function of seed, epoch and batch); dropout masks
 * need each layer's call count.
 */
/** Running sums over one epoch's batches: examples, loss × examples, right predictions. */
export interface EpochTotals {
  readonly examples: number;
  readonly lossSum: number;
  /** Undefined for regression (no accuracy). */
  readonly correct: number | undefined;
}

export interface TrainingState {
  /** Where to continue: the 1-based epoch in progress and how many of its batches are done. */
  readonly position: {
    readonly epoch: number;
    readonly batchesDone: number;
    /** Steps taken in all. */
    readonly step: number;
  };
  /**
   * Sums over the batches of `position.epoch` done so far, for its mean train loss and accuracy
   * (`train/epoch_loss`, `train/epoch_accuracy`); absent in checkpoints of older runners.
   */
  readonly epochTotals?: EpochTotals;
  /** The first step's loss (the divergence check compares with it). */
  readonly firstLoss: number | undefined;
  readonly schedule: PlateauState | undefined;
  readonly earlyStopping: EarlyStoppingState | undefined;
  /** The best evaluation so far by checkpointMetric, and the last one. */
  readonly best: (Evaluation & { readonly epoch: number }) | undefined;
  readonly lastEvaluation: Evaluation | undefined;
  /** Masks drawn so far per seeded dropout layer. */
  readonly dropoutCalls: Readonly<Record<string, number>>;
  /** Metric keys already recorded at `position.step` (kept on resume; later ones are dropped). */
  readonly recordedAtStep: readonly string[];
  readonly optimizerSteps: number;
  /** Model weights (all, trainable or not) by name, then optimizer slots by `slot/index`. */
  readonly weights: readonly NamedTensor[];
  readonly slots: Readonly<Record<string, readonly tf.Tensor[]>>;
}

export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** A tensor read back from a checkpoint, as plain data (no backend needed to read a file). */
export interface SavedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
}

/** A training state read back from a checkpoint: tensors as plain data. */
export type SavedTrainingState = Omit<TrainingState, 'weights' | 'slots'> & {
  readonly weights: readonly SavedTensor[];
  readonly slots: Readonly<Record<string, readonly SavedTensor[]>>;
};

/** What must match between a checkpoint and the run resuming from it. */
export interface CheckpointIdentity {
  readonly runId: number;
  readonly configHash: string;
  readonly backend: string;
  readonly runnerVersion: string;
}

const MAGIC = 'RUNRCKPT';
const FORMAT_VERSION = 1;

interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly offset: number;
  readonly length: number;
}

interface Header extends CheckpointIdentity {
  readonly format: number;
  readonly state: Omit<TrainingState, 'weights' | 'slots'>;
  readonly weights: readonly TensorEntry[];
  readonly slots: Readonly<Record<string, readonly TensorEntry[]>>;
}

/**
 * Writes `state` to `file` atomically: a temporary file beside it, flushed
 * to disk, renamed over the old one, so a crash at any instant leaves the
 * previous checkpoint or the new one, never half of one. Layout: `RUNRCKPT`,
 * header length (uint32 LE), the header as JSON, tensor bytes (little
 * endian), sha256 of everything before it. Returns the bytes written.
 */
export function writeTrainingCheckpoint(
  file: string,
  identity: CheckpointIdentity,
  state: TrainingState,
): number {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const entry = (name: string, tensor: tf.Tensor): TensorEntry => {
    const data = tensor.dataSync();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    chunks.push(bytes);
    const e: TensorEntry = {
      name,
      shape: tensor.shape,
      dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
      offset,
      length: bytes.byteLength,
    };
    offset += bytes.byteLength;
    return e;
  };
  const weights = state.weights.map((w) => entry(w.name, w.tensor));
  const slots: Record<string, TensorEntry[]> = {};
  for (const [name, tensors] of Object.entries(state.slots)) {
    slots[name] = tensors.map((t, i) => entry(`${name}/${i}`, t));
  }
  const { weights: _w, slots: _s, ...plain } = state;
  const header: Header = { format: FORMAT_VERSION, ...identity, state: plain, weights, slots };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.byteLength, MAGIC.length);
  const hash = createHash('sha256').update(prefix).update(headerBytes);
  for (const chunk of chunks) hash.update(chunk);
  const digest = hash.digest();

  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  try {
    for (const part of [prefix, headerBytes, ...chunks, digest]) written += writeSync(fd, part);
    fsyncSync(fd);
  } catch (error) {
    // A full disk leaves no partial checkpoint behind (the last whole one stays).
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw diskFullAt(file, error);
  }
  closeSync(fd);
  renameSync(tmp, file);
  // The rename itself reaches the disk with the directory's next sync.
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return written;
}

/** A saved tensor as a tfjs tensor on the current backend. */
export function tensorOfSaved(saved: SavedTensor): tf.Tensor {
  return tf.tensor(saved.values, [...saved.shape], saved.dtype);
}

/** Why a checkpoint file cannot be used, in words for one line. */
export class CheckpointDamage extends Error {}

/**
 * Reads a checkpoint written by `writeTrainingCheckpoint`. Any damage
 * (truncation, a flipped byte, another file) is a `CheckpointDamage`; the
 * tensors are created only once the whole file checked out.
 */
export function readTrainingCheckpoint(file: string): {
  identity: CheckpointIdentity;
  state: SavedTrainingState;
} {
  const bytes = readFileSync(file);
  const minimum = MAGIC.length + 4 + 32;
  if (bytes.byteLength < minimum || bytes.toString('ascii', 0, MAGIC.length) !== MAGIC) {
    throw new CheckpointDamage('it is not a runner training checkpoint');
  }
  const body = bytes.subarray(0, bytes.byteLength - 32);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.byteLength - 32))) {
    throw new CheckpointDamage('its checksum does not match (the file is truncated or changed)');
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  if (dataStart > body.byteLength) throw new CheckpointDamage('its header is cut short');
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, dataStart)) as Header;
  } catch {
    throw new CheckpointDamage('its header is not valid JSON');
  }
  if (header.format !== FORMAT_VERSION) {
    throw new CheckpointDamage(
      `it has format ${header.format}; this runner reads ${FORMAT_VERSION}`,
    );
  }
  const data = body.subarray(dataStart);
  const tensorOf = (e: TensorEntry): SavedTensor => {
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + e.length > data.byteLength || e.length !== count * 4) {
      throw new CheckpointDamage(`tensor ${e.name} does not fit its shape`);
    }
    const raw = data.buffer.slice(
      data.byteOffset + e.offset,
      data.byteOffset + e.offset + e.length,
    );
    const values = e.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    return { name: e.name, shape: e.shape, dtype: e.dtype, values };
  };
  const weights = header.weights.map(tensorOf);
  const slots: Record<string, SavedTensor[]> = {};
  for (const [name, entries] of Object.entries(header.slots)) slots[name] = entries.map(tensorOf);
  const { runId, configHash, backend, runnerVersion } = header;
  return {
    identity: { runId, configHash, backend, runnerVersion },
    state: { ...header.state, weights, slots },
  };
}
