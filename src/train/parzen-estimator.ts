/**
 * The one-dimensional Parzen estimators TPE fits to the good and the bad
 * trials (Bergstra et al. 2011; the univariate estimator of Optuna's
 * TPESampler, re-derived here, not ported):
 *
 * - numeric: a mixture of normals truncated to [low, high], one at each
 *   observation plus a prior at the centre with sigma = high - low; each
 *   observation's sigma is the larger gap to its neighbours (the end ones
 *   take their inner gap), clipped to [(high - low) / min(100, n + 2), high - low];
 * - categorical: one row of choice weights per observation (its own choice +1 over a
 *   prior spread of 1/(n + 1)), plus a uniform prior row;
 * - mixture weights: 1 for each observation when fewer than 25, else a ramp from 1/n
 *   up to 1 for all but the last 25 (older trials count less), and 1 for the prior.
 */

/** One numeric dimension, already in the space TPE models (log for logUniform). */
export interface NumericDomain {
  readonly kind: 'numeric';
  readonly low: number;
  readonly high: number;
}

export interface CategoricalDomain {
  readonly kind: 'categorical';
  readonly choices: number;
}

export type Domain = NumericDomain | CategoricalDomain;

/** A fitted estimator: draws points and gives their log density. */
export interface ParzenEstimator {
  sample(random: () => number): number;
  logPdf(x: number): number;
}

const PRIOR_WEIGHT = 1;
/** Observations that keep full weight; older ones ramp down (Optuna's default_weights). */
const FULL_WEIGHT_TRIALS = 25;

/** Mixture weights for `n` observations in trial order, then the prior's, normalised. */
export function mixtureWeights(n: number): number[] {
  const weights: number[] = [];
  if (n < FULL_WEIGHT_TRIALS) for (let i = 0; i < n; i++) weights.push(1);
  else {
    const ramp = n - FULL_WEIGHT_TRIALS;
    for (let i = 0; i < ramp; i++)
      weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
    for (let i = 0; i < FULL_WEIGHT_TRIALS; i++) weights.push(1);
  }
  weights.push(PRIOR_WEIGHT);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Fits an estimator to observations (in trial order) over `domain`. */
export function fitParzenEstimator(
  observations: readonly number[],
  domain: Domain,
): ParzenEstimator {
  const weights = mixtureWeights(observations.length);
  return domain.kind === 'numeric'
    ? numericEstimator(observations, domain, weights)
    : categoricalEstimator(observations, domain, weights);
}

function numericEstimator(
  observations: readonly number[],
  { low, high }: NumericDomain,
  weights: readonly number[],
): ParzenEstimator {
  const width = high - low;
  const mus = [...observations, (low + high) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const sorted = [low, ...order.map((i) => mus[i]!), high];
  const sortedSigmas = order.map((_, k) =>
    Math.max(sorted[k + 1]! - sorted[k]!, sorted[k + 2]! - sorted[k + 1]!),
  );
  if (sortedSigmas.length >= 2) {
    // The end points' sigma is their inner gap, not the gap to the domain's edge.
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  const sigmas = new Array<number>(mus.length);
  order.forEach((index, k) => (sigmas[index] = sortedSigmas[k]!));
  const minSigma = width / Math.min(100, observations.length + 2);
  for (let i = 0; i < observations.length; i++)
    sigmas[i] = Math.min(width, Math.max(minSigma, sigmas[i]!));
  sigmas[mus.length - 1] = width;
  const logMass = mus.map((mu, i) =>
    Math.log(
      Math.max(1e-300, normalCdf((high - mu) / sigmas[i]!) - normalCdf((low - mu) / sigmas[i]!)),
    ),
  );
  return {
    sample(random) {
      const i = pickIndex(weights, random());
      return truncatedNormal(mus[i]!, sigmas[i]!, low, high, random);
    },
    logPdf(x) {
      return logSumExp(
        mus.map((mu, i) => {
          const z = (x - mu) / sigmas[i]!;
          return (
            Math.log(weights[i]!) -
            0.5 * z * z -
            Math.log(sigmas[i]! * Math.sqrt(2 * Math.PI)) -
            logMass[i]!
          );
        }),
      );
    },
  };
}

function categoricalEstimator(
  observations: readonly number[],
  { choices }: CategoricalDomain,
  weights: readonly number[],
): ParzenEstimator {
  const n = observations.length;
  const rows = [...observations, -1].map((observed) => {
    const row = new Array<number>(choices).fill(PRIOR_WEIGHT / (n + 1));
    if (observed >= 0) row[observed] = row[observed]! + 1;
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((w) => w / total);
  });
  return {
    sample(random) {
      const row = rows[pickIndex(weights, random())]!;
      return pickIndex(row, random());
    },
    logPdf(x) {
      let p = 0;
      rows.forEach((row, i) => (p += weights[i]! * row[x]!));
      return Math.log(p);
    },
  };
}

function pickIndex(weights: readonly number[], u: number): number {
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i]!;
    if (u < cumulative) return i;
  }
  return weights.length - 1;
}

/**
 * A normal draw kept inside [low, high] by rejection: mu lies in the range and sigma is at
 * most its width, so at least a third of the draws land inside.
 */
function truncatedNormal(
  mu: number,
  sigma: number,
  low: number,
  high: number,
  random: () => number,
): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const x =
      mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, mu));
}

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (!Number.isFinite(max)) return max;
  return max + Math.log(values.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

/** Φ(z) through erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
