/**
 * The PostgreSQL twin of `../heartbeat-worker.ts`: a worker thread that touches one run's
 * heartbeat (`runs.updated_at`) on a timer, on a connection of its own, so a run on one machine
 * stays alive to the others while its main thread is busy in one long synchronous stretch (a
 * slow evaluation). No relative imports: it also runs as TypeScript, from the sources.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { connection, runId, intervalMs } = workerData as {
  connection: pg.ClientConfig;
  runId: number;
  intervalMs: number;
};
let client: pg.Client | undefined;
let busy = false;
let stopped = false;
const beat = async (): Promise<void> => {
  if (busy || stopped) return;
  busy = true;
  try {
    if (!client) {
      const next = new pg.Client(connection);
      next.on('error', () => undefined);
      await next.connect();
      client = next;
    }
    await client.query(`UPDATE runs SET updated_at = $1 WHERE id = $2 AND status = 'running'`, [
      Date.now(),
      runId,
    ]);
  } catch {
    // Unreachable, restarting or busy: connect again at the next beat; the flushes beat too.
    const lost = client;
    client = undefined;
    void lost?.end().catch(() => undefined);
  } finally {
    busy = false;
  }
};
const timer = setInterval(() => void beat(), intervalMs);
parentPort?.on('message', () => {
  stopped = true;
  clearInterval(timer);
  void (client?.end() ?? Promise.resolve())
    .catch(() => undefined)
    .finally(() => parentPort?.close());
});
