import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { watchParent } from '../../src/cli/watch-parent.js';
import type { SignalSource } from '../../src/cli/commands/command.js';
import { makeTempDir, newRun } from '../test-kit.js';

// A trial whose sweep (or worker) died and whose step does not end within the grace quits on
// its own. What it trained must be in the store by then: a real SQLite store, a real metric
// writer holding values it has not flushed, and a channel that closes as a dead parent's does.

let temp: ReturnType<typeof makeTempDir>;
let store: Store;
beforeEach(async () => {
  temp = makeTempDir('watch-parent');
  store = await openStore(join(temp.dir, 'runner.db'));
});
afterEach(async () => {
  await store.close();
  temp.remove();
});

/** A parent's IPC channel as the trial sees it; `close()` is the parent dying. */
function fakeChannel() {
  const events = new EventEmitter();
  let connected = true;
  return {
    get channel() {
      return connected ? { unref: () => undefined } : undefined;
    },
    get connected() {
      return connected;
    },
    once: (event: 'disconnect', fn: () => void) => events.once(event, fn),
    off: (event: 'disconnect', fn: () => void) => events.off(event, fn),
    close() {
      connected = false;
      events.emit('disconnect');
    },
  };
}

/** The signal source of main.ts, but `quitNow` reports what it would wait for instead of exiting. */
function quitRecorder() {
  let resolveQuit!: (lastWord: Promise<unknown>) => void;
  const quit = new Promise<Promise<unknown>>((r) => (resolveQuit = r));
  const signals: SignalSource = { listen: () => () => undefined, quitNow: resolveQuit };
  return { signals, quit };
}

const countValues = async (runId: number): Promise<number> =>
  (await store.query('SELECT count(*) FROM metrics WHERE run_id = ?', [runId]))
    .rows[0]![0] as number;

// (A worker's trial takes the same path on PostgreSQL, where a run may be recorded `lost`.)
describe('a trial of a local sweep whose sweep died, stuck past the grace', () => {
  it('writes the metric values it still holds, then marks its run, before it quits', async () => {
    const runId = await store.createRun(newRun());
    // One flush an hour: the values below stay queued, as a step's do until the next step.
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 3_600_000 });
    for (let step = 1; step <= 7; step++) {
      writer.add('train/loss', step, 0, 1 / step);
      writer.add('train/accuracy', step, 0, step / 10);
    }
    expect(await countValues(runId)).toBe(0);
    const channel = fakeChannel();
    const { signals, quit } = quitRecorder();
    let stopAsked = false;
    const unwatch = watchParent({
      run: () => ({ runId, flushMetrics: () => writer.flush() }),
      store,
      stop: () => (stopAsked = true),
      parent: 'sweep',
      signals,
      process: channel,
      graceMs: 20,
    });
    channel.close();
    expect(stopAsked).toBe(true);
    // The step never ends: the grace passes and the trial quits once its last word settles.
    await await quit;
    expect(await countValues(runId)).toBe(14);
    const run = await store.getRun(runId);
    expect(run!.status).toBe('interrupted');
    expect(run!.error).toMatch(/its sweep process went away/);
    expect(run!.metrics['train/accuracy']!.last).toMatchObject({ step: 7, value: 0.7 });
    await unwatch();
  });
});

describe('a trial whose parent is alive', () => {
  it('neither stops nor quits, and marks nothing', async () => {
    const runId = await store.createRun(newRun());
    const channel = fakeChannel();
    const { signals, quit } = quitRecorder();
    let stopAsked = false;
    const unwatch = watchParent({
      run: () => ({ runId, flushMetrics: async () => undefined }),
      store,
      stop: () => (stopAsked = true),
      parent: 'sweep',
      signals,
      process: channel,
      graceMs: 1,
    });
    const quitting = await Promise.race([
      quit.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 50)),
    ]);
    expect(quitting).toBe(false);
    expect(stopAsked).toBe(false);
    expect((await store.getRun(runId))!.status).toBe('running');
    await unwatch();
  });
});
