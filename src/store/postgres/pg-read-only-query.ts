import type pg from 'pg';
import { StoreError } from '../../errors.js';
import type { QueryResult } from '../types.js';
import { toPgSql } from './pg-dialect.js';

const HINT =
  'query is read-only: SELECT from the tables and views (see README); delete runs with `runner runs rm`';

/**
 * One statement in a READ ONLY transaction with a statement timeout: PostgreSQL itself
 * refuses any write (SQLSTATE 25006), and a runaway query is cancelled. The SQL dialect is
 * PostgreSQL's (`?` placeholders are still accepted for bound values).
 */
export async function runPgReadOnlyQuery(
  pool: pg.Pool,
  sql: string,
  params: readonly unknown[],
  timeoutMs: number,
): Promise<QueryResult> {
  const text = sql.trim().replace(/;\s*$/, '');
  if (text === '') {
    throw new StoreError('the query is empty', {
      hint: 'e.g. runner query "SELECT * FROM run_summary"',
    });
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const result = await client.query({
      text: params.length > 0 ? toPgSql(text) : text,
      values: [...params],
      rowMode: 'array',
    });
    await client.query('ROLLBACK');
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryArrayResult) : result;
    return { columns: (last.fields ?? []).map((f) => f.name), rows: last.rows ?? [] };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === '25006') {
      throw new StoreError('refused: this statement writes to the store', {
        hint: HINT,
        cause: error,
      });
    }
    if (code === '57014') {
      throw new StoreError(`the query ran longer than ${timeoutMs} ms and was cancelled`, {
        hint: 'narrow it (WHERE run_id = ...), or raise RUNNER_QUERY_TIMEOUT_MS',
        cause: error,
      });
    }
    if (code === '42601' && /multiple commands/i.test(message)) {
      throw new StoreError('invalid SQL: more than one statement', {
        hint: 'one statement at a time',
        cause: error,
      });
    }
    throw new StoreError(`invalid SQL: ${message}`, {
      cause: error,
      hint: "the dialect is PostgreSQL's; the tables and views are listed in the README",
    });
  } finally {
    client.release();
  }
}
