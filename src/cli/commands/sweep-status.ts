import type {
  RunSummary,
  Store,
  SweepRecord,
  TrialJobRecord,
  TrialQueue,
} from '../../store/index.js';
import { formatMetric } from '../../format/index.js';
import type { OutputFormat, Renderer, View, ViewColumn } from '../render.js';
import { bestTrial, sweepTrialRows, type SweepTrialRow } from './sweeps/trial-rows.js';

/** A trial of a sweep with its attempts: every run it had, on which hosts, and its job. */
export interface QueuedTrialRow extends SweepTrialRow {
  /** Runs recorded for the trial (one per attempt that got as far as recording). */
  readonly attempts: number;
  readonly lost: number;
  readonly hosts: string;
  /** The state of its latest job on the queue; null for a sweep that was not queued. */
  readonly job: string | null;
}

/** The sweep's trials with attempts, hosts and queue state, in trial order. */
export function queuedTrialRows(
  sweep: SweepRecord,
  runs: readonly RunSummary[],
  jobs: readonly TrialJobRecord[],
): { varied: string[]; rows: QueuedTrialRow[] } {
  const { varied, rows } = sweepTrialRows(sweep, runs);
  const latestJob = new Map<number, TrialJobRecord>();
  for (const job of jobs) latestJob.set(job.trialIndex, job);
  return {
    varied,
    rows: rows.map((row): QueuedTrialRow => {
      const mine = runs.filter((run) => run.trialIndex === row.trial - 1);
      const job = latestJob.get(row.trial - 1);
      return {
        ...row,
        status: trialStatus(row.status, job),
        attempts: mine.length,
        lost: mine.filter((run) => run.status === 'lost').length,
        hosts: [...new Set(mine.map((run) => run.host))].join(' '),
        job: job?.state ?? null,
      };
    }),
  };
}

const OPEN_JOB = new Set(['created', 'retry', 'active']);

function trialStatus(runStatus: string, job: TrialJobRecord | undefined): string {
  if (job === undefined) return runStatus;
  if (OPEN_JOB.has(job.state)) {
    if (runStatus === 'running' || job.state === 'active') return 'running';
    return job.state === 'retry' ? 'retrying' : 'queued';
  }
  const unfinished = runStatus === 'pending' || runStatus === 'running';
  if (job.state === 'cancelled' && unfinished) return 'cancelled';
  // Failed before recording a run (its data missing on the worker, ...): not retried.
  const output = job.output as { status?: unknown } | null;
  if (job.state === 'completed' && output?.status === 'failed' && unfinished) return 'failed';
  // Every attempt lost and no retry left.
  if (job.state === 'failed' && (unfinished || runStatus === 'lost')) return 'lost';
  return runStatus;
}

/**
 * `sweep status`, as the queued sweep also prints it when it ends: the sweep's trials read
 * from the store and the queue (none when the queue cannot be read), rendered in `format`.
 */
export async function showSweepStatus(
  out: Renderer,
  store: Store,
  queue: TrialQueue | undefined,
  sweep: SweepRecord,
  format: OutputFormat,
): Promise<void> {
  const { varied, rows } = queuedTrialRows(
    sweep,
    await store.listSweepTrials(sweep.id),
    queue ? await queue.sweepJobs(sweep.id) : [],
  );
  renderSweepStatus(out, sweep, rows, varied, format);
}

/** Prints `runner sweep status`: one line, the trials table, counts and the best. */
export function renderSweepStatus(
  out: Renderer,
  sweep: SweepRecord,
  rows: readonly QueuedTrialRow[],
  varied: readonly string[],
  format: OutputFormat,
): void {
  const best = bestTrial(sweep, rows);
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  const lost = rows.reduce((n, row) => n + row.lost, 0);
  const view: View<QueuedTrialRow> = {
    records: rows,
    columns: [
      { key: 'trial', kind: 'id' },
      { key: 'run', kind: 'id' },
      { key: 'status' },
      { key: 'attempts' },
      { key: 'hosts' },
      ...varied.map((key): ViewColumn<QueuedTrialRow> => ({
        key,
        kind: 'param',
        value: (row) => row.values[key] ?? null,
      })),
      { key: sweep.metric, kind: 'metric', value: (row) => row.metric },
    ],
    json: {
      id: sweep.id,
      name: sweep.name,
      status: sweep.status,
      metric: sweep.metric,
      goal: sweep.goal,
      counts: Object.fromEntries(counts),
      lostAttempts: lost,
      trials: rows,
      best: best ?? null,
    },
  };
  if (format === 'table') out.line(`sweep ${sweep.id} ${sweep.name}: ${sweep.status}`);
  out.view(view, format);
  if (format !== 'table') return;
  out.line(
    `${rows.length} trials: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}` +
      (lost > 0 ? `; ${lost} lost attempt${lost === 1 ? '' : 's'} (retried)` : '') +
      (best
        ? `; best: trial ${best.trial} (run ${best.run}) ${sweep.metric} ${formatMetric(best.metric)}`
        : ''),
  );
}
