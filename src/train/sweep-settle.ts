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
 * after settling a job; they all reach the same answer.
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
  const ended = runs.some((run) => FINAL_TRIAL_STATUSES.includes(run.status));
  await store.setSweepStatus(sweepId, ended ? 'completed' : 'failed');
}
