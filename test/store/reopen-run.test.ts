import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir, newRun } from '../test-kit.js';

/**
 * `Store.reopenRun` (what `runner exp --resume` does to the run row before it
 * continues) on SQLite and on a real PostgreSQL started by the test: the same
 * rewind, the same summaries, on both.
 */
const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

let server: PgServer | undefined;
const temp = makeTempDir('reopen-run');
beforeAll(async () => {
  if (pgStatus.available) server = await startPostgres();
}, 60_000);
afterAll(() => {
  server?.stop();
  temp.remove();
});

const KINDS = [
  { kind: 'sqlite', target: () => join(temp.dir, 'reopen.db') },
  ...(pgStatus.available ? [{ kind: 'postgres', target: () => server!.database('reopen') }] : []),
] as const;

/** Ten steps of train/loss 10 - step, test/loss at steps 5 and 10 (the second one cut short), then interrupted. */
async function interruptedRun(store: Store): Promise<number> {
  const id = await store.createRun(newRun({ name: 'cut' }));
  const writer = await store.createMetricWriter(id, { flushIntervalMs: 60_000 });
  for (let step = 1; step <= 10; step++) {
    writer.add('train/loss', step, step <= 5 ? 1 : 2, 10 - step);
    if (step % 5 === 0) writer.add('test/loss', step, step / 5, step === 5 ? 4 : 0.5);
  }
  await writer.close();
  await store.finishRun(id, { status: 'interrupted' });
  return id;
}

describe.each(KINDS)('reopenRun on the $kind store', ({ target }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(target());
  }, 30_000);
  afterAll(async () => store?.close());

  it('drops what came after the checkpoint, keeps the step-keys given, rebuilds the summaries', async () => {
    const id = await interruptedRun(store);
    // The checkpoint was written at step 5 after its train/loss but before its evaluation.
    await store.reopenRun(id, { afterStep: 5, keepAtStep: ['train/loss'], pid: 4242 });
    const run = (await store.getRun(id))!;
    expect(run).toMatchObject({ status: 'running', endedAt: null, pid: 4242 });
    expect((await store.getCurve(id, 'train/loss')).map((p) => [p.step, p.value])).toEqual([
      [1, 9],
      [2, 8],
      [3, 7],
      [4, 6],
      [5, 5],
    ]);
    expect(await store.getCurve(id, 'test/loss')).toEqual([]);
    expect(run.metrics['train/loss']).toMatchObject({
      count: 5,
      last: { step: 5, value: 5 },
      best: { step: 5, value: 5 },
    });
    expect(run.metrics['test/loss']).toBeUndefined();

    // The resumed process appends from step 6; the summaries follow.
    const writer = await store.createMetricWriter(id, { flushIntervalMs: 60_000 });
    writer.add('train/loss', 5, 1, 99); // a duplicate of a kept step must not replace it
    writer.add('test/loss', 5, 1, 3);
    writer.add('train/loss', 6, 2, 0.25);
    await writer.close();
    await store.finishRun(id, { status: 'completed' });
    const done = (await store.getRun(id))!;
    expect(done.status).toBe('completed');
    expect(done.metrics['train/loss']).toMatchObject({
      count: 6,
      last: { step: 6, value: 0.25 },
    });
    expect(done.metrics['test/loss']).toMatchObject({ count: 1, last: { step: 5, value: 3 } });
  });

  it('refuses an unknown run, as a StoreError, changing nothing', async () => {
    const before = await store.listRuns();
    await expect(
      store.reopenRun(987_654, { afterStep: 1, keepAtStep: [], pid: 1 }),
    ).rejects.toBeInstanceOf(StoreError);
    expect(await store.listRuns()).toEqual(before);
  });
});
