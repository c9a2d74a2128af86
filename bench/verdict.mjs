/**
 * Two-sided verdicts for bench output: a difference is called only when it
 * is larger than the run-to-run spread the bench measured, in either
 * direction; inside it, "inconclusive". A bench that prints "met" for any
 * value below a target would call a control that ran 24% faster a success.
 */

/**
 * A against B from their per-round values (higher is better, e.g.
 * images/s): `faster` when every round of A beat every round of B, `slower`
 * when every round lost, else `inconclusive` (the ranges overlap). With one
 * round each there is no spread to judge by: inconclusive.
 */
export function compareRounds(a, b) {
  if (a.length < 2 || b.length < 2) return 'inconclusive (1 round)';
  if (Math.min(...a) > Math.max(...b)) return 'faster';
  if (Math.max(...a) < Math.min(...b)) return 'slower';
  return 'inconclusive';
}

/**
 * An overhead (percent) against its ceiling, with `spread` the run-to-run
 * spread of the measurement (percent): `met` when even value + spread stays
 * under the ceiling, `MISSED` when value - spread is above it, and
 * `inconclusive` otherwise, or when the overhead is negative beyond the
 * spread (the variant with more work ran faster: the control is not one).
 */
export function overheadVerdict(value, ceiling, spread) {
  if (value < -spread) {
    return `inconclusive (${value.toFixed(1)}%: faster than its control beyond the ${spread.toFixed(1)}% spread)`;
  }
  if (value + spread <= ceiling) return 'met';
  if (value - spread > ceiling) return 'MISSED';
  return `inconclusive (within the ${spread.toFixed(1)}% spread)`;
}

/**
 * A timed figure against a target it must stay under (ms, a share of a step), judged on the
 * range the bench measured, `low` to `high` (its quartiles, or the extremes of its rounds):
 * `met` when even `high` is under the target, `MISSED` when even `low` is at or over it, else
 * `inconclusive` (the run-to-run spread straddles the target).
 */
export function targetVerdict(low, high, target) {
  if (high < target) return 'met';
  if (low >= target) return 'MISSED';
  return 'inconclusive (the spread straddles the target)';
}

/** The lower and upper quartiles of samples (nearest rank): the spread `targetVerdict` reads. */
export function quartiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { low: at(0.25), high: at(0.75) };
}

/**
 * Paired two-sided sign test of A against B (one value each per seed, lower
 * is better or what the caller means by lower): the exact binomial p of the
 * split of the seeds where A and B differ (equal ones left out). `lower` is
 * 'a' or 'b' when p < 0.05, else null (inconclusive). With 10 seeds and no
 * ties, 9 of 10 one way is needed (p 0.021); 8 of 10 gives p 0.109.
 */
export function signTest(a, b, alpha = 0.05) {
  let aLower = 0;
  let bLower = 0;
  a.forEach((v, i) => {
    if (v < b[i]) aLower++;
    else if (v > b[i]) bLower++;
  });
  const n = aLower + bLower;
  const k = Math.min(aLower, bLower);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += choose(n, i) / 2 ** n;
  const p = n === 0 ? 1 : Math.min(1, 2 * tail);
  const lower = p < alpha ? (aLower > bLower ? 'a' : 'b') : null;
  return { lower, aLower, bLower, ties: a.length - n, p };
}

function choose(n, k) {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}
