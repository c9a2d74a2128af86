/**
 * Data-parallel training in worker threads: replica 0 is the main thread's
 * model, the others run in workers on their own backend; each computes the
 * gradients of its share of the batch, the main thread averages them in
 * replica order and applies the one update.
 */
export {
  resolveWorkers,
  AUTO_WORKER_CAP,
  AUTO_MIN_SHARE,
  type WorkerPlan,
} from './worker-count.js';
export {
  startReplicaPool,
  shareBounds,
  defaultReplicaWorkerUrl,
  type ReplicaPool,
  type ReplicaPoolOptions,
  type ParallelGradients,
  type ShareSource,
  type PoolTimes,
} from './replica-pool.js';
export { parallelTrainStep } from './parallel-step.js';
export { Lookahead } from './lookahead.js';
export { serveReplica } from './replica.js';
export type {
  ReplicaInit,
  ReplicaPort,
  ReplicaMessage,
  ShareBuffers,
  StepRequest,
} from './replica-protocol.js';
