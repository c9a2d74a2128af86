/** A point of a curve: anything with a step (its x order) and a value. */
export interface SeriesPoint {
  readonly step: number;
  /** `null` is how the store returns a NaN (SQLite has no NaN). */
  readonly value: number | null;
}

/**
 * Reduces a curve to at most `maxPoints` points while keeping its shape:
 * the first and last points, and in each of `(maxPoints - 2) / 2` equal-width
 * step buckets the lowest and the highest point, in step order (min/max
 * decimation). Unlike averaging or LTTB, a lone spike or the global minimum
 * can never vanish, and the envelope a chart draws at ~1-2k pixels wide is
 * the same as the full curve's.
 *
 * Points must be sorted by step (the store returns them so). Non-finite
 * values and nulls (a diverged loss) rank above every finite value, so they
 * are kept.
 * Returns the input's own point objects (a subset, never new values).
 *
 * @example
 * const curve = downsample(points, 1500); // 100,000 points → ≤ 1,500
 */
export function downsample<T extends SeriesPoint>(points: readonly T[], maxPoints: number): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer ≥ 2, found ${maxPoints}`);
  }
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  const first = points[0]!;
  const last = points[n - 1]!;
  const buckets = Math.floor((maxPoints - 2) / 2);
  if (buckets === 0) return [first, last];

  const x0 = first.step;
  const span = last.step - x0;
  const out: T[] = [first];
  let i = 1;
  for (let b = 0; b < buckets && i < n - 1; b++) {
    // Bucket b holds the inner points with step < x0 + span * (b + 1) / buckets;
    // the last bucket takes everything left, so no inner point is skipped.
    const end = b === buckets - 1 ? Infinity : x0 + (span * (b + 1)) / buckets;
    let minIndex = -1;
    let maxIndex = -1;
    for (; i < n - 1 && points[i]!.step < end; i++) {
      const v = rank(points[i]!.value);
      if (minIndex < 0 || v < rank(points[minIndex]!.value)) minIndex = i;
      if (maxIndex < 0 || v > rank(points[maxIndex]!.value)) maxIndex = i;
    }
    if (minIndex < 0) continue; // an empty bucket (a gap in the steps)
    if (minIndex === maxIndex) out.push(points[minIndex]!);
    else if (minIndex < maxIndex) out.push(points[minIndex]!, points[maxIndex]!);
    else out.push(points[maxIndex]!, points[minIndex]!);
  }
  out.push(last);
  return out;
}

/** Orders values for min/max: NaN, null and +Infinity above all finite values. */
function rank(value: number | null): number {
  return value === null || Number.isNaN(value) ? Infinity : value;
}
