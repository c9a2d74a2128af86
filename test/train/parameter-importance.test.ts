import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/data/index.js';
import { parameterImportance } from '../../src/train/parameter-importance.js';

describe('parameterImportance (PED-ANOVA)', () => {
  const random = createRandom(11);
  // The metric depends on the learning rate only; the batch size and the optimizer are noise.
  const trials = Array.from({ length: 40 }, () => {
    const lr = 10 ** (-5 + 4 * random());
    return {
      params: {
        lr,
        bs: [16, 32, 64, 128][Math.floor(random() * 4)],
        opt: ['adam', 'sgd'][Math.floor(random() * 2)],
      },
      value: 1 - Math.abs(Math.log10(lr) + 2.5) / 3,
    };
  });

  it('ranks the parameter the metric depends on first, with most of the share', () => {
    const importance = parameterImportance(trials, ['bs', 'lr', 'opt'], 'maximize');
    expect(importance.map((i) => i.key)[0]).toBe('lr');
    expect(importance[0]!.importance).toBeGreaterThan(0.5);
    expect(importance.reduce((s, i) => s + i.importance, 0)).toBeCloseTo(1);
  });

  it('follows the goal, and needs 4 finished trials', () => {
    const flipped = trials.map((t) => ({ ...t, value: -t.value }));
    expect(parameterImportance(flipped, ['bs', 'lr', 'opt'], 'minimize')[0]!.key).toBe('lr');
    expect(parameterImportance(trials.slice(0, 3), ['lr'], 'maximize')).toEqual([]);
  });
});
