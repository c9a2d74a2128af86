import { hostname } from 'node:os';
import type { RunSummary } from '../store/index.js';

// Kept apart on purpose: this rule moves into store/ (issue 11) so the dashboard
// gets it too; until then it is the CLI's, unchanged.

/**
 * Whether a `running` run is still alive: on this host its process must exist; elsewhere
 * its heartbeat must be recent. A run whose process died without a word shows `running?`.
 */
export function isRunAlive(run: RunSummary, now: number): boolean {
  if (run.status !== 'running') return false;
  if (run.pid !== null && run.host === hostname()) {
    try {
      process.kill(run.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return now - run.updatedAt < 5 * 60_000;
}

/** The status a listing shows: `running?` for a run left running by a process that is gone. */
export function displayStatus(run: RunSummary, now: number): string {
  if (run.status !== 'running') return run.status;
  return isRunAlive(run, now) ? 'running' : 'running?';
}
