import type { BackendName } from '../../backend/index.js';
import type { ModelSpec } from '../../config/experiment.js';
import type { ObjectiveSettings } from '../step-objective.js';

/** What a worker thread is started with (its `workerData`). */
export interface ReplicaInit {
  /** 1-based: replica 0 is the main thread. */
  readonly index: number;
  readonly model: ModelSpec;
  /** Seeds the replica's dropout masks; its weights come from `weights`. */
  readonly seed: number;
  /** The backend the main thread runs, so every replica computes alike. */
  readonly backend: BackendName;
  /** What each step minimises: the main thread's loss, label smoothing and class count. */
  readonly objective: ObjectiveSettings;
  readonly imageShape: readonly [number, number, number];
  /** Shapes of the trainable variables, in order: checked against the replica's own. */
  readonly shapes: readonly (readonly number[])[];
  /** The current weights, written by the main thread before each step. */
  readonly weights: Float32Array;
  /** This replica's gradients, written by it before it answers a step. */
  readonly grads: Float32Array;
  /** This replica's share of a batch, written by the main thread before each step (see ShareBuffers). */
  readonly share: ShareBuffers;
  /** See {@link Doorbell}. */
  readonly doorbell: Int32Array;
  /** How long the worker watches the doorbell after a step (ms; 0: never). */
  readonly doorbellWatchMs: number;
}

/**
 * Int32 slots of shared memory beside the messages, so that a step can start
 * without a wake-up: a thread that waits for a message sleeps, and on a
 * shared (virtual) machine the kernel took up to milliseconds to run it again
 * (a worker's step started 0.1-2.3 ms after its message). The main thread
 * rings (writes the share's size, then the step) before it posts the step;
 * a worker that has just answered watches the bell for a few milliseconds
 * and takes the step from it, then skips that step's message; the main
 * thread, once its own share is done, watches `answered` the same way. A
 * step whose share outgrew the buffers is not rung (its message brings them).
 */
export const Doorbell = { step: 0, size: 1, answered: 2, length: 3 } as const;

/**
 * How long a thread watches the doorbell before it sleeps until a message:
 * a little longer than the main thread's work between two steps (averaging,
 * the update, the next shares: 1-2 ms), so that a thread busy-waits at most
 * this long a step, and never while the loop evaluates or saves.
 */
export const DOORBELL_WATCH_MS = 5;

/**
 * Shared memory for one replica's share of a batch: the main thread writes
 * the pixels and labels of the share straight from the batch arrays, so a
 * step allocates nothing and its message carries only the share's size.
 */
export interface ShareBuffers {
  /** [capacity, height, width, channels] floats. */
  readonly pixels: Float32Array;
  /** [capacity] class indices. */
  readonly labels: Int32Array;
}

/** Main thread → worker: one message per step. */
export interface StepRequest {
  readonly kind: 'step';
  readonly step: number;
  /** Examples in the share: the first `size` of the share buffers. */
  readonly size: number;
  /** Larger buffers, from this step on, when a share outgrew the last ones. */
  readonly share?: ShareBuffers;
}

/** Worker → main thread. */
export type ReplicaMessage =
  | { readonly kind: 'ready'; readonly tensors: number }
  | {
      readonly kind: 'done';
      readonly step: number;
      readonly loss: number;
      readonly correct: number;
      /** Live tensors after the step: stays constant from step to step unless something leaks. */
      readonly tensors: number;
      /** From taking the message to answering it. */
      readonly busyMs: number;
      /** Whether the step came from the doorbell (else from its message). */
      readonly rung: boolean;
    }
  | { readonly kind: 'failed'; readonly message: string };

/** The few MessagePort members a replica uses, so a test can stand between them. */
export interface ReplicaPort {
  on(event: 'message', listener: (message: StepRequest) => void): void;
  postMessage(message: ReplicaMessage): void;
}
