import type { RunSummary, Store, SweepRecord } from '../../../store/index.js';
import { prunedRungOf, type PrunedRung } from '../../../train/sweep-pruners.js';
import {
  summarizeConfigurations,
  sweepVariedKeys,
  type ConfigurationSummary,
} from '../../../train/sweep-values.js';

/** One planned trial, 1-based, with its varied values and its latest run (when it has one). */
export interface SweepTrialRow {
  readonly trial: number;
  /** 1-based configuration (with repeats, several trials share one). */
  readonly configuration: number;
  /** 1-based repeat of its configuration. */
  readonly repeat: number;
  readonly run: number | null;
  readonly name: string | null;
  readonly status: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly metric: number | null;
  /** Where a pruned trial stopped (the run's `prunedAt`; older runs: its pruner's notice); null otherwise. */
  readonly rung: PrunedRung | null;
}

interface PlannedTrial {
  readonly index: number;
  readonly configuration?: number;
  readonly repeat?: number;
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
  /** The notices of the pruned runs, by run id (`loadSweepTrials` reads them). */
  notices: ReadonlyMap<number, readonly string[]> = new Map(),
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
      configuration: (trial.configuration ?? trial.index) + 1,
      repeat: (trial.repeat ?? 0) + 1,
      run: run?.id ?? null,
      name: run?.name ?? null,
      status: run?.status ?? 'pending',
      values: trial.assignments,
      metric: run?.metrics[sweep.metric]?.last.value ?? null,
      rung:
        run?.status === 'pruned'
          ? (run.prunedAt ?? prunedRungOf(notices.get(run.id) ?? []) ?? null)
          : null,
    };
  });
  // An adaptive sampler (TPE) has not proposed the rest yet: pending, with no values.
  const repeats = repeatsOf(sweep);
  for (let trial = planned.length + 1; trial <= sweep.trialCount; trial++)
    rows.push({
      trial,
      configuration: Math.floor((trial - 1) / repeats) + 1,
      repeat: ((trial - 1) % repeats) + 1,
      run: null,
      name: null,
      status: 'pending',
      values: {},
      metric: null,
      rung: null,
    });
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

/** The sweep's `repeats` (1 for sweeps recorded before repeats). */
export function repeatsOf(sweep: SweepRecord): number {
  const repeats = (sweep.definition as { sweep?: { repeats?: unknown } | null } | null)?.sweep
    ?.repeats;
  return typeof repeats === 'number' && repeats > 1 ? repeats : 1;
}

/** Per configuration: values, trials, mean and standard deviation of the metric. */
export function configurationRows(rows: readonly SweepTrialRow[]): ConfigurationSummary[] {
  return summarizeConfigurations(rows);
}

/** The pruned trials, the rung they stopped at and why (the pruner's notice). */
export function prunedTrials(
  rows: readonly SweepTrialRow[],
  notices: ReadonlyMap<number, readonly string[]>,
): { trial: number; run: number; rung: PrunedRung | null; why: string }[] {
  return rows
    .filter((row) => row.status === 'pruned' && row.run !== null)
    .map((row) => ({
      trial: row.trial,
      run: row.run!,
      rung: row.rung,
      why: notices.get(row.run!)?.find((n) => n.startsWith('pruned')) ?? 'pruned',
    }));
}

/** `sweepTrialRows` with the pruned runs' notices read from the store (for their rung). */
export async function loadSweepTrials(
  store: Store,
  sweep: SweepRecord,
): Promise<{ varied: string[]; rows: SweepTrialRow[]; notices: Map<number, readonly string[]> }> {
  const runs = await store.listSweepTrials(sweep.id);
  const notices = new Map<number, readonly string[]>();
  for (const run of runs)
    if (run.status === 'pruned') notices.set(run.id, (await store.getRun(run.id))?.notices ?? []);
  return { ...sweepTrialRows(sweep, runs, notices), notices };
}

/** A sweep trial's place in its sweep, and (with repeats) its configuration's mean and spread. */
export interface TrialPlace {
  readonly sweep: SweepRecord;
  readonly row: SweepTrialRow;
  /** With repeats > 1: the configuration over its seeds; undefined without repeats. */
  readonly configuration: ConfigurationSummary | undefined;
}

/** For each listed run that is a sweep trial: its trial row and configuration (one read per sweep). */
export async function trialPlaces(
  store: Store,
  runs: readonly RunSummary[],
): Promise<Map<number, TrialPlace>> {
  const places = new Map<number, TrialPlace>();
  const sweepIds = new Set(runs.flatMap((r) => (r.sweepId === null ? [] : [r.sweepId])));
  for (const sweepId of sweepIds) {
    const sweep = await store.getSweep(sweepId);
    if (sweep === undefined) continue;
    const { rows } = await loadSweepTrials(store, sweep);
    const configurations = repeatsOf(sweep) > 1 ? configurationRows(rows) : [];
    const byRun = new Map(rows.flatMap((row) => (row.run === null ? [] : [[row.run, row]])));
    for (const run of runs) {
      const row = run.sweepId === sweepId ? byRun.get(run.id) : undefined;
      if (row === undefined) continue;
      places.set(run.id, {
        sweep,
        row,
        configuration: configurations.find((c) => c.configuration === row.configuration),
      });
    }
  }
  return places;
}
