import type { CurvePoint } from '../store/index.js';

const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line chart of a curve: bucket means scaled between the curve's min and max. */
export function sparkline(points: readonly CurvePoint[], width = 48): string {
  const values = points
    .map((p) => p.value)
    .filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return '';
  const buckets = Math.min(width, values.length);
  const means: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * values.length) / buckets);
    const end = Math.max(start + 1, Math.floor(((b + 1) * values.length) / buckets));
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    means.push(sum / (end - start));
  }
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  return means
    .map((m) => SPARK[hi === lo ? 3 : Math.min(7, Math.floor(((m - lo) / (hi - lo)) * 8))])
    .join('');
}
