/**
 * A worker thread that touches one run's heartbeat (`runs.updated_at`) on a timer, on its own
 * connection: it beats while the main thread is busy in one long synchronous stretch (a slow
 * evaluation), which a timer on the main thread could not. No relative imports: it also runs
 * as TypeScript, from the sources.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, runId, intervalMs } = workerData as {
  path: string;
  runId: number;
  intervalMs: number;
};
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 2000');
const touch = db.prepare(`UPDATE runs SET updated_at = ? WHERE id = ? AND status = 'running'`);
const beat = (): void => {
  try {
    touch.run(Date.now(), runId);
  } catch {
    // Busy or full: the next beat tries again; the metric writer's flushes beat too.
  }
};
const timer = setInterval(beat, intervalMs);
parentPort?.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
