import type { RunStatus, Store } from '../store/index.js';
import type { TrialPlan } from './sweep-plan.js';
import type { TrialSource } from './sweep-search.js';

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
  /** Hands out the trials to run (`openTrialSource`: planned ones, then proposals). */
  readonly source: TrialSource;
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
 * Runs the trials the source hands out, at most `parallel` at a time: a free
 * slot asks the source for the next one (an adaptive sampler proposes it from
 * the trials finished so far). A failing or diverging trial does not stop the
 * others. Returns every report, in trial order.
 */
export async function runSweep(options: RunSweepOptions): Promise<TrialReport[]> {
  const { store, sweepId, source, launch } = options;
  await store.setSweepStatus(sweepId, 'running');
  const reports: TrialReport[] = [];
  let stoppedEarly = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.shouldStop()) {
        stoppedEarly = true;
        return;
      }
      const trial = await source.next();
      if (trial === undefined) return;
      // Asked to stop while the source was proposing: this trial does not start.
      if (options.shouldStop()) {
        stoppedEarly = true;
        return;
      }
      options.onTrialStart?.(trial);
      const report = await launch(trial);
      reports.push(report);
      await options.onTrialEnd?.(report);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker));
  const interrupted =
    stoppedEarly || options.shouldStop() || reports.some((r) => r.status === 'interrupted');
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
