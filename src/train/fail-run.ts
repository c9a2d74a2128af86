import { dirname } from 'node:path';
import { DiskFullError, diskFullPath, isDiskFull, StoreError } from '../errors.js';
import type { Store } from '../store/index.js';

/**
 * Ends a run that failed with `error`, keeping what it wrote: `closeWriter` flushes the metric
 * writer, then the run is marked failed if the store still takes the write. Returns the error to
 * throw: on a full disk one `disk full at PATH` error saying what became of the run (a full store
 * cannot even mark it: then it shows as lost); any other error as it came.
 *
 * @example
 * try { await train(); } catch (error) {
 *   throw await failRun(store, runId, error, { runDir, closeWriter: () => writer.close() });
 * }
 */
export async function failRun(
  store: Store,
  runId: number,
  error: unknown,
  where: { readonly runDir: string; readonly closeWriter?: () => Promise<void> },
): Promise<unknown> {
  const full = isDiskFull(error);
  // SQLite's error names no file (it is the store's); a bare fs write is in the run's folder.
  const path = full ? diskFullPath(error, isStoreError(error) ? store.path : where.runDir) : '';
  let closing: unknown;
  try {
    await where.closeWriter?.();
  } catch (failure) {
    // A full store loses only the steps still queued; everything flushed before stays.
    if (!isDiskFull(failure)) closing = failure;
  }
  let marked = true;
  try {
    const message = full ? `disk full at ${path}` : messageOf(error);
    await store.finishRun(runId, { status: 'failed', error: message });
  } catch (failure) {
    if (!isDiskFull(failure)) throw failure;
    marked = false;
  }
  if (!full) return closing ?? error;
  const fate = marked
    ? 'the run is marked failed'
    : 'the store is full too, so the run could not be marked failed and shows as lost';
  return new DiskFullError(
    path,
    `disk full at ${path}: run ${runId} stopped; ${fate}, with the metrics it wrote before`,
    {
      cause: error,
      hint: `free space on the disk of ${dirname(path)}, then \`runner exp --resume ${runId}\` continues it from its last checkpoint`,
    },
  );
}

function isStoreError(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof StoreError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE') || code === '53100')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
