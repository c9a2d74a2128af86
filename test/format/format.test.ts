import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatClock,
  formatCount,
  formatDuration,
  formatMetric,
  formatParam,
  formatTick,
  formatTime,
} from '../../src/format/index.js';

describe('formatDuration', () => {
  it.each([
    [0, '0.0s'],
    [840, '0.8s'],
    [9_940, '9.9s'],
    [9_960, '10s'],
    [42_400, '42s'],
    [59_600, '1m 00s'],
    [95_000, '1m 35s'],
    [119_600, '2m 00s'],
    [187_000, '3m 07s'],
    [3_599_600, '1h 00m'],
    [7_500_000, '2h 05m'],
    [172_799_000, '2d 00h'],
    [273_600_000, '3d 04h'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('never shows 60 in a lower unit, however the value rounds', () => {
    for (let ms = 0; ms < 200_000_000; ms += 997) {
      const text = formatDuration(ms);
      expect(text, `${ms} ms`).not.toMatch(/\b60[sm]|d 24h/);
    }
  });

  it('reads unknown spans as a dash and negative ones as zero', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatDuration(-5)).toBe('0.0s');
  });
});

describe('formatTime', () => {
  const at = new Date(2026, 10, 28, 0, 41, 7).getTime();

  it('prints local time to the minute, or the second when asked', () => {
    expect(formatTime(at)).toBe('2026-11-28 00:41');
    expect(formatTime(at, true)).toBe('2026-11-28 00:41:07');
    expect(formatTime(null)).toBe('—');
  });

  it('prints wall-clock axis positions and coarse ages', () => {
    expect(formatClock(75)).toBe('1:15');
    expect(formatClock(3700)).toBe('1:01:40');
    expect(formatClock(2.5)).toBe('2.5s');
    expect(formatClock(-75)).toBe('−1:15');
    expect(formatAgo(at - 10_000, at)).toBe('just now');
    expect(formatAgo(at - 180_000, at)).toBe('3 min ago');
    expect(formatAgo(at - 5 * 3_600_000, at)).toBe('5 h ago');
    expect(formatAgo(at - 2 * 86_400_000, at)).toBe('2 d ago');
  });
});

describe('formatMetric', () => {
  it.each([
    [0, '0.0000'],
    [0.012345, '0.0123'],
    [0.98125, '0.9812'],
    [2.302585, '2.3026'],
    [1234.5, '1235'],
    [0.00012, '1.200e-4'],
    [2_500_000, '2.500e+6'],
    [-0.5, '-0.5000'],
  ])('%d reads %s', (value, text) => {
    expect(formatMetric(value)).toBe(text);
  });

  it('names what is not a number', () => {
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatMetric(Number.NEGATIVE_INFINITY)).toBe('-∞');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(undefined)).toBe('—');
  });

  it('counts with separators and labels ticks without trailing zeros', () => {
    expect(formatCount(61_706)).toBe('61,706');
    expect(formatCount(null)).toBe('—');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(0.0001)).toBe('1e-4');
    expect(formatTick(2000)).toBe('2000');
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
  });
});

describe('formatParam', () => {
  it.each([
    [0.001, '0.001'],
    [0.0010000001, '0.001'],
    [128, '128'],
    ['adam', 'adam'],
    [true, 'true'],
    [null, 'null'],
    [[28, 28, 1], '[28,28,1]'],
    [undefined, '—'],
  ])('%j reads %s', (value, text) => {
    expect(formatParam(value)).toBe(text);
  });
});
