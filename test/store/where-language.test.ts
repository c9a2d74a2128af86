import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { openStore, parseWhere } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

let store: Store;
let cleanup: () => void;
const ids: Record<string, number> = {};

/** Four runs: lr and optimizer vary; final and best test accuracy differ. */
beforeAll(async () => {
  const temp = makeTempDir('store');
  cleanup = temp.remove;
  store = await openStore(join(temp.dir, 'runner.db'));
  const runs = [
    { label: 'a', lr: 0.1, optimizer: 'sgd', acc: [0.5, 0.6], status: 'completed' },
    { label: 'b', lr: 0.01, optimizer: 'adam', acc: [0.97, 0.985], status: 'completed' },
    { label: 'c', lr: 0.001, optimizer: 'adam', acc: [0.99, 0.975], status: 'completed' },
    { label: 'd', lr: 0.0001, optimizer: 'adam', acc: [], status: 'failed' },
  ] as const;
  for (const r of runs) {
    const id = await store.createRun(
      newRun({ name: `run-${r.label}`, learningRate: r.lr, optimizer: r.optimizer }),
    );
    const writer = await store.createMetricWriter(id);
    r.acc.forEach((acc, epoch) => writer.add('test/accuracy', (epoch + 1) * 100, epoch, acc));
    writer.add('train/loss', 1, 0, r.lr * 10);
    await writer.close();
    await store.finishRun(id, { status: r.status });
    ids[r.label] = id;
  }
});
afterAll(async () => {
  await store.close();
  cleanup();
});

const labels = async (where: string): Promise<string[]> =>
  (await store.listRuns({ where, sort: 'id:asc' })).map((r) => r.name.replace('run-', ''));

describe('the --where language', () => {
  it.each([
    ['train.optimizer.learningRate < 0.01 and test/accuracy > 0.98', []],
    ['train.optimizer.learningRate <= 0.01 and best:test/accuracy > 0.98', ['b', 'c']],
    ['test/accuracy > 0.98', ['b']],
    ['best:test/accuracy >= 0.985', ['b', 'c']],
    ['train.optimizer.type = "sgd" or status = \'failed\'', ['a', 'd']],
    ['not (train.optimizer.type = "adam")', ['a']],
    ['not test/accuracy > 0.9', ['a', 'd']],
    ['(learn_rate_is_not_used = 1 or true = true)', 'error'],
    ['test/accuracy = null', ['d']],
    ['test/accuracy != null and min:train/loss < 0.5', ['b', 'c']],
    ['name ~ "run-[ab]"', ['a', 'b']],
    ['data.shuffle = true and train.epochs = 2 AND seed = 1', ['a', 'b', 'c', 'd']],
    ['train.optimizer.learningRate > 1e-3 and train.optimizer.learningRate < 5E-2', ['b']],
    ['`train.optimizer.learningRate` = 0.1', ['a']],
  ] as const)('%s', async (where, expected) => {
    if (expected === 'error') await expect(labels(where)).rejects.toThrow(UsageError);
    else expect(await labels(where)).toEqual(expected);
  });

  it('names an unknown field, its column, and the likely field', async () => {
    await expect(labels('test/accuracy > 0.5 and test/acuracy > 0.9')).rejects.toThrow(
      '--where, column 25: unknown field "test/acuracy" (did you mean "test/accuracy"?)',
    );
    await expect(labels('learningRate < 0.01')).rejects.toThrow(
      'unknown field "learningRate" (did you mean "train.optimizer.learningRate"?)',
    );
    await expect(labels('status = "complete"')).rejects.toThrow(
      'unknown status "complete" (did you mean "completed"?)',
    );
  });

  it.each([
    ['test/accuracy >', 16, 'expected a field or a value, found the end of the expression'],
    [
      'test/accuracy 0.9',
      15,
      'expected a comparison (< <= > >= = != ~) after "test/accuracy", found "0.9"',
    ],
    ['(a = 1', 7, 'expected ")" to close the "(" at column 1'],
    ['a = 1 b = 2', 7, 'expected "and", "or" or the end of the expression, found "b"'],
    ['a = "open', 5, 'unterminated string'],
    ['a > null', 3, 'null can only be compared with = or !='],
    ['a = 1 and or b = 2', 11, 'expected a field or a value, found the keyword "or"'],
    ['a = $', 5, 'unexpected character "$"'],
  ])('points at the column of a syntax error: %s', (source, column, message) => {
    expect(() => parseWhere(source)).toThrow(`--where, column ${column}: ${message}`);
  });

  it('binds values as parameters, so quotes in strings are data', async () => {
    expect(await labels(`name = "x' OR 1=1 --"`)).toEqual([]);
  });
});

describe('listing and sorting runs', () => {
  it('sorts metrics best first by default and honours :asc/:desc', async () => {
    expect((await store.listRuns({ sort: 'best:test/accuracy' })).map((r) => r.name)).toEqual([
      'run-c',
      'run-b',
      'run-a',
      'run-d', // no value: last
    ]);
    expect(
      (await store.listRuns({ sort: 'train.optimizer.learningRate:desc', limit: 2 })).map(
        (r) => r.name,
      ),
    ).toEqual(['run-a', 'run-b']);
    await expect(store.listRuns({ sort: 'tset/accuracy' })).rejects.toThrow(
      '--sort: unknown field "tset/accuracy"',
    );
  });

  it('filters by status, ids and counts without limit', async () => {
    expect(await store.countRuns({ status: 'completed' })).toBe(3);
    expect((await store.listRuns({ status: ['failed'] })).map((r) => r.name)).toEqual(['run-d']);
    expect(
      (await store.listRuns({ ids: [ids['a']!, ids['c']!], sort: 'id' })).map((r) => r.name),
    ).toEqual(['run-c', 'run-a']);
    expect(await store.listRuns({ limit: 1, offset: 1 })).toHaveLength(1);
  });

  it('compares runs: only differing config values, winners by goal', async () => {
    const cmp = await store.compareRuns([ids['a']!, ids['b']!, ids['c']!]);
    expect(cmp.params.map((p) => p.key)).toEqual([
      'name',
      'train.optimizer.learningRate',
      'train.optimizer.type',
    ]);
    expect(cmp.params[1]!.values).toEqual([0.1, 0.01, 0.001]);
    const acc = cmp.metrics.find((m) => m.key === 'test/accuracy')!;
    expect(acc).toMatchObject({
      final: [0.6, 0.985, 0.975],
      finalWinner: 1,
      best: [0.6, 0.985, 0.99],
      bestWinner: 2,
    });
    const loss = cmp.metrics.find((m) => m.key === 'train/loss')!;
    expect(loss.finalWinner).toBe(2); // lowest loss wins
    await expect(store.compareRuns([ids['a']!, 999])).rejects.toThrow(/no run with id 999/);
  });
});
