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
