import type { OpenTrialQueueOptions, TrialQueue } from './postgres/trial-job.js';

/**
 * The trial queue (pg-boss) on the PostgreSQL database at `url`; loaded on first use, so
 * commands that never queue do not load pg-boss.
 */
export async function openTrialQueue(
  url: string,
  options: OpenTrialQueueOptions,
): Promise<TrialQueue> {
  const { openTrialQueue: open } = await import('./postgres/trial-queue.js');
  return open(url, options);
}
