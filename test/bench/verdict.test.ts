import { describe, expect, it } from 'vitest';
import { compareRounds, overheadVerdict } from '../../bench/verdict.mjs';

describe('two-sided bench verdicts', () => {
  it('calls faster or slower only when the rounds do not overlap', () => {
    expect(compareRounds([110, 120, 115], [90, 100, 95])).toBe('faster');
    expect(compareRounds([90, 100, 95], [110, 120, 115])).toBe('slower');
    expect(compareRounds([100, 120], [110, 115])).toBe('inconclusive');
    expect(compareRounds([120], [100])).toBe('inconclusive (1 round)');
  });

  it('judges an overhead against its ceiling on both sides of the spread', () => {
    expect(overheadVerdict(1, 3, 1.5)).toBe('met');
    expect(overheadVerdict(6, 3, 2)).toBe('MISSED');
    expect(overheadVerdict(2.5, 3, 2)).toMatch(/^inconclusive \(within/);
    // A control that ran 24% faster is no control: not "met".
    expect(overheadVerdict(-24, 3, 5)).toMatch(/^inconclusive \(-24\.0%: faster than its control/);
  });
});
