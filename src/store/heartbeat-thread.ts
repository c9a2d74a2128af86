import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Starts a heartbeat worker thread (a `*-heartbeat-worker` module beside its store) and returns
 * the function that stops it. The compiled `.js` runs where it exists; from the sources (tests)
 * the `.ts` does. A thread that cannot start leaves the metric writer's flushes to beat.
 */
export function startHeartbeatThread(js: URL, workerData: Record<string, unknown>): () => void {
  const file = existsSync(js) ? js : new URL(js.href.replace(/\.js$/, '.ts'));
  const worker = new Worker(file, { workerData });
  worker.on('error', () => undefined);
  worker.unref();
  return () => {
    worker.postMessage('stop');
  };
}
