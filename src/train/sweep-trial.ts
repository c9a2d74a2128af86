import type { PrunerSpec, SweepSpec } from '../config/experiment.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { SweepTrialContext } from './run-experiment.js';
import { configurationOf, type SweepDefinition } from './sweep-plan.js';
import { prunerEntry, type PruneVerdict } from './sweep-pruners.js';

/**
 * Links a run to its sweep and, when the sweep has a pruner, asks it at each
 * epoch end whether to stop the trial, from the other trials' values at that
 * epoch as the store has them (so it works wherever the trial runs).
 */
export async function sweepTrialContext(
  store: Store,
  trial: { readonly sweepId: number; readonly trialIndex: number },
  options: { readonly maxEpochs: number },
): Promise<SweepTrialContext> {
  const sweep = await store.getSweep(trial.sweepId);
  if (sweep === undefined)
    throw new UsageError(`--sweep-trial: there is no sweep ${trial.sweepId} in ${store.path}`);
  const definition = sweep.definition as Partial<SweepDefinition> | null;
  const pruner = prunerOf(definition?.sweep ?? null);
  if (pruner === undefined) return trial;
  const trials = definition?.trials ?? [];
  const configurationByTrial = new Map(trials.map((t) => [t.index, configurationOf(t)]));
  const configuration = configurationByTrial.get(trial.trialIndex) ?? trial.trialIndex;
  return {
    ...trial,
    shouldPrune: async (epoch, metrics) => {
      const value = metrics[sweep.metric];
      if (value === undefined) return false;
      const verdict = await askPruner(pruner, {
        store,
        sweepId: trial.sweepId,
        trialIndex: trial.trialIndex,
        configuration,
        configurationOf: (index) => configurationByTrial.get(index) ?? index,
        epoch,
        maxEpochs: options.maxEpochs,
        value,
        metric: sweep.metric,
        goal: sweep.goal,
      });
      return verdict.prune
        ? { reason: verdict.reason, prunedAt: { rung: verdict.rung, epoch } }
        : false;
    },
  };
}

/** The sweep's pruner; sweeps recorded before `pruner` kept median stopping in `earlyStop`. */
export function prunerOf(sweep: SweepSpec | null): PrunerSpec | undefined {
  if (sweep === null) return undefined;
  if (sweep.pruner !== undefined) return sweep.pruner;
  const legacy = (sweep as { earlyStop?: { type: 'median'; minEpochs: number } }).earlyStop;
  return legacy ? { type: 'median', minEpochs: legacy.minEpochs } : undefined;
}

/** Reads the competitors' values at the rung this epoch ends (if any) and asks the pruner. */
async function askPruner(
  spec: PrunerSpec,
  ask: {
    readonly store: Store;
    readonly sweepId: number;
    readonly trialIndex: number;
    readonly configuration: number;
    readonly configurationOf: (trialIndex: number) => number;
    readonly epoch: number;
    readonly maxEpochs: number;
    readonly value: number;
    readonly metric: string;
    readonly goal: 'minimize' | 'maximize';
  },
): Promise<PruneVerdict> {
  const entry = prunerEntry(spec);
  const rung = entry.rungAt(spec, ask);
  if (rung === undefined) return { prune: false };
  const others = (await ask.store.listSweepTrials(ask.sweepId))
    .filter(
      (run) =>
        run.trialIndex !== null &&
        run.trialIndex !== ask.trialIndex &&
        (rung.competitors === 'reached' || run.status === 'completed') &&
        entry.competes(spec, ask.configuration, ask.configurationOf(run.trialIndex), ask.maxEpochs),
    )
    .map((run) => run.id);
  const values = [...(await ask.store.metricAtEpoch(others, ask.metric, rung.epoch)).values()];
  return entry.decide(spec, rung, ask.value, values, ask.goal, ask.metric);
}
