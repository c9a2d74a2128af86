import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import { isPostgresUrl, openStore, redactStoreTarget } from '../store/index.js';
import { createDashboard } from './create-dashboard.js';
import { createLazyStore } from './store-source.js';

export interface StartDashboardOptions {
  /** The store file. It may not exist yet: the page shows an empty state until a run creates it. */
  readonly dbPath: string;
  /** Default 127.0.0.1 (this machine only). */
  readonly host?: string;
  /** Default 6006; 0 picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** How often event streams read the store. Default 300 ms. */
  readonly pollIntervalMs?: number;
  /** Refuse the page's note and tag edits (`runner serve --read-only`). Default false. */
  readonly readOnly?: boolean;
}

export interface RunningDashboard {
  /** Where to point a browser, e.g. `http://127.0.0.1:6006/`. */
  readonly url: string;
  readonly port: number;
  /** Whether the store file existed when the server started. */
  readonly storeExists: boolean;
  /** Set when the store could not be read in place (read-only, its -shm missing): read from a copy. */
  readonly readFromCopy?: string;
  /** Ends event streams and connections, stops listening, closes the store. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'];

/**
 * Serves the dashboard over HTTP, reading the store read-only.
 * A store file that exists but is not a runner store is refused here, before
 * listening (StoreError); a port in use is a UsageError that suggests `--port`.
 *
 * @example
 * const dashboard = await startDashboard({ dbPath: 'runs/runner.db' });
 * console.log(`dashboard: ${dashboard.url}`);
 * await dashboard.close();
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6006;
  const openReadonly = (path: string) => openStore(path, { readonly: true });
  // A database server is there or not: opened now; a file may appear later (the empty state).
  const exists = (path: string): boolean => isPostgresUrl(path) || existsSync(path);
  const storeExists = exists(options.dbPath);
  // Opened now when present, so a file that is not a runner store is a clear error at start.
  let initial = storeExists ? await openReadonly(options.dbPath) : undefined;
  const readFromCopy = initial?.readFromCopy;
  const lazy = createLazyStore(
    options.dbPath,
    async (path) => {
      const first = initial;
      initial = undefined;
      return first ?? openReadonly(path);
    },
    { exists },
  );
  lazy.get();
  await Promise.resolve();
  const isLoopback = LOOPBACK_HOSTS.includes(host.toLowerCase());
  const handler = createDashboard({
    store: lazy.get,
    storePath: redactStoreTarget(options.dbPath),
    storeProblem: lazy.lastError,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.readOnly ? {} : { openWriter: () => openStore(options.dbPath, { create: false }) }),
    // Bound to this machine only: refuse pages that reach it under another name (DNS rebinding).
    ...(isLoopback ? { allowedHosts: LOOPBACK_HOSTS } : {}),
  });
  const server = createServer(handler);
  try {
    await listen(server, port, host);
  } catch (error) {
    await lazy.close();
    throw error;
  }
  const actualPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    port: actualPort,
    storeExists,
    ...(readFromCopy !== undefined ? { readFromCopy } : {}),
    close() {
      closing ??= new Promise<void>((resolve) => {
        handler.close();
        server.close(() => {
          void lazy.close().then(resolve, resolve);
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new UsageError(`port ${port} on ${host} is already in use`, {
            hint: `is another dashboard running? pick a free port with --port ${port + 1} (or --port 0 for any)`,
            cause: error,
          }),
        );
      } else if (error.code === 'EACCES') {
        reject(
          new UsageError(`not allowed to listen on port ${port}`, {
            hint: 'use a port above 1023 with --port',
            cause: error,
          }),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(
          new UsageError(`cannot listen on host ${host}: no such address on this machine`, {
            hint: 'use --host 127.0.0.1',
            cause: error,
          }),
        );
      } else {
        reject(error);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
