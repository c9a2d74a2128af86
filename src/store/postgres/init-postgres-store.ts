import pg from 'pg';
import { StoreError } from '../../errors.js';
import { redactStoreTarget } from '../store-path.js';
import { openPostgresStore } from './open-postgres-store.js';
import { PG_SCHEMA } from './pg-schema.js';
import { QUEUE_SCHEMA } from './trial-job.js';
import { openTrialQueue } from './trial-queue.js';

/** The role `store init` creates for readers: SELECT only, read-only transactions, a time limit. */
export const DEFAULT_READER_ROLE = 'runner_reader';

export interface StoreInitReport {
  readonly store: string;
  readonly schemaVersion: number;
  readonly readerRole: string;
  readonly createdRole: boolean;
}

/**
 * Creates (or migrates) the store and the trial queue (pg-boss) in `url` and a NOLOGIN reader
 * role that can only SELECT from schemas `runner` and `runner_queue`, with `default_transaction_read_only` and a statement timeout set on
 * the role. Idempotent: running it again changes nothing but grants on new tables.
 * People who read get a login in that role: `CREATE USER alice PASSWORD '...' IN ROLE runner_reader`.
 */
export async function initPostgresStore(
  url: string,
  options: { readonly readerRole?: string; readonly statementTimeoutMs?: number } = {},
): Promise<StoreInitReport> {
  const role = options.readerRole ?? DEFAULT_READER_ROLE;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
    throw new StoreError(
      `--reader-role ${role}: expected a lower-case SQL name such as runner_reader`,
    );
  }
  const store = await openPostgresStore(url);
  const schemaVersion = store.schemaVersion;
  await store.close();
  // The trial queue's schema too, so the reader can be granted it: `sweep status` on the
  // reader shows each trial's job.
  await (await openTrialQueue(url, { supervise: false })).close();
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const createdRole = exists.rowCount === 0;
    const timeout = Math.max(1, Math.floor(options.statementTimeoutMs ?? 30_000));
    await client.query('BEGIN');
    if (createdRole) await client.query(`CREATE ROLE ${role} NOLOGIN`);
    await client.query(`GRANT USAGE ON SCHEMA ${PG_SCHEMA} TO ${role}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${PG_SCHEMA} TO ${role}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${PG_SCHEMA} GRANT SELECT ON TABLES TO ${role}`,
    );
    await client.query(`GRANT USAGE ON SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${QUEUE_SCHEMA} TO ${role}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${QUEUE_SCHEMA} GRANT SELECT ON TABLES TO ${role}`,
    );
    await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    await client.query(`ALTER ROLE ${role} SET statement_timeout = ${timeout}`);
    await client.query(`ALTER ROLE ${role} SET search_path = ${PG_SCHEMA}`);
    await client.query('COMMIT');
    return { store: redactStoreTarget(url), schemaVersion, readerRole: role, createdRole };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new StoreError(
      `cannot set up the reader role ${role} in ${redactStoreTarget(url)}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        hint: 'store init needs a user that may create roles (CREATEROLE) and grant on schema runner',
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
