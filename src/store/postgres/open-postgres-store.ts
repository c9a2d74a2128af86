import pg from 'pg';
import { StoreError } from '../../errors.js';
import { redactStoreTarget } from '../store-path.js';
import type { OpenStoreOptions, Store } from '../types.js';
import { isConnectionError, PG_TYPES } from './pg-dialect.js';
import {
  MIGRATION_LOCK,
  PG_META_APP,
  PG_MIGRATIONS,
  PG_SCHEMA,
  PG_SCHEMA_VERSION,
  PG_VIEWS,
} from './pg-schema.js';
import { PostgresStore } from './postgres-store.js';

const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/**
 * Opens the PostgreSQL store at `url` (schema `runner`). Credentials come through the URL or
 * libpq's usual channels (PGPASSWORD, ~/.pgpass via `pg`, `sslmode=`). A writable open creates
 * or migrates the schema under an advisory lock (once, however many processes start at
 * once); a database whose `runner` schema is not a runner store, or one written by a newer
 * runner, is refused in one line and left untouched.
 */
export async function openPostgresStore(
  url: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const shown = redactStoreTarget(url);
  const readonly = options.readonly ?? false;
  const create = !readonly && (options.create ?? true);
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    types: PG_TYPES,
    options: `-c search_path=${PG_SCHEMA}`,
    connectionTimeoutMillis: options.busyTimeoutMs ?? 10_000,
    application_name: 'runner',
  });
  // An idle client cut off by a server restart must not crash the process: the pool drops it.
  pool.on('error', () => undefined);
  // A checked-out client cut off between two statements (the server restarting) emits 'error'
  // with no pool listener attached: that must not crash the process either. The statement
  // in flight, or the next one, fails and the caller retries (the metric writer keeps its values).
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await prepare(pool, shown, { readonly, create, now: options.now ?? Date.now });
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the run store ${shown}: ${messageOf(error)}`, {
      cause: error,
      hint: isConnectionError(error)
        ? 'is the server running and reachable? check host, port and credentials (PGPASSWORD, ~/.pgpass)'
        : 'check the URL, the credentials and the database name',
    });
  }
  const timeout = Number(process.env['RUNNER_QUERY_TIMEOUT_MS'] ?? DEFAULT_QUERY_TIMEOUT_MS);
  return new PostgresStore(pool, {
    path: shown,
    readonly,
    // Times are bigint epoch ms: a clock with fractions (performance-based) is rounded.
    now: () => Math.round((options.now ?? Date.now)()),
    queryTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_QUERY_TIMEOUT_MS,
  });
}

async function schemaVersion(client: pg.PoolClient, shown: string): Promise<number | undefined> {
  const schema = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [PG_SCHEMA]);
  if (schema.rowCount === 0) return undefined;
  const meta = await client.query(
    `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'meta'`,
    [PG_SCHEMA],
  );
  const rows =
    meta.rowCount === 0
      ? []
      : (
          await client.query<{ key: string; value: string }>(
            `SELECT key, value FROM ${PG_SCHEMA}.meta WHERE key IN ('app', 'schema_version')`,
          )
        ).rows;
  const values = new Map(rows.map((r) => [r.key, r.value]));
  if (values.get('app') !== PG_META_APP) {
    const objects = await client.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 LIMIT 1`,
      [PG_SCHEMA],
    );
    if (objects.rowCount === 0) return 0; // an empty `runner` schema (e.g. made by `store init` of a DBA)
    throw new StoreError(
      `${shown} is not a runner store: its schema "${PG_SCHEMA}" holds tables runner did not make`,
      { hint: 'point --db / RUNNER_DB at another database, or drop that schema' },
    );
  }
  const version = Number(values.get('schema_version') ?? 0);
  if (version > PG_SCHEMA_VERSION) {
    throw new StoreError(
      `the run store ${shown} has schema version ${version}, newer than this runner understands (${PG_SCHEMA_VERSION})`,
      { hint: 'upgrade runner (npm install runner@latest) to read it' },
    );
  }
  return version;
}

async function prepare(
  pool: pg.Pool,
  shown: string,
  { readonly, create, now }: { readonly: boolean; create: boolean; now: () => number },
): Promise<void> {
  const client = await pool.connect();
  try {
    const version = await schemaVersion(client, shown);
    if (version === PG_SCHEMA_VERSION) return;
    if (version === undefined && !create) {
      throw new StoreError(`no run store in ${shown}`, {
        hint: 'create it with `runner store init --db URL`, or train a run into it (`runner exp FILE --db URL`)',
      });
    }
    if (readonly) {
      throw new StoreError(
        `the run store ${shown} has schema version ${version ?? 0} and needs upgrading to ${PG_SCHEMA_VERSION}, which a read-only open cannot do`,
        {
          hint: 'run `runner store init --db URL` once: it migrates the store forward, keeping every run',
        },
      );
    }
    await migrate(client, shown, now());
  } finally {
    client.release();
  }
}

/**
 * Migrations under a session advisory lock: the first process migrates, the others wait on
 * the lock and then find the current version. Each migration and its version bump commit
 * together; the views are recreated in the same transaction.
 */
export async function migrate(client: pg.PoolClient, shown: string, now: number): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const current = (await schemaVersion(client, shown)) ?? 0;
    if (current >= PG_SCHEMA_VERSION) return;
    await client.query('BEGIN');
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
      await client.query(`SET LOCAL search_path = ${PG_SCHEMA}`);
      if (current === 0) {
        await client.query(
          'CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)',
        );
        await client.query(
          `INSERT INTO meta (key, value) VALUES ('app', $1), ('created_at', $2), ('schema_version', '0')
           ON CONFLICT (key) DO NOTHING`,
          [PG_META_APP, new Date(now).toISOString()],
        );
      }
      for (const view of PG_VIEWS) await client.query(`DROP VIEW IF EXISTS ${view.name}`);
      for (const migration of PG_MIGRATIONS) {
        if (migration.version <= current) continue;
        await client.query(migration.sql);
      }
      for (const view of PG_VIEWS) await client.query(`CREATE VIEW ${view.name} AS ${view.sql}`);
      await client.query(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [
        String(PG_SCHEMA_VERSION),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new StoreError(
        `cannot migrate the run store ${shown} to schema version ${PG_SCHEMA_VERSION}: ${messageOf(error)}`,
        { cause: error, hint: 'the store is unchanged; please report this' },
      );
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
