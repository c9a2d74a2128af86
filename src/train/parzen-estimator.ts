/**
 * The one-dimensional Parzen estimators TPE fits to the good and the bad
 * trials (Bergstra et al. 2011; the univariate estimator of Optuna's
 * TPESampler, optuna/samplers/_tpe/parzen_estimator.py as of v4, re-derived
 * here, not ported):
 *
 * - numeric: a mixture of normals truncated to [low, high], one at each
 *   observation plus a prior at the centre with sigma = high - low; each
 *   observation's sigma is the larger gap to its neighbours among the
 *   observations and the two ends (the prior takes no part), the outermost two
 *   take their inner gap (Optuna's consider_endpoints false), all clipped to
 *   [(high - low) / min(100, n + 2), high - low] (the magic clip);
 * - integers (Optuna's IntDistribution, step 1): the same over
 *   [low - step/2, high + step/2]; a draw is rounded to the grid, and the
 *   density of an integer is each kernel's mass over its step, not a point
 *   density (Optuna's discrete truncated normal);
 * - categorical: one row of choice weights per observation (its own choice +1 over a
 *   prior spread of priorWeight/(n + 1)), plus a uniform prior row;
 * - mixture weights: 1 for each observation when fewer than 25, else a ramp from 1/n
 *   up to 1 for all but the last 25 (older trials count less), and the prior weight (1).
 */

/** One numeric dimension, already in the space TPE models (log for logUniform). */
export interface NumericDomain {
  readonly kind: 'numeric';
  readonly low: number;
  readonly high: number;
  /** Grid step of an integer range (1); undefined for a continuous one. */
  readonly step?: number;
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

/** Optuna's prior_weight default. */
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

/**
 * One dimension's kernels: one per observation, then the prior's. The mixture weights are
 * apart, so several dimensions can share them (multivariate TPE).
 */
export interface Kernels {
  /** A draw from kernel `i`. */
  sample(i: number, random: () => number): number;
  /** log of kernel `i`'s density (integers, choices: its probability) at x. */
  logPdf(i: number, x: number): number;
}

/** Fits the kernels of one dimension to observations (in trial order) over `domain`. */
export function fitKernels(observations: readonly number[], domain: Domain): Kernels {
  return domain.kind === 'numeric'
    ? numericKernels(observations, domain)
    : categoricalKernels(observations, domain);
}

/** Fits a one-dimensional estimator to observations (in trial order) over `domain`. */
export function fitParzenEstimator(
  observations: readonly number[],
  domain: Domain,
): ParzenEstimator {
  const weights = mixtureWeights(observations.length);
  const kernels = fitKernels(observations, domain);
  return {
    sample: (random) => kernels.sample(pickIndex(weights, random()), random),
    logPdf: (x) => logSumExp(weights.map((w, i) => Math.log(w) + kernels.logPdf(i, x))),
  };
}

/** A joint estimator over several dimensions: a mixture of product kernels (Optuna's multivariate TPE). */
export interface JointParzenEstimator {
  sample(random: () => number): number[];
  logPdf(x: readonly number[]): number;
}

/**
 * Fits a mixture whose kernel i is the product over dimensions of each dimension's kernel
 * at observation i (one row of `observations` per trial, one column per dimension): a
 * draw takes one kernel for all dimensions, so what went together in a good trial is
 * proposed together (Optuna's TPESampler with multivariate=True).
 */
export function fitJointParzenEstimator(
  observations: readonly (readonly number[])[],
  domains: readonly Domain[],
): JointParzenEstimator {
  const weights = mixtureWeights(observations.length);
  const kernels = domains.map((domain, d) =>
    fitKernels(
      observations.map((row) => row[d]!),
      domain,
    ),
  );
  return {
    sample(random) {
      const i = pickIndex(weights, random());
      return kernels.map((k) => k.sample(i, random));
    },
    logPdf(x) {
      return logSumExp(
        weights.map(
          (w, i) => Math.log(w) + kernels.reduce((sum, k, d) => sum + k.logPdf(i, x[d]!), 0),
        ),
      );
    },
  };
}

/** Each observation's sigma, then the prior's (see the file comment). */
export function kernelSigmas(observations: readonly number[], low: number, high: number): number[] {
  const width = high - low;
  const n = observations.length;
  const order = observations.map((_, i) => i).sort((a, b) => observations[a]! - observations[b]!);
  const sorted = [low, ...order.map((i) => observations[i]!), high];
  const sortedSigmas = order.map((_, k) =>
    Math.max(sorted[k + 1]! - sorted[k]!, sorted[k + 2]! - sorted[k + 1]!),
  );
  if (n >= 2) {
    // The end points' sigma is their inner gap, not the gap to the domain's edge.
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[n - 1] = sorted[n]! - sorted[n - 1]!;
  }
  const sigmas = new Array<number>(n + 1);
  const minSigma = width / Math.min(100, n + 2);
  order.forEach(
    (index, k) => (sigmas[index] = Math.min(width, Math.max(minSigma, sortedSigmas[k]!))),
  );
  sigmas[n] = width;
  return sigmas;
}

function numericKernels(observations: readonly number[], domain: NumericDomain): Kernels {
  const step = domain.step;
  const low = step === undefined ? domain.low : domain.low - step / 2;
  const high = step === undefined ? domain.high : domain.high + step / 2;
  const mus = [...observations, (low + high) / 2];
  const sigmas = kernelSigmas(observations, low, high);
  const logAccepted = mus.map((mu, i) =>
    logGaussMass((low - mu) / sigmas[i]!, (high - mu) / sigmas[i]!),
  );
  const kernelLogPdf =
    step === undefined
      ? (x: number, i: number) => {
          const z = (x - mus[i]!) / sigmas[i]!;
          return -0.5 * z * z - Math.log(sigmas[i]! * Math.sqrt(2 * Math.PI)) - logAccepted[i]!;
        }
      : (x: number, i: number) =>
          logGaussMass(
            (x - step / 2 - mus[i]!) / sigmas[i]!,
            (x + step / 2 - mus[i]!) / sigmas[i]!,
          ) - logAccepted[i]!;
  return {
    sample(i, random) {
      const x = truncatedNormal(mus[i]!, sigmas[i]!, low, high, random);
      if (step === undefined) return x;
      const snapped = domain.low + Math.round((x - domain.low) / step) * step;
      return Math.min(domain.high, Math.max(domain.low, snapped));
    },
    logPdf: (i, x) => kernelLogPdf(x, i),
  };
}

function categoricalKernels(
  observations: readonly number[],
  { choices }: CategoricalDomain,
): Kernels {
  const n = observations.length;
  const rows = [...observations, -1].map((observed) => {
    const row = new Array<number>(choices).fill(PRIOR_WEIGHT / (n + 1));
    if (observed >= 0) row[observed] = row[observed]! + 1;
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((w) => w / total);
  });
  return {
    sample: (i, random) => pickIndex(rows[i]!, random()),
    logPdf: (i, x) => Math.log(rows[i]![x]!),
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

/**
 * erfc(x) with a relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc,
 * a Chebyshev fit), so that far tails keep their digits.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Φ(z), the standard normal's cumulative distribution. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * log(Φ(b) - Φ(a)) for a <= b, taken on the side of zero where both tails are small (as
 * Optuna's _log_gauss_mass), so a kernel's mass far out is not lost to rounding.
 */
export function logGaussMass(a: number, b: number): number {
  const mass =
    b <= 0
      ? 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2))
      : a >= 0
        ? 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2))
        : 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
  return Math.log(Math.max(mass, 1e-300));
}
