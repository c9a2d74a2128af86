import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { SweepTrialContext } from './run-experiment.js';
import type { SweepDefinition } from './sweep-plan.js';

/** Completed trials needed at an epoch before median stopping may prune (as Optuna's n_startup_trials). */
const MIN_TRIALS_FOR_MEDIAN = 2;

/**
 * Links a run to its sweep and, when the sweep asks for median stopping,
 * prunes it at an epoch where its metric is worse than the median of the
 * finished trials at that same epoch.
 */
export async function sweepTrialContext(
  store: Store,
  trial: { readonly sweepId: number; readonly trialIndex: number },
): Promise<SweepTrialContext> {
  const sweep = await store.getSweep(trial.sweepId);
  if (sweep === undefined)
    throw new UsageError(`--sweep-trial: there is no sweep ${trial.sweepId} in ${store.path}`);
  const earlyStop = (sweep.definition as Partial<SweepDefinition> | null)?.sweep?.earlyStop;
  if (earlyStop?.type !== 'median') return trial;
  return {
    ...trial,
    shouldPrune: async (epoch, metrics) => {
      const value = metrics[sweep.metric];
      if (value === undefined || epoch < earlyStop.minEpochs) return false;
      const finished = (await store.listSweepTrials(trial.sweepId))
        .filter((run) => run.status === 'completed' && run.trialIndex !== trial.trialIndex)
        .map((run) => run.id);
      const values = [...(await store.metricAtEpoch(finished, sweep.metric, epoch)).values()];
      if (values.length < MIN_TRIALS_FOR_MEDIAN) return false;
      const median = medianOf(values);
      return sweep.goal === 'maximize' ? value < median : value > median;
    },
  };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
