import type { RunSummary } from '../store/index.js';
import { formatMetric } from '../format/index.js';
import { TICK_MS } from './progress-ticker.js';

/**
 * Life between a sweep's "trial N started" and "ended" lines: its trials run quiet (their
 * output is the sweep's to print), so every `TICK_MS` the sweep reads its running trials from
 * the store and says where each is, as a plain line where no status line can be redrawn
 * (stderr piped to a CI log) and as the status line on a terminal.
 */
export interface SweepProgressOptions {
  readonly sweepId: number;
  readonly total: number;
  /** The sweep's trial runs as recorded now. */
  readonly listTrials: () => Promise<readonly RunSummary[]>;
  /** Trials ended so far in this process. */
  readonly ended: () => number;
  readonly note: (text: string) => void;
  readonly status: (text: string) => void;
  readonly liveStatus: boolean;
  readonly everyMs?: number;
}

/** RUNNER_PROGRESS_MS (at least 100) if set, else `TICK_MS` (30 s). */
export function progressInterval(env: NodeJS.ProcessEnv): number {
  const value = Number(env['RUNNER_PROGRESS_MS']);
  return Number.isFinite(value) && value >= 100 ? value : TICK_MS;
}

/** Starts the timer; the returned function stops it. */
export function startSweepProgress(options: SweepProgressOptions): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void options
      .listTrials()
      .then((runs) => {
        const line = sweepProgressLine(options.sweepId, options.total, options.ended(), runs);
        if (line === undefined) return;
        if (options.liveStatus) options.status(line);
        else options.note(line);
      })
      .catch(() => undefined) // a busy store: the next tick tries again
      .finally(() => (busy = false));
  }, options.everyMs ?? TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** `sweep 3: 2/8 ended; trial 3 (run 14) epoch 2 step 120 train/loss 0.4123; ...`, or nothing when no trial runs. */
export function sweepProgressLine(
  sweepId: number,
  total: number,
  ended: number,
  runs: readonly RunSummary[],
): string | undefined {
  const running = runs
    .filter((run) => run.status === 'running' && run.trialIndex !== null)
    .sort((a, b) => a.trialIndex! - b.trialIndex!);
  if (running.length === 0) return undefined;
  const trials = running.map((run) => {
    const loss = run.metrics['train/loss'];
    const where =
      loss === undefined
        ? 'loading'
        : `epoch ${loss.last.epoch} step ${loss.last.step} train/loss ${formatMetric(loss.last.value)}`;
    return `trial ${run.trialIndex! + 1} (run ${run.id}) ${where}`;
  });
  return `sweep ${sweepId}: ${ended}/${total} ended; ${trials.join('; ')}`;
}
