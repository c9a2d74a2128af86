import type { SamplerKind } from '../config/experiment.js';
import { createRandom, mixSeed } from '../data/index.js';
import type { RunSummary, Store, SweepRecord } from '../store/index.js';
import { FINAL_TRIAL_STATUSES } from './run-sweep.js';
import {
  configurationOf,
  plannedTrialCount,
  repeatTrials,
  sampleSpaceAt,
  type SweepDefinition,
  type TrialPlan,
} from './sweep-plan.js';
import { bracketOf } from './sweep-pruners.js';
import {
  proposeTpe,
  type FinishedConfiguration,
  type SearchedConfiguration,
} from './tpe-sampler.js';

/**
 * The samplers, one entry per `sweep.sampler`. `adaptive` ones propose each
 * configuration from the finished trials, just before it runs; the others
 * are planned whole by `planTrials`.
 */
export const SAMPLERS: Readonly<Record<SamplerKind, { readonly adaptive: boolean }>> = {
  grid: { adaptive: false },
  random: { adaptive: false },
  tpe: { adaptive: true },
};

/**
 * The search side of a sweep, apart from how trials run: it hands out the
 * next trial to run, proposing new configurations (TPE) from what the store
 * has recorded so far and recording each proposal in the sweep's definition
 * before handing it out, so that a resumed sweep runs the same sequence.
 * Both executors use it: `runSweep` (child processes here) and the job queue.
 */
export interface TrialSource {
  /** The next trial to run, or undefined when every planned trial has been handed out. */
  next(): Promise<TrialPlan | undefined>;
  /** Trials the sweep runs in all. */
  readonly total: number;
}

/**
 * Opens the trial source of a recorded sweep: first its planned trials that
 * have no run that ended for good, then (adaptive samplers) new proposals
 * until the planned count. Calls are serialised: a proposal sees the one
 * before it recorded.
 */
export async function openTrialSource(store: Store, sweepId: number): Promise<TrialSource> {
  const record = await store.getSweep(sweepId);
  if (record === undefined) throw new Error(`no sweep ${sweepId} in ${store.path}`);
  let definition = record.definition as SweepDefinition;
  const done = finishedTrialIndexes(await store.listSweepTrials(sweepId));
  const queue = definition.trials.filter((trial) => !done.has(trial.index));
  const total = plannedTrialCount(definition);
  let chain: Promise<unknown> = Promise.resolve();
  const take = async (): Promise<TrialPlan | undefined> => {
    const queued = queue.shift();
    if (queued !== undefined) return queued;
    const proposed = await proposeConfiguration(store, sweepId, definition, record);
    if (proposed === undefined) return undefined;
    definition = proposed.definition;
    const trials = proposed.trials;
    queue.push(...trials.slice(1));
    return trials[0];
  };
  return {
    total,
    next() {
      const result = chain.then(take);
      chain = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * Proposes the next configuration of an adaptive sweep from its finished trials and records
 * it (all its repeats) in the sweep's definition; undefined when the sampler is not adaptive
 * or the planned count is reached.
 */
async function proposeConfiguration(
  store: Store,
  sweepId: number,
  definition: SweepDefinition,
  record: SweepRecord,
): Promise<{ definition: SweepDefinition; trials: TrialPlan[] } | undefined> {
  const sweep = definition.sweep;
  if (sweep === null || !SAMPLERS[sweep.sampler].adaptive) return undefined;
  if (definition.trials.length >= plannedTrialCount(definition)) return undefined;
  const configuration = countConfigurations(definition.trials);
  const history = searchHistory(
    definition,
    await store.listSweepTrials(sweepId),
    record.metric,
    configuration,
  );
  const seed = definition.seed ?? 0;
  const space = sweep.random?.space ?? {};
  const finished = history.filter((c) => c.status !== 'running').length;
  // Startup: the random sampler's own draw for this configuration, so a tpe sweep and a random
  // sweep of one seed start from the same trials (Optuna's TPESampler draws its startup trials
  // with a RandomSampler of its seed, too).
  const assignments =
    finished < sweep.tpe.startupTrials
      ? sampleSpaceAt(space, seed, configuration)
      : proposeTpe(
          space,
          history,
          sweep.tpe,
          record.goal,
          createRandom(mixSeed(seed, configuration, 0x7e5)),
        );
  const trials = repeatTrials(
    configuration,
    assignments,
    sweep.repeats ?? 1,
    seed,
    definition.trials.length,
  );
  const next = { ...definition, trials: [...definition.trials, ...trials] };
  await store.setSweepDefinition(sweepId, next);
  return { definition: next, trials };
}

/**
 * The trial `trialIndex` of an adaptive sweep queued for workers: the one recorded, or, the
 * first time, proposed from the trials finished so far (and every trial before it not yet
 * proposed), recorded before it runs. Under the sweep's lock, so workers on many machines
 * propose one after another, each seeing the proposals before it, as the local sweep's slots
 * do. Undefined when the index is past the sweep's planned count.
 */
export async function proposeTrialAt(
  store: Store,
  sweepId: number,
  trialIndex: number,
): Promise<TrialPlan | undefined> {
  return store.withSweepLock(sweepId, async () => {
    const record = await store.getSweep(sweepId);
    if (record === undefined) throw new Error(`no sweep ${sweepId} in ${store.path}`);
    let definition = record.definition as SweepDefinition;
    for (;;) {
      const planned = definition.trials.find((trial) => trial.index === trialIndex);
      if (planned !== undefined) return planned;
      const proposed = await proposeConfiguration(store, sweepId, definition, record);
      if (proposed === undefined) return undefined;
      definition = proposed.definition;
    }
  });
}

function finishedTrialIndexes(runs: readonly RunSummary[]): Set<number> {
  return new Set(
    runs
      .filter((run) => FINAL_TRIAL_STATUSES.includes(run.status) && run.trialIndex !== null)
      .map((run) => run.trialIndex!),
  );
}

/**
 * What TPE learns from for `configuration`: the finished configurations and, with constant
 * liar, the ones handed out and not finished (none of them this one). With hyperband, only
 * those of the configuration's own bracket (Optuna's TPESampler under a HyperbandPruner
 * samples from the bracket's own study), startup trials counted per bracket too.
 */
export function searchHistory(
  definition: SweepDefinition,
  runs: readonly RunSummary[],
  metric: string,
  configuration: number,
): SearchedConfiguration[] {
  const sweep = definition.sweep;
  const finished = finishedConfigurations(definition, runs, metric);
  const ended = new Set(finishedConfigurationNumbers(definition, runs));
  const running: { configuration: number; searched: SearchedConfiguration }[] = [];
  if (sweep?.tpe.constantLiar !== false) {
    const seen = new Set<number>();
    for (const trial of definition.trials) {
      const key = configurationOf(trial);
      if (key === configuration || ended.has(key) || seen.has(key)) continue;
      seen.add(key);
      running.push({
        configuration: key,
        searched: { assignments: trial.assignments, status: 'running' },
      });
    }
  }
  const all = [
    ...finished.map((f) => ({
      configuration: f.configuration,
      searched: f.finished as SearchedConfiguration,
    })),
    ...running,
  ].sort((a, b) => a.configuration - b.configuration);
  const pruner = sweep?.pruner;
  const inBracket =
    pruner?.type === 'hyperband' && definition.epochs !== undefined
      ? (other: number) =>
          bracketOf(pruner, other, definition.epochs!) ===
          bracketOf(pruner, configuration, definition.epochs!)
      : () => true;
  return all.filter((c) => inBracket(c.configuration)).map((c) => c.searched);
}

/** Configurations whose every trial ended for good (with a value or not). */
function finishedConfigurationNumbers(
  definition: SweepDefinition,
  runs: readonly RunSummary[],
): number[] {
  const done = finishedTrialIndexes(runs);
  const byConfiguration = new Map<number, boolean>();
  for (const trial of definition.trials) {
    const key = configurationOf(trial);
    byConfiguration.set(key, (byConfiguration.get(key) ?? true) && done.has(trial.index));
  }
  return [...byConfiguration].filter(([, all]) => all).map(([key]) => key);
}

function countConfigurations(trials: readonly TrialPlan[]): number {
  return trials.reduce((max, trial) => Math.max(max, configurationOf(trial) + 1), 0);
}

/**
 * The configurations whose every trial ended as completed or pruned with a
 * value of the metric, in configuration order, with their numbers: the value is the mean over
 * its repeats, the status `pruned` when any repeat was pruned. A diverged
 * or failed repeat leaves its configuration out (no value to learn from).
 */
export function finishedConfigurations(
  definition: SweepDefinition,
  runs: readonly RunSummary[],
  metric: string,
): { configuration: number; finished: FinishedConfiguration }[] {
  const latest = new Map<number, RunSummary>();
  for (const run of runs) {
    if (run.trialIndex === null) continue;
    const seen = latest.get(run.trialIndex);
    if (seen === undefined || run.id > seen.id) latest.set(run.trialIndex, run);
  }
  const byConfiguration = new Map<number, TrialPlan[]>();
  for (const trial of definition.trials) {
    const key = configurationOf(trial);
    byConfiguration.set(key, [...(byConfiguration.get(key) ?? []), trial]);
  }
  const finished: { configuration: number; finished: FinishedConfiguration }[] = [];
  for (const [configuration, trials] of [...byConfiguration].sort((a, b) => a[0] - b[0])) {
    const ended = trials.map((trial) => latest.get(trial.index));
    const values = ended.map((run) => run?.metrics[metric]?.last);
    if (
      ended.some((run) => run?.status !== 'completed' && run?.status !== 'pruned') ||
      values.some((v) => v === undefined || v.value === null || !Number.isFinite(v.value))
    )
      continue;
    const points = values as { value: number; epoch: number }[];
    finished.push({
      configuration,
      finished: {
        assignments: trials[0]!.assignments,
        status: ended.every((run) => run?.status === 'completed') ? 'completed' : 'pruned',
        value: points.reduce((sum, p) => sum + p.value, 0) / points.length,
        epochs: Math.min(...points.map((p) => p.epoch)),
      },
    });
  }
  return finished;
}
