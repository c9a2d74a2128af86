import type { BackendName } from '../../backend/index.js';

/** How many replicas train a run, and why that many: recorded with the run. */
export interface WorkerPlan {
  readonly count: number;
  readonly reason: string;
}

/** `auto` never goes past this: unmeasured beyond 2 cores, and every replica holds a model. */
export const AUTO_WORKER_CAP = 4;

/**
 * Below this many examples per replica, `auto` uses fewer replicas: the
 * per-kernel overhead (about 270 calls a LeNet-5 step, 570 for the tutorial
 * net, whatever the batch) stays the same while each call's work shrinks.
 */
export const AUTO_MIN_SHARE = 32;

/**
 * Resolves `train.workers`. A number is taken as given; `auto` is the cores
 * this process may use (`os.availableParallelism()`), at most
 * AUTO_WORKER_CAP and one per AUTO_MIN_SHARE examples of a batch, and 1 on
 * tfjs-node, whose native kernels already use every core.
 *
 * @example
 * resolveWorkers('auto', { backend: 'wasm', batchSize: 128, cores: 2 });
 * // { count: 2, reason: 'auto: 2 cores' }
 */
export function resolveWorkers(
  setting: number | 'auto',
  context: { readonly backend: BackendName; readonly batchSize: number; readonly cores: number },
): WorkerPlan {
  if (setting !== 'auto') {
    return { count: setting, reason: `train.workers: ${setting}` };
  }
  if (context.backend === 'tfjs-node') {
    return { count: 1, reason: 'auto: tfjs-node already uses every core' };
  }
  const byShare = Math.max(1, Math.floor(context.batchSize / AUTO_MIN_SHARE));
  const count = Math.max(1, Math.min(context.cores, AUTO_WORKER_CAP, byShare));
  const cores = `${context.cores} core${context.cores === 1 ? '' : 's'}`;
  if (count === context.cores) return { count, reason: `auto: ${cores}` };
  if (count === byShare && byShare < AUTO_WORKER_CAP) {
    return {
      count,
      reason: `auto: ${cores}, but batch ${context.batchSize} gives at least ${AUTO_MIN_SHARE} examples to ${count === 1 ? 'one replica' : `${count} replicas`}`,
    };
  }
  return { count, reason: `auto: ${cores}, at most ${AUTO_WORKER_CAP}` };
}
