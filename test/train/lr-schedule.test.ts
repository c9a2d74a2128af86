import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../../src/config/experiment.js';
import { createSchedule } from '../../src/train/lr-schedule.js';

const context = { baseLearningRate: 0.01, totalSteps: 24, stepsPerEpoch: 8 };
const rates = (spec: ScheduleSpec, steps: readonly number[]): number[] => {
  const schedule = createSchedule(spec, context);
  return steps.map((step) => schedule.rateAt({ step, epoch: Math.floor(step / 8) }));
};

describe('learning-rate schedules (PyTorch formulas, values worked out by hand)', () => {
  it('step: x gamma every stepEpochs epochs', () => {
    const spec: ScheduleSpec = { type: 'step', stepEpochs: 1, gamma: 0.5, loc: undefined };
    expect(rates(spec, [0, 7, 8, 16, 23])).toEqual([0.01, 0.01, 0.005, 0.0025, 0.0025]);
  });

  it('exponential: x gamma every epoch', () => {
    const spec: ScheduleSpec = { type: 'exponential', gamma: 0.9, loc: undefined };
    const [a, b, c] = rates(spec, [0, 8, 16]);
    expect([a, b, c].map((x) => Number(x!.toPrecision(12)))).toEqual([0.01, 0.009, 0.0081]);
  });

  it('cosine: linear warmup from a third, then half a cosine to the minimum', () => {
    const spec: ScheduleSpec = {
      type: 'cosine',
      minLearningRate: 0.001,
      warmupSteps: 4,
      warmupEpochs: undefined,
      warmupStartFactor: 1 / 3,
      loc: undefined,
    };
    const [first, third, peak, middle] = rates(spec, [0, 2, 4, 14]);
    expect(first).toBeCloseTo(0.01 / 3, 12);
    expect(third).toBeCloseTo(0.02 / 3, 12);
    expect(peak).toBeCloseTo(0.01, 12); // t = 0 of the cosine
    expect(middle).toBeCloseTo(0.0055, 12); // t = 10 of 20: (0.01 + 0.001) / 2
  });

  it('oneCycle: max/25 up to max by step pct*total - 1, down to max/25/1e4 at the last step', () => {
    const spec: ScheduleSpec = {
      type: 'oneCycle',
      maxLearningRate: 0.1,
      pctStart: 0.25,
      divFactor: 25,
      finalDivFactor: 1e4,
      cycleMomentum: true,
      baseMomentum: 0.85,
      maxMomentum: 0.95,
      loc: undefined,
    };
    const [start, peak, middle, end] = rates(spec, [0, 5, 14, 23]);
    expect(start).toBeCloseTo(0.004, 12);
    expect(peak).toBeCloseTo(0.1, 12);
    expect(middle).toBeCloseTo(0.05 + 4e-7 / 2, 12);
    expect(end).toBeCloseTo(4e-7, 15);
    // Momentum the other way: 0.95 down to 0.85 at the peak, half way back at step 14, 0.95 at the end.
    const schedule = createSchedule(spec, context);
    const momenta = [0, 5, 14, 23].map((step) => schedule.momentumAt({ step, epoch: 0 })!);
    expect(momenta[0]).toBeCloseTo(0.95, 12);
    expect(momenta[1]).toBeCloseTo(0.85, 12);
    expect(momenta[2]).toBeCloseTo(0.9, 12);
    expect(momenta[3]).toBeCloseTo(0.95, 12);
    const still = createSchedule({ ...spec, cycleMomentum: false }, context);
    expect(still.momentumAt({ step: 5, epoch: 0 })).toBeUndefined();
  });

  it('reduceOnPlateau: x factor after more than `patience` bad epochs, then cooldown', () => {
    const schedule = createSchedule(
      {
        type: 'reduceOnPlateau',
        metric: 'test/loss',
        mode: 'min',
        factor: 0.5,
        patience: 1,
        threshold: 1e-4,
        cooldown: 1,
        minLearningRate: 0.002,
        loc: undefined,
      },
      context,
    );
    const seen: number[] = [];
    // best 1.0 at epoch 1; bad 2 and 3 -> reduce to 0.005; cooldown 4; bad 5, 6 -> 0.0025; then min 0.002.
    for (const loss of [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) {
      schedule.observe({ 'test/loss': loss });
      seen.push(schedule.rateAt({ step: 0, epoch: 0 }));
    }
    expect(seen).toEqual([0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025, 0.002]);
  });
});
