import { describe, expect, it } from 'vitest';
import { downsample, type SeriesPoint } from '../../src/store/downsample.js';

interface Point extends SeriesPoint {
  readonly epoch: number;
  readonly value: number;
}

/** A noisy, decaying loss curve with a few spikes, like a real training run. */
function lossCurve(n: number): Point[] {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const points: Point[] = [];
  for (let step = 1; step <= n; step++) {
    const trend = 2.3 * Math.exp(-step / (n / 8)) + 0.1;
    const noise = (random() - 0.5) * 0.2 * trend;
    points.push({ step, epoch: Math.ceil(step / 469), value: trend + noise });
  }
  return points;
}

function extremes(points: readonly Point[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    min = Math.min(min, p.value);
    max = Math.max(max, p.value);
  }
  return { min, max };
}

describe('downsample', () => {
  const full = lossCurve(100_000);

  it('reduces 100,000 points to at most maxPoints', () => {
    for (const maxPoints of [2, 3, 10, 1000, 1500, 2000]) {
      const out = downsample(full, maxPoints);
      expect(out.length).toBeLessThanOrEqual(maxPoints);
      expect(out.length).toBeGreaterThan(Math.min(maxPoints, 4) - 2);
    }
    expect(downsample(full, 1500).length).toBeGreaterThan(1400);
  });

  it('keeps the first and last points and the global min and max', () => {
    const out = downsample(full, 1500);
    expect(out[0]).toBe(full[0]);
    expect(out.at(-1)).toBe(full.at(-1));
    expect(extremes(out)).toEqual(extremes(full));
  });

  it('returns a subset of the input in step order', () => {
    const out = downsample(full, 1000);
    const inputs = new Set(full);
    for (let i = 0; i < out.length; i++) {
      expect(inputs.has(out[i]!)).toBe(true);
      if (i > 0) expect(out[i]!.step).toBeGreaterThan(out[i - 1]!.step);
    }
  });

  it('keeps the envelope: every window of the output spans the same min and max as the input', () => {
    const maxPoints = 2002; // 1000 buckets of 100 steps (the inner points 2..99,999)
    const out = downsample(full, maxPoints);
    // Compare per window of 1,000 steps (10 buckets each), inner points only.
    for (let start = 1000; start < 99_000; start += 1000) {
      const inWindow = (p: Point): boolean => p.step > start && p.step <= start + 1000;
      const expected = extremes(full.filter(inWindow));
      const actual = extremes(out.filter(inWindow));
      expect(actual.min).toBeCloseTo(expected.min, 12);
      expect(actual.max).toBeCloseTo(expected.max, 12);
    }
  });

  it('follows the trend of the curve', () => {
    const out = downsample(full, 1500);
    // The midpoint of each min/max pair sits within the noise band of the trend.
    for (const p of out) {
      const trend = 2.3 * Math.exp(-p.step / (100_000 / 8)) + 0.1;
      expect(Math.abs(p.value - trend)).toBeLessThanOrEqual(0.1 * trend + 1e-12);
    }
  });

  it('never loses a single-step spike', () => {
    const spiky = full.map((p) => (p.step === 54_321 ? { ...p, value: 50 } : p));
    const out = downsample(spiky, 1000);
    expect(out.some((p) => p.step === 54_321 && p.value === 50)).toBe(true);
  });

  it('keeps a non-finite value (a diverged loss)', () => {
    const diverged = full
      .slice(0, 20_000)
      .map((p) => (p.step === 7_777 ? { ...p, value: NaN } : p));
    const out = downsample(diverged, 500);
    expect(out.some((p) => p.step === 7_777 && Number.isNaN(p.value))).toBe(true);
  });

  it('handles gaps in the steps (empty buckets) without exceeding maxPoints', () => {
    const gappy = [...full.slice(0, 10_000), ...full.slice(90_000)];
    const out = downsample(gappy, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(extremes(out)).toEqual(extremes(gappy));
  });

  it('returns a copy of short curves unchanged', () => {
    const short = full.slice(0, 50);
    const out = downsample(short, 100);
    expect(out).toEqual(short);
    expect(out).not.toBe(short);
    expect(downsample([], 10)).toEqual([]);
  });

  it('refuses a maxPoints below 2', () => {
    expect(() => downsample(full, 1)).toThrow(/maxPoints/);
    expect(() => downsample(full, 2.5)).toThrow(/maxPoints/);
  });
});
