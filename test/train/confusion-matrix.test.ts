import { describe, expect, it } from 'vitest';
import { addToCounts, emptyCounts, scoreConfusion } from '../../src/train/confusion-matrix.js';

describe('confusion matrix', () => {
  it('counts true against predicted classes and scores each class', () => {
    const counts = emptyCounts(3);
    addToCounts(counts, [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 1]);
    expect(counts).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    const scored = scoreConfusion(counts);
    expect(scored.perClass[0]).toEqual({ precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
    expect(scored.perClass[1]!.precision).toBe(0.5);
    expect(scored.perClass[1]!.recall).toBe(1);
    expect(scored.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(scored.macroF1).toBeCloseTo((0.8 + 2 / 3 + 0) / 3, 12);
  });
});
