import {
  isFinalJobState,
  type Store,
  type TrialJobRecord,
  type TrialQueue,
} from '../store/index.js';
import { FINAL_TRIAL_STATUSES } from './run-sweep.js';

/**
 * Ends a queued sweep once none of its jobs can run again: `interrupted` when it was
 * cancelled, `failed` when no trial ended well, else `completed`. Any worker may call it
 * after settling a job; they all reach the same answer. A trial whose job pg-boss failed
 * for good (its worker vanished on the last attempt: nobody settled it) has its run still
 * `running`: that run is marked lost here, so the sweep and its runs end.
 */
export async function settleSweepStatus(
  queue: TrialQueue,
  store: Store,
  sweepId: number,
): Promise<void> {
  // A trial queued again (retry-failed, --resume) counts by its latest job only.
  const latest = new Map<number, TrialJobRecord>();
  for (const job of await queue.sweepJobs(sweepId)) latest.set(job.trialIndex, job);
  const jobs = [...latest.values()];
  if (jobs.length === 0 || jobs.some((job) => !isFinalJobState(job.state))) return;
  const sweep = await store.getSweep(sweepId);
  if (sweep === undefined || sweep.status !== 'running') return;
  if (jobs.some((job) => job.state === 'cancelled')) {
    await store.setSweepStatus(sweepId, 'interrupted');
    return;
  }
  const runs = await store.listSweepTrials(sweepId);
  for (const run of runs) {
    const job = run.trialIndex === null ? undefined : latest.get(run.trialIndex);
    if (job?.state !== 'failed' || run.status !== 'running') continue;
    await store.finishRun(run.id, {
      status: 'lost',
      error: `lost: its worker on ${run.host} stopped heartbeating and the trial had no retry left (${job.retryLimit})`,
    });
  }
  const ended = runs.some((run) => FINAL_TRIAL_STATUSES.includes(run.status));
  await store.setSweepStatus(sweepId, ended ? 'completed' : 'failed');
}

/**
 * Settles every sweep the store still shows `running` (see `settleSweepStatus`): workers
 * call it now and then, since a job that pg-boss's monitor fails for good ends with no
 * worker left to settle it.
 */
export async function settleRunningSweeps(queue: TrialQueue, store: Store): Promise<void> {
  for (const sweep of await store.listSweeps()) {
    if (sweep.status === 'running') await settleSweepStatus(queue, store, sweep.id);
  }
}
