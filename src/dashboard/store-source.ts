import { existsSync } from 'node:fs';
import type { Store } from '../store/index.js';

/**
 * Where the dashboard gets its store: either an open store, or a provider
 * that returns `undefined` while there is none yet (the empty state).
 */
export type StoreProvider = () => Store | undefined;

export interface LazyStore {
  /** The open store, or undefined while the file does not exist (or is not ready). */
  readonly get: StoreProvider;
  /** Why the last attempt to open failed, when the file exists but is not (yet) a runner store. */
  readonly lastError: () => string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the store read-only once its file exists: `runner serve` may start
 * before the first `runner exp` creates the store. Attempts are spaced by
 * `retryMs` so a busy page does not hammer the file system. Opening is asynchronous: `get`
 * starts it and returns the store from the first call after it is open.
 */
export function createLazyStore(
  path: string,
  open: (path: string) => Promise<Store>,
  options: {
    readonly retryMs?: number;
    readonly now?: () => number;
    /** Whether there is something to open yet (default: the file exists). */
    readonly exists?: (path: string) => boolean;
  } = {},
): LazyStore {
  const exists = options.exists ?? existsSync;
  const retryMs = options.retryMs ?? 500;
  const now = options.now ?? Date.now;
  let store: Store | undefined;
  let nextAttempt = 0;
  let error: string | undefined;
  let closed = false;
  let opening: Promise<void> | undefined;
  return {
    get() {
      if (store || closed || opening) return store;
      const t = now();
      if (t < nextAttempt) return undefined;
      nextAttempt = t + retryMs;
      if (!exists(path)) return undefined;
      opening = open(path).then(
        (opened) => {
          opening = undefined;
          error = undefined;
          if (closed) return opened.close();
          store = opened;
        },
        (cause: unknown) => {
          // A file being created by a training process may not carry the schema yet: try again later.
          opening = undefined;
          error = cause instanceof Error ? cause.message : String(cause);
        },
      );
      return store;
    },
    lastError: () => error,
    async close() {
      closed = true;
      await opening;
      await store?.close();
      store = undefined;
    },
  };
}
