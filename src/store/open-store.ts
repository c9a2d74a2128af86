import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  statfsSync,
  statSync,
} from 'node:fs';
import { freemem } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DiskFullError, isDiskFull, StoreError } from '../errors.js';
import {
  APPLICATION_ID,
  META_APP,
  MIGRATIONS,
  recreateViews,
  STORE_SCHEMA_VERSION,
} from './schema.js';
import { nativeAddonError } from './native-addon.js';
import { SqliteStore } from './sqlite-store.js';
import { isPostgresUrl } from './store-path.js';
import type { OpenStoreOptions, Store } from './types.js';

export { STORE_SCHEMA_VERSION } from './schema.js';

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Open (or create) the run store at `target`: a SQLite file path, or a `postgres://` URL
 * (schema `runner` in that database; see `openPostgresStore`). The store's `path` is safe
 * to print (a URL's password shows as `***`).
 *
 * @example
 * const store = await openStore('runs/runner.db');
 * const shared = await openStore('postgres://runner@db.lab/runs', { readonly: true });
 */
export async function openStore(target: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(target)) {
    // Loaded only for a URL: the SQLite quick start never loads pg.
    const { openPostgresStore } = await import('./postgres/open-postgres-store.js');
    return openPostgresStore(target, options);
  }
  return openSqliteStore(target, options);
}

/**
 * Open (or create) the SQLite run store at `path`. Refuses, with a StoreError naming the path,
 * a file that cannot be opened, that is not a runner store, or that a newer runner wrote.
 * A writable open migrates an older store forward in one transaction; a readonly one
 * never writes (an older store is then refused with a hint to open it once for writing).
 *
 * @example
 * const store = openSqliteStore('runs/runner.db');                       // creates runs/ if needed
 * const reader = openSqliteStore('runs/runner.db', { readonly: true });  // for queries and the dashboard
 */
export function openSqliteStore(path: string, options: OpenStoreOptions = {}): Store {
  const unwritable = existsSync(path) ? writeProblem(path) : undefined;
  const readonly =
    (options.readonly ?? false) ||
    (unwritable !== undefined && options.readonlyIfUnwritable === true);
  const create = !readonly && (options.create ?? true);
  const now = options.now ?? Date.now;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const settings = { path, busyTimeoutMs, now };

  if (unwritable !== undefined && !readonly) {
    throw new StoreError(
      `the run store ${path} is read-only (${unwritable}), and this command writes to it`,
      { hint: `make ${path} and its folder writable, or copy the store somewhere writable` },
    );
  }
  let db: Database.Database;
  try {
    db = connect(path, { readonly, create });
  } catch (error) {
    if (unwritable === undefined) throw error;
    return openCopy(unwritable, error, settings);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    const version = checkOwnership(db, path, { readonly, create });
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      if (version < STORE_SCHEMA_VERSION) migrate(db, path, now());
    }
    return new SqliteStore(db, { path, readonly, busyTimeoutMs, now });
  } catch (error) {
    db.close();
    if (unwritable !== undefined) return openCopy(unwritable, error, settings);
    const full = isDiskFull(error) || (isIoError(error) && noSpaceLeft(path));
    if (full && readonly) return openCopy('its disk is full', error, settings);
    if (full) {
      throw new DiskFullError(path, `disk full at ${path}: the run store cannot be written`, {
        cause: error,
        hint: 'free space on that disk, or point --db / RUNNER_DB at a store on another',
      });
    }
    if (error instanceof StoreError) throw error;
    const hint = busyHint(error);
    throw new StoreError(`cannot open the run store ${path}: ${messageOf(error)}`, {
      cause: error,
      ...(hint === undefined ? {} : { hint }),
    });
  }
}

function connect(
  path: string,
  { readonly, create }: { readonly: boolean; create: boolean },
): Database.Database {
  if (!create && !existsSync(path)) {
    throw new StoreError(`no run store at ${path}`, {
      hint: 'train a run first (`runner exp FILE`), or point --db / RUNNER_DB at an existing store',
    });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new StoreError(`cannot open the run store ${path}: it is a directory`, {
      hint: 'give --db / RUNNER_DB the path of a file, e.g. runs/runner.db',
    });
  }
  if (create) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new StoreError(
        `cannot create the folder of the run store ${path}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
  }
  try {
    return new Database(path, { readonly, fileMustExist: !create });
  } catch (error) {
    // better-sqlite3 loads its binary on first use: a build for another Node fails here.
    const addon = nativeAddonError(error, 'better-sqlite3');
    if (addon) throw addon;
    throw new StoreError(`cannot open the run store ${path}: ${messageOf(error)}`, {
      cause: error,
      hint: 'check that the path is writable, or point --db / RUNNER_DB elsewhere',
    });
  }
}

/** Returns the file's schema version after checking that it is ours (or empty and ours to create). */
function checkOwnership(
  db: Database.Database,
  path: string,
  { readonly, create }: { readonly: boolean; create: boolean },
): number {
  let version: number;
  let objects: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
  } catch (error) {
    throw notOurs(path, `not an SQLite database (${messageOf(error)})`, error);
  }
  if (objects === 0 && version === 0) {
    if (create) return 0;
    throw notOurs(path, 'an empty database');
  }
  const appId = db.pragma('application_id', { simple: true }) as number;
  const hasMeta =
    db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'`).get() !==
    undefined;
  const app = hasMeta
    ? (db.prepare(`SELECT value FROM meta WHERE key = 'app'`).get() as
        { value: string } | undefined)
    : undefined;
  if (appId !== APPLICATION_ID || app?.value !== META_APP) {
    throw notOurs(path, 'an SQLite database written by something else');
  }
  if (version > STORE_SCHEMA_VERSION) {
    throw new StoreError(
      `the run store ${path} has schema version ${version}, newer than this runner understands (${STORE_SCHEMA_VERSION})`,
      { hint: 'upgrade runner (npm install runner@latest) to read it' },
    );
  }
  if (version < STORE_SCHEMA_VERSION && readonly) {
    throw new StoreError(
      `the run store ${path} has schema version ${version} and needs upgrading to ${STORE_SCHEMA_VERSION}, which a read-only open cannot do`,
      {
        hint: 'run `runner runs ls --db PATH` once: it migrates the store forward, keeping every run',
      },
    );
  }
  return version;
}

function migrate(db: Database.Database, path: string, now: number): void {
  const run = db.transaction(() => {
    // Another process may have migrated between our check and this write lock.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= STORE_SCHEMA_VERSION) return;
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      migration.up(db, now);
    }
    recreateViews(db);
    db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
  });
  try {
    run.immediate();
  } catch (error) {
    throw new StoreError(
      `cannot migrate the run store ${path} to schema version ${STORE_SCHEMA_VERSION}: ${messageOf(error)}`,
      {
        cause: error,
        hint: busyHint(error) ?? 'the store is unchanged; please report this with the store file',
      },
    );
  }
}

function notOurs(path: string, what: string, cause?: unknown): StoreError {
  return new StoreError(`${path} is not a runner store: ${what}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'point --db / RUNNER_DB at a store made by runner, or at a new file',
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A hint for SQLITE_BUSY: someone else holds the store. */
export function busyHint(error: unknown): string | undefined {
  return isBusy(error) ? BUSY_HINT : undefined;
}

export const BUSY_HINT =
  'another process holds the store locked; wait for it or raise the busy timeout';

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  );
}

/** Why this user cannot write the store at `path` (the file, or its folder for the -wal/-shm files); undefined if it can. */
function writeProblem(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return 'the file is not writable by this user';
  }
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    return 'its folder is not writable by this user, and SQLite writes its -wal and -shm files there';
  }
  return undefined;
}

/** SQLite's I/O errors (SQLITE_IOERR_*), here or as a cause: a full disk shows as one when -shm cannot grow. */
function isIoError(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether the file system under the store has (next to) no room left for its -wal and -shm files. */
function noSpaceLeft(path: string): boolean {
  try {
    const fs = statfsSync(dirname(path));
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/**
 * A store SQLite cannot open in place without writing (its -shm file, beside it), read from a
 * copy in memory: the file is read once, never written. Refused when a -wal file beside it holds
 * changes the copy would miss, or when it is too large to hold in memory here.
 */
function openCopy(
  why: string,
  cause: unknown,
  settings: { path: string; busyTimeoutMs: number; now: () => number },
): Store {
  const { path } = settings;
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    throw readOnlyRefusal(path, `${why}; its -wal file holds changes not yet in the store`, cause);
  }
  const size = statSync(path).size;
  const limit = Math.min(2 ** 31, Math.floor(freemem() / 2));
  if (size > limit) {
    const mb = (n: number): string => `${Math.ceil(n / 2 ** 20)} MB`;
    throw readOnlyRefusal(
      path,
      `${why}; at ${mb(size)} it is more than the ${mb(limit)} this machine can read into memory now`,
      cause,
    );
  }
  const bytes = readFileSync(path);
  // WAL mode is in the header (bytes 18 and 19 are 2): the copy reads as a rollback-journal file.
  if (bytes[18] === 2 && bytes[19] === 2) bytes.fill(1, 18, 20);
  let db: Database.Database;
  try {
    db = new Database(bytes, { readonly: true });
  } catch (error) {
    throw readOnlyRefusal(path, why, error);
  }
  try {
    checkOwnership(db, path, { readonly: true, create: false });
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db, { ...settings, readonly: true, readFromCopy: why });
}

function readOnlyRefusal(path: string, why: string, cause: unknown): StoreError {
  return new StoreError(`cannot read the run store ${path}: it is read-only (${why})`, {
    cause,
    hint: 'copy the store (with its -wal file, if any) to a writable folder and point --db at the copy',
  });
}
