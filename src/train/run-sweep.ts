import type { RunStatus, Store } from '../store/index.js';
import type { TrialPlan } from './sweep-plan.js';

/** What a launched trial reports back: the run it recorded (when it got that far) and how it ended. */
export interface TrialReport {
  readonly trial: TrialPlan;
  readonly runId: number | undefined;
  readonly status: RunStatus | 'failed';
  /** The trial's own last words when it failed (its error line). */
  readonly message: string | undefined;
}

/** Runs one trial (the CLI starts a child process) and resolves when it ends. */
export type TrialLauncher = (trial: TrialPlan) => Promise<TrialReport>;

export interface RunSweepOptions {
  readonly store: Store;
  readonly sweepId: number;
  readonly trials: readonly TrialPlan[];
  readonly parallel: number;
  readonly launch: TrialLauncher;
  /** Polled before each launch: true launches no more trials. */
  readonly shouldStop: () => boolean;
  readonly onTrialStart?: (trial: TrialPlan) => void;
  readonly onTrialEnd?: (report: TrialReport) => void | Promise<void>;
}

/** Statuses that end a trial for good: resuming a sweep does not run these again. */
export const FINAL_TRIAL_STATUSES: readonly RunStatus[] = ['completed', 'pruned', 'diverged'];

/**
 * Runs the trials, at most `parallel` at a time. A failing or diverging trial
 * does not stop the others. Returns every report, in trial order.
 */
export async function runSweep(options: RunSweepOptions): Promise<TrialReport[]> {
  const { store, sweepId, trials, launch } = options;
  await store.setSweepStatus(sweepId, 'running');
  const queue = [...trials];
  const reports: TrialReport[] = [];
  const worker = async (): Promise<void> => {
    for (let trial = queue.shift(); trial !== undefined; trial = queue.shift()) {
      if (options.shouldStop()) return;
      options.onTrialStart?.(trial);
      const report = await launch(trial);
      reports.push(report);
      await options.onTrialEnd?.(report);
    }
  };
  const workers = Math.max(1, Math.min(options.parallel, trials.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const interrupted =
    options.shouldStop() || queue.length > 0 || reports.some((r) => r.status === 'interrupted');
  const allFailed = reports.length > 0 && reports.every((r) => r.status === 'failed');
  await store.setSweepStatus(
    sweepId,
    interrupted ? 'interrupted' : allFailed ? 'failed' : 'completed',
  );
  return reports.sort((a, b) => a.trial.index - b.trial.index);
}

/** The trials of a sweep that still have to run: those with no run that ended for good. */
export async function pendingTrials(
  store: Store,
  sweepId: number,
  trials: readonly TrialPlan[],
): Promise<TrialPlan[]> {
  const done = new Set(
    (await store.listSweepTrials(sweepId))
      .filter((run) => FINAL_TRIAL_STATUSES.includes(run.status))
      .map((run) => run.trialIndex),
  );
  return trials.filter((trial) => !done.has(trial.index));
}
