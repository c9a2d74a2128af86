import { describe, expect, it } from 'vitest';
import { compareRounds, overheadVerdict, quartiles, targetVerdict } from '../../bench/verdict.mjs';

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

  it('judges a timed figure against its target on both sides of its spread', () => {
    expect(targetVerdict(60, 90, 100)).toBe('met');
    expect(targetVerdict(100, 130, 100)).toBe('MISSED');
    expect(targetVerdict(80, 120, 100)).toMatch(/^inconclusive \(the spread straddles/);
    expect(quartiles([9, 1, 5, 3, 7, 2, 8, 4, 6, 10, 11, 12])).toEqual({ low: 4, high: 10 });
  });
});
