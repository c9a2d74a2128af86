import { UsageError } from '../../errors.js';
import type { Store, TrialQueue } from '../../store/index.js';
import { outcome, type Outcome } from '../outcome.js';
import { outputFormat } from '../parse-flags.js';
import type { CliContext } from './command.js';
import { showSweepStatus } from './sweep-status.js';

/** `runner sweep status|cancel|retry-failed ID`. */
export const SWEEP_ACTIONS = ['status', 'cancel', 'retry-failed'] as const;
export type SweepAction = (typeof SWEEP_ACTIONS)[number];

export function isSweepAction(word: string | undefined): word is SweepAction {
  return SWEEP_ACTIONS.includes(word as SweepAction);
}

export interface SweepActionFlags {
  readonly db?: string;
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly heartbeat?: string;
  readonly retries?: string;
}

/**
 * `status`: every trial with its attempts, hosts and queue state (any store).
 * `cancel`: cancels the sweep's queued and running jobs; workers stop its running trials
 * at their next heartbeat (PostgreSQL). `retry-failed`: queues again every trial whose
 * latest attempt failed, was lost or interrupted (PostgreSQL).
 */
export async function runSweepAction(
  action: SweepAction,
  idText: string | undefined,
  flags: SweepActionFlags,
  context: CliContext,
): Promise<Outcome> {
  if (idText === undefined)
    throw new UsageError(`sweep ${action}: give the sweep id, e.g. runner sweep ${action} 3`, {
      hint: 'list sweeps with: runner sweeps ls',
    });
  const format = outputFormat(flags);
  if (action !== 'status' && format !== 'table')
    throw new UsageError(`sweep ${action}: --json and --csv are for sweep status`, {
      hint: `${action} prints one line; see the trials with: runner sweep status ${idText ?? 'ID'} --csv`,
    });
  const id = Number(idText);
  if (!Number.isInteger(id) || id < 1)
    throw new UsageError(`sweep ${action} ${idText}: expected a sweep id (a whole number)`);
  const lib = await import('../../store/index.js');
  const db = lib.resolveStorePath(flags.db, context.env, context.cwd);
  const queued = lib.isPostgresUrl(db);
  if (!queued && action !== 'status')
    throw new UsageError(
      `sweep ${action}: only a sweep queued on a PostgreSQL store can be ${action === 'cancel' ? 'cancelled' : 'retried'} this way`,
      {
        hint:
          action === 'cancel'
            ? 'a sweep on a SQLite store stops with Ctrl-C in its terminal'
            : `run its unfinished trials again with: runner sweep --resume ${id}`,
      },
    );
  const store = await lib.openStore(db, { create: false, readonly: action === 'status' });
  let queue: TrialQueue | undefined;
  try {
    const sweep = await store.getSweep(id);
    if (sweep === undefined)
      throw new UsageError(`sweep ${action} ${id}: there is no sweep ${id} in ${store.path}`, {
        hint: 'list sweeps with: runner sweeps ls',
      });
    if (queued) {
      try {
        queue = await lib.openTrialQueue(db, { supervise: false });
      } catch (error) {
        // A reader may see the runs without the queue (its role cannot open pg-boss's schema).
        if (action !== 'status') throw error;
        context.out.note(
          `queue not readable (${(error as Error).message}): trials from their runs only`,
        );
      }
    }
    if (action === 'status') {
      await showSweepStatus(context.out, store, queue, sweep, format);
      return outcome('ok');
    }
    if (action === 'cancel') return await cancelSweep(context, store, queue!, id);
    return await retryFailed(context, store, queue!, id, flags);
  } finally {
    await queue?.close();
    await store.close();
  }
}

async function cancelSweep(
  context: CliContext,
  store: Store,
  queue: TrialQueue,
  id: number,
): Promise<Outcome> {
  const jobs = await queue.sweepJobs(id);
  const active = jobs.filter((job) => job.state === 'active').length;
  const cancelled = await queue.cancelSweep(id);
  await store.setSweepStatus(id, 'interrupted');
  context.out.line(
    cancelled === 0
      ? `sweep ${id}: nothing queued or running; marked interrupted`
      : `sweep ${id} cancelled: ${cancelled} job${cancelled === 1 ? '' : 's'} (${active} running: their workers stop them at the next heartbeat)`,
  );
  return outcome('ok');
}

async function retryFailed(
  context: CliContext,
  store: Store,
  queue: TrialQueue,
  id: number,
  flags: SweepActionFlags,
): Promise<Outcome> {
  const lib = await import('../../store/index.js');
  const { requeueableJobs } = await import('./sweep-queued.js');
  const jobs = await requeueableJobs(store, queue, id, ['completed', 'pruned', 'diverged']);
  if (jobs.length === 0) {
    context.out.line(`sweep ${id}: no failed, lost or interrupted trial to retry`);
    return outcome('ok');
  }
  const heartbeatSeconds =
    flags.heartbeat === undefined ? lib.DEFAULT_HEARTBEAT_SECONDS : Number(flags.heartbeat);
  if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < lib.MIN_HEARTBEAT_SECONDS)
    throw new UsageError(
      `--heartbeat ${flags.heartbeat}: expected whole seconds, at least ${lib.MIN_HEARTBEAT_SECONDS}`,
    );
  const retryLimit = flags.retries === undefined ? lib.DEFAULT_RETRY_LIMIT : Number(flags.retries);
  if (!Number.isInteger(retryLimit) || retryLimit < 0)
    throw new UsageError(`--retries ${flags.retries}: expected a whole number of 0 or more`);
  await queue.enqueue(jobs, { heartbeatSeconds, retryLimit });
  await store.setSweepStatus(id, 'running');
  context.out.line(
    `sweep ${id}: ${jobs.length} trial${jobs.length === 1 ? '' : 's'} queued again (${jobs
      .map((job) => job.trialIndex + 1)
      .join(', ')}); workers take them: runner worker --db ${lib.redactStoreTarget(store.path)}`,
  );
  return outcome('ok');
}
