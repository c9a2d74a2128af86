import { describe, expect, it } from 'vitest';
import { Lookahead } from '../../src/train/parallel/index.js';

function* counted(log: string[], count: number, failAt?: number): Generator<number> {
  try {
    for (let i = 0; i < count; i++) {
      log.push(`make ${i}`);
      if (i === failAt) throw new Error(`batch ${i} cannot be made`);
      yield i;
    }
  } finally {
    log.push('closed');
  }
}

describe('Lookahead', () => {
  it('gives the same items in the same order, whenever the next one is prepared', () => {
    const log: string[] = [];
    const items = new Lookahead(counted(log, 5));
    const seen: number[] = [];
    for (const item of items) {
      seen.push(item);
      // Prepare some steps ahead, twice on one (the second call takes nothing more).
      if (item % 2 === 0) items.prepare();
      if (item === 2) items.prepare();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(log.filter((l) => l.startsWith('make'))).toHaveLength(5);
  });

  it('takes the next item when prepared, not when asked for', () => {
    const log: string[] = [];
    const items = new Lookahead(counted(log, 3));
    expect(items.next().value).toBe(0);
    items.prepare();
    expect(log).toEqual(['make 0', 'make 1']);
    expect(items.next().value).toBe(1);
    expect(log).toEqual(['make 0', 'make 1']);
  });

  it('throws an error met while preparing when that item is taken', () => {
    const log: string[] = [];
    const items = new Lookahead(counted(log, 4, 2));
    expect(items.next().value).toBe(0);
    expect(items.next().value).toBe(1);
    expect(() => items.prepare()).not.toThrow();
    expect(() => items.next()).toThrow('batch 2 cannot be made');
  });

  it('closes its source when a loop leaves early, a prepared item dropped', () => {
    const log: string[] = [];
    const items = new Lookahead(counted(log, 10));
    for (const item of items) {
      items.prepare();
      if (item === 1) break;
    }
    expect(log).toEqual(['make 0', 'make 1', 'make 2', 'closed']);
  });
});
