import type { RunSummary, SweepRecord } from '../../../store/index.js';
import { sweepVariedKeys } from '../../../train/sweep-values.js';

/** One planned trial, 1-based, with its varied values and its latest run (when it has one). */
export interface SweepTrialRow {
  readonly trial: number;
  readonly run: number | null;
  readonly name: string | null;
  readonly status: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly metric: number | null;
}

interface PlannedTrial {
  readonly index: number;
  readonly assignments: Readonly<Record<string, unknown>>;
}

function plannedTrials(sweep: SweepRecord): PlannedTrial[] {
  const trials = (sweep.definition as { trials?: unknown } | null)?.trials;
  return Array.isArray(trials) ? (trials as PlannedTrial[]) : [];
}

/** The sweep's varied keys and a row per planned trial (pending ones too), in trial order. */
export function sweepTrialRows(
  sweep: SweepRecord,
  runs: readonly RunSummary[],
): { varied: string[]; rows: SweepTrialRow[] } {
  const planned = plannedTrials(sweep);
  const latest = new Map<number, RunSummary>();
  for (const run of runs) {
    if (run.trialIndex === null) continue;
    const seen = latest.get(run.trialIndex);
    if (seen === undefined || run.id > seen.id) latest.set(run.trialIndex, run);
  }
  const rows = planned.map((trial): SweepTrialRow => {
    const run = latest.get(trial.index);
    return {
      trial: trial.index + 1,
      run: run?.id ?? null,
      name: run?.name ?? null,
      status: run?.status ?? 'pending',
      values: trial.assignments,
      metric: run?.metrics[sweep.metric]?.last.value ?? null,
    };
  });
  // An adaptive sampler (TPE) has not proposed the rest yet: pending, with no values.
  for (let trial = planned.length + 1; trial <= sweep.trialCount; trial++)
    rows.push({ trial, run: null, name: null, status: 'pending', values: {}, metric: null });
  return { varied: sweepVariedKeys(planned), rows };
}

/** The best completed trial by the sweep's metric and goal. */
export function bestTrial(
  sweep: SweepRecord,
  rows: readonly SweepTrialRow[],
): SweepTrialRow | undefined {
  let best: SweepTrialRow | undefined;
  for (const row of rows) {
    if (row.status !== 'completed' || row.metric === null || !Number.isFinite(row.metric)) continue;
    if (
      !best ||
      (sweep.goal === 'maximize' ? row.metric > best.metric! : row.metric < best.metric!)
    )
      best = row;
  }
  return best;
}
