import type { SweepDistribution, TpeSpec } from '../config/experiment.js';
import { fitJointParzenEstimator, fitParzenEstimator, type Domain } from './parzen-estimator.js';
import { sampleDistribution } from './sweep-plan.js';

/** A configuration that finished (all its repeats), as the search sees it. */
export interface FinishedConfiguration {
  readonly assignments: Readonly<Record<string, unknown>>;
  readonly status: 'completed' | 'pruned';
  /** The sweep metric: its last value (the mean over repeats). */
  readonly value: number;
  /** Epochs it trained (a pruned one stopped early). */
  readonly epochs: number;
}

/**
 * A configuration handed out that has not finished (all its repeats): with constant liar TPE
 * counts it among the bad ones, so that parallel slots do not propose next to each other.
 */
export interface RunningConfiguration {
  readonly assignments: Readonly<Record<string, unknown>>;
  readonly status: 'running';
}

/** What TPE learns from: the finished configurations and (constant liar) the running ones. */
export type SearchedConfiguration = FinishedConfiguration | RunningConfiguration;

/** Good configurations are at most this many (Optuna's default gamma caps there too). */
const MAX_GOOD = 25;

/**
 * Proposes one configuration with the Tree-structured Parzen Estimator
 * (Bergstra et al. 2011, as Optuna's TPESampler: one parameter at a time, or
 * jointly over the parameters with `tpe.multivariate`): until `startupTrials` configurations have
 * finished it draws at random; then it splits the finished ones into the good
 * (the best ceil(gamma·n), at most 25: completed before pruned, pruned ones
 * ranked by how far they got) and the rest, running ones among the rest
 * (Optuna's constant liar, its default since v4; `history` holds none when
 * the sweep turned it off), fits a Parzen estimator l(x) to the good and g(x)
 * to the rest per parameter, draws `candidates` points from l and keeps the
 * one with the largest l(x)/g(x).
 *
 * Pure and seeded: the same space, history and `random` give the same proposal.
 *
 * @example proposeTpe(space, history, { startupTrials: 10, gamma: 0.1, candidates: 24, constantLiar: true }, 'maximize', createRandom(7))
 */
export function proposeTpe(
  space: Readonly<Record<string, SweepDistribution>>,
  history: readonly SearchedConfiguration[],
  tpe: TpeSpec,
  goal: 'minimize' | 'maximize',
  random: () => number,
): Record<string, unknown> {
  if (history.filter(isFinished).length < tpe.startupTrials) {
    return Object.fromEntries(
      Object.entries(space).map(([path, dist]) => [path, sampleDistribution(dist, random)]),
    );
  }
  const { good, bad } = splitGoodAndBad(history, tpe.gamma, goal);
  if (tpe.multivariate === true) return proposeJointly(space, good, bad, tpe.candidates, random);
  const proposal: Record<string, unknown> = {};
  for (const [path, dist] of Object.entries(space)) {
    const domain = domainOf(dist);
    const coordinates = (set: readonly SearchedConfiguration[]): number[] =>
      set.map((c) => toCoordinate(dist, c.assignments[path])).filter((x) => x !== undefined);
    const l = fitParzenEstimator(coordinates(good), domain);
    const g = fitParzenEstimator(coordinates(bad), domain);
    let best = Number.NaN;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < tpe.candidates; i++) {
      const x = l.sample(random);
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        best = x;
        bestScore = score;
      }
    }
    proposal[path] = fromCoordinate(dist, best);
  }
  return proposal;
}

/**
 * Multivariate TPE: l and g are mixtures of product kernels over every parameter, the
 * candidates are drawn jointly from l and scored by l(x)/g(x) as a whole. Configurations
 * missing a parameter (a space changed between resumes) are left out of the fit.
 */
function proposeJointly(
  space: Readonly<Record<string, SweepDistribution>>,
  good: readonly SearchedConfiguration[],
  bad: readonly SearchedConfiguration[],
  candidates: number,
  random: () => number,
): Record<string, unknown> {
  const entries = Object.entries(space);
  const domains = entries.map(([, dist]) => domainOf(dist));
  const rows = (set: readonly SearchedConfiguration[]): number[][] =>
    set
      .map((c) => entries.map(([path, dist]) => toCoordinate(dist, c.assignments[path])))
      .filter((row): row is number[] => row.every((x) => x !== undefined));
  const l = fitJointParzenEstimator(rows(good), domains);
  const g = fitJointParzenEstimator(rows(bad), domains);
  let best: number[] = [];
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < candidates; i++) {
    const x = l.sample(random);
    const score = l.logPdf(x) - g.logPdf(x);
    if (score > bestScore) {
      best = x;
      bestScore = score;
    }
  }
  return Object.fromEntries(
    entries.map(([path, dist], d) => [path, fromCoordinate(dist, best[d]!)]),
  );
}

function isFinished(c: SearchedConfiguration): c is FinishedConfiguration {
  return c.status !== 'running';
}

/**
 * The good ceil(gamma·n) of the n finished (at most 25) and the rest with the running ones,
 * each kept in trial order.
 */
export function splitGoodAndBad(
  history: readonly SearchedConfiguration[],
  gamma: number,
  goal: 'minimize' | 'maximize',
): { good: FinishedConfiguration[]; bad: SearchedConfiguration[] } {
  const sign = goal === 'maximize' ? -1 : 1;
  const ranked = history
    .map((c, order) => ({ c, order }))
    .filter((r): r is { c: FinishedConfiguration; order: number } => isFinished(r.c))
    .sort(
      (a, b) =>
        rankOfStatus(a.c) - rankOfStatus(b.c) ||
        (a.c.status === 'pruned' ? b.c.epochs - a.c.epochs : 0) ||
        sign * (a.c.value - b.c.value) ||
        a.order - b.order,
    );
  const goodCount = Math.min(Math.ceil(gamma * ranked.length), MAX_GOOD);
  const goodOrders = new Set(ranked.slice(0, goodCount).map((r) => r.order));
  return {
    good: history.filter((c, i): c is FinishedConfiguration => goodOrders.has(i) && isFinished(c)),
    bad: history.filter((_, i) => !goodOrders.has(i)),
  };
}

function rankOfStatus(c: FinishedConfiguration): number {
  return c.status === 'completed' ? 0 : 1;
}

function domainOf(dist: SweepDistribution): Domain {
  if ('uniform' in dist) return { kind: 'numeric', low: dist.uniform[0], high: dist.uniform[1] };
  if ('logUniform' in dist)
    return {
      kind: 'numeric',
      low: Math.log(dist.logUniform[0]),
      high: Math.log(dist.logUniform[1]),
    };
  if ('intUniform' in dist)
    // Optuna's IntDistribution with step 1: a discrete truncated normal over the integers.
    return { kind: 'numeric', low: dist.intUniform[0], high: dist.intUniform[1], step: 1 };
  return { kind: 'categorical', choices: dist.choice.length };
}

function toCoordinate(dist: SweepDistribution, value: unknown): number | undefined {
  if ('choice' in dist) {
    const key = JSON.stringify(value);
    const index = dist.choice.findIndex((choice) => JSON.stringify(choice) === key);
    return index >= 0 ? index : undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if ('logUniform' in dist) return value > 0 ? Math.log(value) : undefined;
  return value;
}

function fromCoordinate(dist: SweepDistribution, x: number): unknown {
  if ('choice' in dist) return dist.choice[x];
  // Rounded to 4 significant digits, as random search does: values people can read and re-type.
  if ('logUniform' in dist) return Number(Math.exp(x).toPrecision(4));
  return x;
}
