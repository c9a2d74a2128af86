import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

let dir: string;
let cleanup: () => void;
let path: string;
let clock: { t: number };
let store: Store;
beforeEach(async () => {
  ({ dir, remove: cleanup } = makeTempDir('store'));
  path = join(dir, 'runner.db');
  clock = { t: Date.UTC(2026, 10, 28) };
  store = await openStore(path, { now: () => clock.t, busyTimeoutMs: 50 });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

const countValues = async (runId: number): Promise<number> =>
  (await store.query('SELECT count(*) FROM metrics WHERE run_id = ?', [runId]))
    .rows[0]![0] as number;

describe('the metric writer', () => {
  it('writes in batches when the flush interval has passed, not one transaction per value', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 1000 });
    for (let step = 1; step <= 50; step++) {
      clock.t += 100; // 10 steps per second
      writer.add('train/loss', step, 0, 1 / step);
      writer.add('train/accuracy', step, 0, step / 50);
    }
    // One flush per simulated second, each holding ~20 values.
    expect(writer.stats.flushes).toBe(5);
    expect(writer.stats.written + writer.stats.pending).toBe(100);
    expect(await countValues(runId)).toBe(writer.stats.written);
    await writer.flush();
    expect(writer.stats).toMatchObject({ flushes: 6, pending: 0, written: 100 });
    expect(await countValues(runId)).toBe(100);
  });

  it("writes a step's values in one transaction: never the loss without the accuracy", async () => {
    const runId = await store.createRun(newRun());
    // Every add is past the flush interval: only step boundaries may cut the queue.
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 0 });
    const reader = new Database(path, { readonly: true });
    const rowsOfStep = (step: number): number =>
      reader
        .prepare('SELECT count(*) FROM metrics WHERE run_id = ? AND step = ?')
        .pluck()
        .get(runId, step) as number;
    try {
      for (let step = 1; step <= 3; step++) {
        writer.add('train/loss', step, 0, 1 / step);
        // What a kill -9 right here would leave: earlier steps whole, this one absent.
        expect(rowsOfStep(step)).toBe(0);
        writer.add('train/accuracy', step, 0, step / 3);
        expect(rowsOfStep(step)).toBe(0);
        if (step > 1) expect(rowsOfStep(step - 1)).toBe(2);
      }
      await writer.close();
      expect([rowsOfStep(1), rowsOfStep(2), rowsOfStep(3)]).toEqual([2, 2, 2]);
    } finally {
      reader.close();
    }
  });

  it('queues values until the interval passes, then flush() and close() write the rest', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 1000 });
    writer.add('train/loss', 1, 0, 2.3);
    writer.add('train/loss', 2, 0, 2.2);
    expect(await countValues(runId)).toBe(0);
    await writer.flush();
    expect(await countValues(runId)).toBe(2);
    writer.add('train/loss', 3, 0, 2.1);
    await writer.close();
    expect(await countValues(runId)).toBe(3);
    expect(() => writer.add('train/loss', 4, 0, 2.0)).toThrow(/closed/);
  });

  it("touches the run's heartbeat at each flush", async () => {
    const runId = await store.createRun(newRun());
    const startedAt = clock.t;
    const writer = await store.createMetricWriter(runId);
    clock.t += 5000;
    writer.add('train/loss', 1, 0, 2.3);
    // Step 1 may have more values to come: it is written (with the heartbeat) as step 2 begins.
    expect((await store.getRun(runId))!.updatedAt).toBe(startedAt);
    writer.add('train/loss', 2, 0, 2.2);
    expect((await store.getRun(runId))!.updatedAt).toBe(startedAt + 5000);
    clock.t += 250;
    await writer.flush();
    expect((await store.getRun(runId))!.updatedAt).toBe(startedAt + 5250);
    expect((await store.getRun(runId))!.durationMs).toBe(5250);
  });

  it('keeps final, best, min and max up to date across flushes, ignoring NaN for best', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId);
    const losses = [2.0, 1.0, 1.5, 0.5, 0.5, 0.8, NaN];
    for (const [i, loss] of losses.entries()) {
      writer.add('train/loss', i + 1, 0, loss);
      writer.add('test/accuracy', i + 1, 0, [0.1, 0.9, 0.9, 0.4, 0.95, 0.2, 0.3][i]!);
      await writer.flush(); // one flush per value: the upsert must merge, not overwrite
    }
    await writer.close();
    const { metrics } = (await store.getRun(runId))!;
    expect(metrics['train/loss']).toMatchObject({
      goal: 'minimize',
      count: 7,
      last: { step: 7, value: null },
      best: { step: 4, value: 0.5 }, // first time the minimum was reached
      max: { step: 1, value: 2.0 },
    });
    expect(metrics['test/accuracy']).toMatchObject({
      goal: 'maximize',
      last: { step: 7, value: 0.3 },
      best: { step: 5, value: 0.95 },
      min: { step: 1, value: 0.1 },
    });
    // The summaries agree with the values themselves.
    const [[min, max]] = (
      await store.query(
        `SELECT min(value), max(value) FROM metrics WHERE run_id = ? AND key = 'train/loss'`,
        [runId],
      )
    ).rows as [[number, number]];
    expect([min, max]).toEqual([0.5, 2.0]);
  });

  it('records time as epoch ms and the metric keys as given', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId);
    writer.add('perf/images_per_sec', 10, 0, 1234.5, clock.t + 42_000);
    await writer.close();
    expect(await store.getCurve(runId, 'perf/images_per_sec')).toEqual([
      { step: 10, epoch: 0, value: 1234.5, time: clock.t + 42_000 },
    ]);
    expect((await store.query('SELECT key, time FROM metrics')).rows).toEqual([
      ['perf/images_per_sec', clock.t + 42_000],
    ]);
  });

  it('waits on a locked store and retries later, losing nothing', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId);
    const other = new Database(path);
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    for (let step = 1; step <= 10; step++) writer.add('train/loss', step, 0, 1 / step);
    await writer.flush();
    expect(writer.stats).toMatchObject({ written: 0, pending: 10, retries: 1 });
    await expect(writer.close()).rejects.toThrow(/stayed locked: 10 metric values/);
    other.exec('COMMIT');
    await other.close();
    writer.add('train/loss', 11, 0, 1 / 11);
    await writer.close();
    expect(writer.stats).toMatchObject({ written: 11, pending: 0 });
    expect(await countValues(runId)).toBe(11);
  });

  it('refuses an unknown run and non-integer steps', async () => {
    await expect(store.createMetricWriter(999)).rejects.toThrow(/no run with id 999/);
    const writer = await store.createMetricWriter(await store.createRun(newRun()));
    expect(() => writer.add('train/loss', 1.5, 0, 1)).toThrow(/must be integers/);
  });
});

describe('a reader beside the writer (WAL)', () => {
  it('sees each flush while the writer keeps writing, and is never blocked by it', async () => {
    const runId = await store.createRun(newRun());
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 60_000 });
    const reader = await openStore(path, { readonly: true });
    try {
      for (let step = 1; step <= 30; step++) {
        writer.add('train/loss', step, 0, 3 - step / 10);
        if (step % 10 === 0) {
          await writer.flush();
          expect(await reader.getCurve(runId, 'train/loss')).toHaveLength(step);
          expect((await reader.listRuns())[0]!.metrics['train/loss']!.last.step).toBe(step);
        }
      }
      // A writer in the middle of a transaction does not block the reader, which sees the last commit.
      const other = new Database(path);
      other.exec('BEGIN IMMEDIATE');
      other.prepare('UPDATE runs SET name = ? WHERE id = ?').run('renamed', runId);
      expect((await reader.getRun(runId))!.name).toBe('lenet');
      expect(
        (await reader.getCurve(runId, 'train/loss', { afterStep: 25 })).map((p) => p.step),
      ).toEqual([26, 27, 28, 29, 30]);
      other.exec('COMMIT');
      await other.close();
      expect((await reader.getRun(runId))!.name).toBe('renamed');
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
