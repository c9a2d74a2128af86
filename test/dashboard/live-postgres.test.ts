import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { newRun } from '../test-kit.js';
import { openEventStream } from './http-client.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

/** The live page on PostgreSQL: LISTEN/NOTIFY, no waiting for a poll. */
describe.skipIf(!pgStatus.available)('live dashboard on PostgreSQL', () => {
  let server: PgServer;
  let store: Store;
  let dashboard: RunningDashboard;

  beforeAll(async () => {
    server = await startPostgres();
    const url = server.database('live');
    store = await openStore(url);
    // A poll a minute: only the server's notification can bring a point sooner.
    dashboard = await startDashboard({ dbPath: url, port: 0, pollIntervalMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await dashboard?.close();
    await store?.close();
    server?.stop();
  });

  it('delivers a point another process flushes at once, through NOTIFY, and the run ending', async () => {
    const runId = await store.createRun(newRun({ name: 'live' }));
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 60_000 });
    writer.add('train/loss', 1, 1, 2.5);
    await writer.flush();
    const cursor = encodeURIComponent(JSON.stringify({ [runId]: { 'train/loss': 1 } }));
    const stream = await openEventStream(
      dashboard.port,
      `/api/events?runs=${runId}&keys=train/loss&cursor=${cursor}`,
    );
    try {
      // The stream's first look at the store, and its LISTEN, before the write.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      writer.add('train/loss', 2, 1, 2.25);
      await writer.flush();
      const written = performance.now();
      const event = await stream.waitFor((e) => e.event === 'points', 10_000);
      expect(JSON.parse(event.data)).toMatchObject({ runId, step: [2], value: [2.25] });
      expect(event.at - written).toBeLessThan(2_000);

      await writer.close();
      await store.finishRun(runId, { status: 'completed' });
      const ended = performance.now();
      const done = await stream.waitFor((e) => e.event === 'run', 10_000);
      expect(JSON.parse(done.data)).toMatchObject({ id: runId, status: 'completed' });
      expect(done.at - ended).toBeLessThan(2_000);
    } finally {
      stream.destroy();
    }
  }, 60_000);
});
