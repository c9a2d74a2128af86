import type { PrunerKind, PrunerSpec } from '../config/experiment.js';
import type { PrunedAt } from '../store/index.js';

/** Where a trial stands at an epoch end: the pruners decide from this and the other trials. */
export interface PruneQuestion {
  /** The epoch that just ended (1-based). */
  readonly epoch: number;
  /** The trial's `train.epochs`. */
  readonly maxEpochs: number;
  /** The trial's configuration (hyperband puts each configuration in one bracket). */
  readonly configuration: number;
}

/** A point where a pruner decides, and against which trials. */
export interface Rung {
  /** 0-based rung (median: the epoch itself). */
  readonly rung: number;
  readonly epoch: number;
  /** `completed`: only trials that finished; `reached`: every trial with a value at this epoch. */
  readonly competitors: 'completed' | 'reached';
}

export type PruneVerdict =
  | { readonly prune: false }
  | {
      readonly prune: true;
      /** The rung it stopped at; null for median stopping (no rungs). */
      readonly rung: number | null;
      readonly reason: string;
    };

export interface PrunerEntry<S extends PrunerSpec> {
  /** The rung this epoch ends, or undefined when nothing is decided at it. */
  rungAt(spec: S, question: PruneQuestion): Rung | undefined;
  /** Whether another configuration competes with this one (hyperband: the same bracket). */
  competes(spec: S, configuration: number, other: number, maxEpochs: number): boolean;
  /** From the other trials' values at the rung (never this trial's own). */
  decide(
    spec: S,
    rung: Rung,
    value: number,
    others: readonly number[],
    goal: 'minimize' | 'maximize',
    metric: string,
  ): PruneVerdict;
}

/** Completed trials a median needs at an epoch before it may prune (Optuna's n_startup_trials). */
const MIN_TRIALS_FOR_MEDIAN = 2;

/**
 * The pruners, one entry per `sweep.pruner.type`. They are pure: the caller
 * (a trial, wherever it runs) reads the other trials' values at the rung from
 * the store and asks `decide`.
 */
export const PRUNERS: {
  readonly [K in PrunerKind]: PrunerEntry<Extract<PrunerSpec, { type: K }>>;
} = {
  median: {
    rungAt: (spec, { epoch }) =>
      epoch >= spec.minEpochs ? { rung: epoch, epoch, competitors: 'completed' } : undefined,
    competes: () => true,
    decide(_spec, rung, value, others, goal, metric) {
      if (others.length < MIN_TRIALS_FOR_MEDIAN) return { prune: false };
      const median = medianOf(others);
      const worse = goal === 'maximize' ? value < median : value > median;
      return worse
        ? {
            prune: true,
            rung: null,
            reason: `pruned at epoch ${rung.epoch}: ${metric} ${show(value)} is worse than the median ${show(median)} of ${others.length} completed trials there`,
          }
        : { prune: false };
    },
  },
  successiveHalving: {
    rungAt: (spec, question) => halvingRung(spec.minEpochs, spec.reductionFactor, 0, question),
    competes: () => true,
    decide: (spec, rung, value, others, goal, metric) =>
      decideHalving(spec.reductionFactor, rung, value, others, goal, metric),
  },
  hyperband: {
    rungAt: (spec, question) =>
      halvingRung(
        spec.minEpochs,
        spec.reductionFactor,
        bracketOf(spec, question.configuration, question.maxEpochs),
        question,
      ),
    competes: (spec, configuration, other, maxEpochs) =>
      bracketOf(spec, configuration, maxEpochs) === bracketOf(spec, other, maxEpochs),
    decide: (spec, rung, value, others, goal, metric) =>
      decideHalving(spec.reductionFactor, rung, value, others, goal, metric),
  },
};

/** The entry for a spec, typed for any spec (TypeScript cannot tie `spec.type` to its entry). */
export function prunerEntry(spec: PrunerSpec): PrunerEntry<PrunerSpec> {
  return PRUNERS[spec.type] as unknown as PrunerEntry<PrunerSpec>;
}

/**
 * Successive halving's rung at this epoch, if any: rung k sits at
 * minEpochs·η^(s+k) epochs (s: the bracket's minimum early-stopping rate).
 * The last epoch is no rung: stopping there saves nothing.
 */
function halvingRung(
  minEpochs: number,
  eta: number,
  s: number,
  { epoch, maxEpochs }: PruneQuestion,
): Rung | undefined {
  if (epoch >= maxEpochs) return undefined;
  for (let k = 0, at = minEpochs * eta ** s; at <= epoch; k++, at *= eta) {
    if (at === epoch) return { rung: k, epoch, competitors: 'reached' };
  }
  return undefined;
}

/**
 * A trial goes on from a rung when it is among the best floor(n/η) of the n
 * trials that reached it (itself included); while fewer than η have, only
 * the best so far goes on (as Optuna, which cannot pause trials to wait).
 */
function decideHalving(
  eta: number,
  rung: Rung,
  value: number,
  others: readonly number[],
  goal: 'minimize' | 'maximize',
  metric: string,
): PruneVerdict {
  const sorted = [...others, value].sort((a, b) => (goal === 'maximize' ? b - a : a - b));
  const kept = Math.max(1, Math.floor(sorted.length / eta));
  const threshold = sorted[kept - 1]!;
  const goesOn = goal === 'maximize' ? value >= threshold : value <= threshold;
  if (goesOn) return { prune: false };
  return {
    prune: true,
    rung: rung.rung,
    reason: `pruned at rung ${rung.rung} (epoch ${rung.epoch}): ${metric} ${show(value)} is not among the best ${kept} of ${sorted.length} trials there (needs ${show(threshold)})`,
  };
}

/** Hyperband's brackets: floor(log_η(maxEpochs / minEpochs)) + 1 unless given. */
export function bracketCount(
  spec: Extract<PrunerSpec, { type: 'hyperband' }>,
  maxEpochs: number,
): number {
  if (spec.brackets !== undefined) return spec.brackets;
  const ratio = Math.max(1, maxEpochs / spec.minEpochs);
  // The epsilon keeps exact powers (log_3 of 9 = 1.9999...) whole.
  return Math.floor(Math.log(ratio) / Math.log(spec.reductionFactor) + 1e-9) + 1;
}

/**
 * The bracket of a configuration: configurations are dealt to brackets in
 * proportion to each bracket's budget, ceil(n·η^s / (s+1)) with s = n-1-i
 * (as Optuna's HyperbandPruner, by configuration number instead of a hash).
 */
export function bracketOf(
  spec: Extract<PrunerSpec, { type: 'hyperband' }>,
  configuration: number,
  maxEpochs: number,
): number {
  const n = bracketCount(spec, maxEpochs);
  const budgets = Array.from({ length: n }, (_, i) => {
    const s = n - 1 - i;
    return Math.ceil((n * spec.reductionFactor ** s) / (s + 1));
  });
  let slot = configuration % budgets.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    if (slot < budgets[i]!) return i;
    slot -= budgets[i]!;
  }
  return n - 1;
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function show(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** Where a pruned trial stopped: the rung (none for median stopping, which decides every epoch) and the epoch. */
export type PrunedRung = PrunedAt;

const RUNG_NOTICE = /^pruned at rung (\d+) \(epoch (\d+)\):/;
const EPOCH_NOTICE = /^pruned at epoch (\d+):/;

/**
 * The rung a pruned run stopped at, read back from the notice its pruner
 * recorded (the reasons above are the one place that writes it; a test
 * round-trips every pruner's reason). Undefined when no notice names one.
 *
 * @example prunedRungOf(['pruned at rung 1 (epoch 3): ...']) // {rung: 1, epoch: 3}
 */
export function prunedRungOf(notices: readonly string[]): PrunedRung | undefined {
  for (const notice of notices) {
    const rung = RUNG_NOTICE.exec(notice);
    if (rung) return { rung: Number(rung[1]), epoch: Number(rung[2]) };
    const epoch = EPOCH_NOTICE.exec(notice);
    if (epoch) return { rung: null, epoch: Number(epoch[1]) };
  }
  return undefined;
}

/** A rung in a table cell: `1 (epoch 3)`, or `epoch 3` for median stopping. */
export function formatPrunedRung(rung: PrunedRung): string {
  return rung.rung === null ? `epoch ${rung.epoch}` : `${rung.rung} (epoch ${rung.epoch})`;
}
