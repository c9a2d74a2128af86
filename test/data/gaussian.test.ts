import { describe, expect, it } from 'vitest';
import { NormalStream } from '../../src/data/gaussian.js';

const draws = (seed: number, count: number): Float32Array => {
  const values = new Float32Array(count);
  new NormalStream(seed).addTo(values, 0, count, 1);
  return values;
};

/** The standard normal CDF, by erf (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('NormalStream (ziggurat)', () => {
  const n = 1_000_000;
  const values = draws(7, n);

  it('follows the standard normal distribution (Kolmogorov-Smirnov, mean, variance, tails)', () => {
    const sorted = Float64Array.from(values).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = normalCdf(sorted[i]!);
      d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
    }
    // 1.63 / sqrt(n): the 1% critical value.
    expect(d).toBeLessThan(1.63 / Math.sqrt(n));
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1)).toBeLessThan(0.006);
    // Beyond the base layer (3.4426): the tail path, P = 5.76e-4 (576 expected, sd 24).
    const tail = values.filter((v) => Math.abs(v) > 3.442619855899).length;
    expect(tail).toBeGreaterThan(480);
    expect(tail).toBeLessThan(680);
    expect(values.some((v) => v > 4) && values.some((v) => v < -4)).toBe(true);
    // Chi-square over 80 bins of 0.1 in [-4, 4]: the wedges' shape (accepting every wedge
    // point, a broken ziggurat, gives 317 here; the 0.1% critical value of 79 degrees is 124).
    const bins = new Float64Array(80);
    for (const v of values) {
      const b = Math.floor((v + 4) / 0.1);
      if (b >= 0 && b < 80) bins[b] = bins[b]! + 1;
    }
    let chi = 0;
    for (let b = 0; b < 80; b++) {
      const expected = n * (normalCdf(-4 + (b + 1) * 0.1) - normalCdf(-4 + b * 0.1));
      chi += (bins[b]! - expected) ** 2 / expected;
    }
    expect(chi).toBeLessThan(124);
  });

  it('gives the same values for the same seed, others for another seed, and no repeats in a row', () => {
    expect(draws(7, 1000)).toEqual(values.subarray(0, 1000));
    expect(draws(8, 1000)).not.toEqual(values.subarray(0, 1000));
    // Neighbours are uncorrelated (lag-1 correlation of 1M values: sd 0.001).
    let lag = 0;
    for (let i = 1; i < n; i++) lag += values[i]! * values[i - 1]!;
    expect(Math.abs(lag / n)).toBeLessThan(0.005);
  });

  it('adds scale times the values, and continues the stream across calls', () => {
    const xs = new Float32Array(10).fill(0.25);
    const stream = new NormalStream(7);
    stream.addTo(xs, 0, 4, 0.5);
    stream.addTo(xs, 4, 10, 0.5);
    // values are float32s: equal to 6 places.
    for (let i = 0; i < 10; i++) expect(xs[i]).toBeCloseTo(0.25 + 0.5 * values[i]!, 6);
  });
});
