import { describe, expect, it } from 'vitest';
import type { SweepDistribution, SweepSpec, TpeSpec } from '../../src/config/index.js';
import { createRandom, mixSeed } from '../../src/data/index.js';
import {
  fitParzenEstimator,
  kernelSigmas,
  logGaussMass,
  mixtureWeights,
} from '../../src/train/parzen-estimator.js';
import { planTrials, proposeTpe, type FinishedConfiguration } from '../../src/train/index.js';
import { splitGoodAndBad, type SearchedConfiguration } from '../../src/train/tpe-sampler.js';

const SPACE: Record<string, SweepDistribution> = {
  'train.optimizer.learningRate': { logUniform: [1e-5, 1e-1] },
  'model.layers[0].dense.units': { intUniform: [8, 256] },
  'model.layers[0].dense.activation': { choice: ['relu', 'tanh', 'sigmoid'] },
};
const TPE = { startupTrials: 10, gamma: 0.1, candidates: 24 };

/** A cheap objective with a known optimum: lr 3e-3, 100 units, tanh (value 1). */
function objective(a: Readonly<Record<string, unknown>>): number {
  const lr = Math.log10(a['train.optimizer.learningRate'] as number) - Math.log10(3e-3);
  const units = ((a['model.layers[0].dense.units'] as number) - 100) / 248;
  const activation = a['model.layers[0].dense.activation'] === 'tanh' ? 0 : 0.15;
  return 1 - (lr / 4) ** 2 - units ** 2 - activation;
}

/** A sequential TPE sweep on the objective: each proposal sees every finished one. */
function tpeSweep(seed: number, trials: number, tpe: TpeSpec = TPE): FinishedConfiguration[] {
  const history: FinishedConfiguration[] = [];
  for (let i = 0; i < trials; i++) {
    const assignments = proposeTpe(
      SPACE,
      history,
      tpe,
      'maximize',
      createRandom(mixSeed(seed, i, 0x7e5)),
    );
    history.push({ assignments, status: 'completed', value: objective(assignments), epochs: 1 });
  }
  return history;
}

function randomSweep(seed: number, trials: number): number[] {
  const spec: SweepSpec = {
    sampler: 'random',
    grid: undefined,
    random: { trials, space: SPACE },
    tpe: TPE,
    metric: 'test/accuracy',
    goal: 'maximize',
    pruner: undefined,
    repeats: 1,
  };
  return planTrials(spec, [], seed).map((t) => objective(t.assignments));
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2
  );
};

describe('TPE sampler', () => {
  it.each([
    ['one parameter at a time', false],
    ['jointly (multivariate)', true],
  ])(
    'finds a better best than random search after 30 trials, over 10 seeds: %s',
    (_, multivariate) => {
      const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
      const tpeBest = seeds.map((seed) =>
        Math.max(...tpeSweep(seed, 30, { ...TPE, multivariate }).map((c) => c.value)),
      );
      const randomBest = seeds.map((seed) => Math.max(...randomSweep(seed, 30)));
      // The regret (1 - best) of TPE's median seed is well below random search's.
      expect(1 - median(tpeBest)).toBeLessThan((1 - median(randomBest)) * 0.7);
      expect(tpeBest.filter((v, i) => v > randomBest[i]!).length).toBeGreaterThanOrEqual(7);
    },
  );

  it('concentrates its proposals near the good values once the startup trials finished', () => {
    const distance = (c: FinishedConfiguration): number =>
      Math.abs(
        Math.log10(c.assignments['train.optimizer.learningRate'] as number) - Math.log10(3e-3),
      );
    const startup: number[] = [];
    const late: number[] = [];
    let tanh = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const history = tpeSweep(seed, 40);
      startup.push(median(history.slice(0, 10).map(distance)));
      late.push(median(history.slice(25).map(distance)));
      tanh += history
        .slice(25)
        .filter((c) => c.assignments['model.layers[0].dense.activation'] === 'tanh').length;
    }
    // Random draws sit about a decade from the best learning rate; TPE's later ones much closer.
    expect(median(late)).toBeLessThan(median(startup) * 0.6);
    // One activation in three at random; the best one in most of TPE's later proposals.
    expect(tanh / (6 * 15)).toBeGreaterThan(0.55);
  });

  it('is reproducible for a seed, and differs for another', () => {
    const a = tpeSweep(5, 15).map((c) => c.assignments);
    expect(tpeSweep(5, 15).map((c) => c.assignments)).toEqual(a);
    expect(tpeSweep(6, 15).map((c) => c.assignments)).not.toEqual(a);
  });

  it('keeps every proposal inside its distribution', () => {
    for (const c of tpeSweep(9, 30)) {
      const lr = c.assignments['train.optimizer.learningRate'] as number;
      const units = c.assignments['model.layers[0].dense.units'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(units) && units >= 8 && units <= 256).toBe(true);
      expect(['relu', 'tanh', 'sigmoid']).toContain(
        c.assignments['model.layers[0].dense.activation'],
      );
    }
  });

  it('ranks completed trials before pruned ones, and pruned ones by how far they got', () => {
    const at = (value: number, status: 'completed' | 'pruned', epochs: number) => ({
      assignments: { x: value },
      status,
      value,
      epochs,
    });
    const history = [
      at(0.9, 'pruned', 1),
      at(0.5, 'completed', 3),
      at(0.2, 'pruned', 2),
      ...Array.from({ length: 17 }, () => at(0.1, 'completed', 3)),
    ];
    // 20 trials, gamma 0.1: the best 2 are good.
    const { good, bad } = splitGoodAndBad(history, 0.1, 'maximize');
    expect(good.map((c) => c.value)).toEqual([0.5, 0.1]);
    expect(bad).toHaveLength(18);
    expect(splitGoodAndBad(history, 0.1, 'minimize').good.map((c) => c.value)).toEqual([0.1, 0.1]);
  });

  it('counts running configurations among the bad ones (constant liar), and not in gamma', () => {
    const space: Record<string, SweepDistribution> = { x: { uniform: [0, 1] } };
    // 10 finished: the closer to 0.5, the better.
    const finished: SearchedConfiguration[] = Array.from({ length: 10 }, (_, i) => {
      const x = (i + 0.5) / 10;
      return { assignments: { x }, status: 'completed', value: -Math.abs(x - 0.5), epochs: 1 };
    });
    const running: SearchedConfiguration[] = [0.47, 0.5, 0.53].map((x) => ({
      assignments: { x },
      status: 'running',
    }));
    const split = splitGoodAndBad([...finished, ...running], 0.1, 'maximize');
    // ceil(0.1 · 10) = 1 good: the running ones count in neither n nor the good.
    expect(split.good.map((c) => c.assignments['x'])).toEqual([0.45]);
    expect(split.bad.filter((c) => c.status === 'running')).toHaveLength(3);
    const near = (history: SearchedConfiguration[]): number =>
      Array.from({ length: 40 }, (_, seed) =>
        proposeTpe(space, history, TPE, 'maximize', createRandom(seed + 1)),
      ).filter((p) => Math.abs((p['x'] as number) - 0.5) < 0.04).length;
    // Without the liar most proposals land next to the running ones; with it, far fewer.
    expect(near([...finished, ...running])).toBeLessThan(near(finished) * 0.6);
  });

  it('proposes jointly what went together in the good trials (tpe.multivariate)', () => {
    const space: Record<string, SweepDistribution> = {
      x: { uniform: [0, 1] },
      y: { uniform: [0, 1] },
    };
    // Two good trials, (0.1, 0.9) and (0.9, 0.1), among 18 bad ones on the other diagonal.
    const at = (x: number, y: number, value: number): SearchedConfiguration => ({
      assignments: { x, y },
      status: 'completed',
      value,
      epochs: 1,
    });
    const history = [
      at(0.1, 0.9, 1),
      at(0.9, 0.1, 1),
      ...Array.from({ length: 18 }, (_, i) => at(i / 17, i / 17, 0)),
    ];
    const nearGood = (multivariate: boolean): number =>
      Array.from({ length: 60 }, (_, seed) =>
        proposeTpe(space, history, { ...TPE, multivariate }, 'maximize', createRandom(seed + 1)),
      ).filter((p) => {
        const x = p['x'] as number;
        const y = p['y'] as number;
        return Math.hypot(x - 0.1, y - 0.9) < 0.25 || Math.hypot(x - 0.9, y - 0.1) < 0.25;
      }).length / 60;
    expect(nearGood(true)).toBeGreaterThan(0.8);
    expect(nearGood(true)).toBeGreaterThan(nearGood(false) + 0.2);
  });

  it('samples integer ranges as integers, scored by the mass of each integer', () => {
    const space: Record<string, SweepDistribution> = { n: { intUniform: [1, 4] } };
    const history: SearchedConfiguration[] = [1, 3, 4, 1, 3, 4, 2, 1, 3, 4].map((n) => ({
      assignments: { n },
      status: 'completed',
      value: n === 2 ? 1 : 0,
      epochs: 1,
    }));
    const proposals = Array.from(
      { length: 30 },
      (_, seed) => proposeTpe(space, history, TPE, 'maximize', createRandom(seed + 1))['n'],
    );
    expect(
      proposals.every((n) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 4),
    ).toBe(true);
    expect(proposals.filter((n) => n === 2).length).toBeGreaterThan(20);
  });
});

describe('Parzen estimator', () => {
  it('weights older observations less once there are more than 25', () => {
    expect(mixtureWeights(2)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const w = mixtureWeights(30);
    expect(w).toHaveLength(31);
    expect(w[0]!).toBeLessThan(w[4]!);
    expect(w[5]).toBeCloseTo(w[29]!);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });

  it("sets sigmas by the neighbours among the observations and the ends, the prior apart (Optuna's v4 rule)", () => {
    // Ends 0 and 100: 10's gaps are 10 and 80, 90's are 80 and 10; the outer two take the
    // inner gap (80); the magic clip is 100 / min(100, 2 + 2) = 25; the prior's sigma is 100.
    expect(kernelSigmas([10, 90], 0, 100)).toEqual([80, 80, 100]);
    // One observation: the larger gap to an end (60), clip 100/3.
    expect(kernelSigmas([40], 0, 100)).toEqual([60, 100]);
    // Tight observations are clipped up: 100 / min(100, 5 + 2).
    const tight = kernelSigmas([50, 51, 52, 53, 54], 0, 100);
    expect(tight.slice(0, 5).every((sigma) => Math.abs(sigma - 100 / 7) < 1e-12)).toBe(true);
  });

  it('gives an integer range a probability mass function over its integers', () => {
    const estimator = fitParzenEstimator([2, 2, 3], { kind: 'numeric', low: 1, high: 6, step: 1 });
    const p = [1, 2, 3, 4, 5, 6].map((k) => Math.exp(estimator.logPdf(k)));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p[1]!).toBeGreaterThan(p[0]!);
    expect(p[1]!).toBeGreaterThan(p[5]!);
    const random = createRandom(3);
    for (let i = 0; i < 200; i++) {
      const k = estimator.sample(random);
      expect(Number.isInteger(k) && k >= 1 && k <= 6).toBe(true);
    }
  });

  it('keeps the digits of a normal mass far out in a tail', () => {
    expect(Math.exp(logGaussMass(-1, 1))).toBeCloseTo(0.682689492, 6);
    // Φ(-8) - Φ(-9) ≈ 6.219832e-16: a difference of two CDFs near 1 would give 0.
    expect(Math.exp(logGaussMass(8, 9)) / 6.219832e-16).toBeCloseTo(1, 4);
    expect(Math.exp(logGaussMass(-9, -8)) / 6.219832e-16).toBeCloseTo(1, 4);
  });

  it('is a density on its domain that peaks at the observations', () => {
    const estimator = fitParzenEstimator([0.2, 0.25], { kind: 'numeric', low: 0, high: 1 });
    let integral = 0;
    for (let x = 0.0005; x < 1; x += 0.001) integral += Math.exp(estimator.logPdf(x)) * 0.001;
    expect(integral).toBeCloseTo(1, 2);
    expect(estimator.logPdf(0.22)).toBeGreaterThan(estimator.logPdf(0.8));
    const categorical = fitParzenEstimator([1, 1, 0], { kind: 'categorical', choices: 3 });
    const p = [0, 1, 2].map((k) => Math.exp(categorical.logPdf(k)));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(p[1]!).toBeGreaterThan(p[0]!);
    expect(p[0]!).toBeGreaterThan(p[2]!);
  });
});
