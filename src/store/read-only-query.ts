import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { messageOf } from './open-store.js';
import type { QueryResult, QueryRows } from './types.js';

const READING_STATEMENTS = new Set(['SELECT', 'WITH', 'VALUES', 'EXPLAIN', 'PRAGMA']);
/** SQLite's statements that change a database; any other first word is a typo or not SQL. */
const WRITING_STATEMENTS = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'UPSERT',
  'DROP',
  'CREATE',
  'ALTER',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'REINDEX',
  'ANALYZE',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
]);
const HINT =
  'query is read-only: SELECT from the tables and views (see README); delete runs with `runner runs rm`';

/**
 * Runs one reading statement on a read-only connection. Three locks, so nothing can write:
 * the statement's first keyword must read, SQLite must judge the prepared statement
 * read-only, and the connection itself is opened read-only.
 */
export function runReadOnlyQuery(
  db: Database,
  sql: string,
  params: readonly unknown[],
): QueryResult {
  const { columns, rows } = streamReadOnlyQuery(db, sql, params);
  try {
    return { columns, rows: [...rows] };
  } catch (error) {
    throw error instanceof StoreError
      ? error
      : new StoreError(`the query failed: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * As `runReadOnlyQuery`, but the rows come one at a time from SQLite's cursor,
 * so a query of millions of rows is printed without being held in memory.
 * The connection is busy until the iterator is done (or `return`ed).
 */
export function streamReadOnlyQuery(
  db: Database,
  sql: string,
  params: readonly unknown[],
): QueryRows & { readonly rows: IterableIterator<readonly unknown[]> } {
  const text = stripLeadingComments(sql).trim();
  if (text === '')
    throw new StoreError('the query is empty', {
      hint: 'e.g. runner query "SELECT * FROM run_summary"',
    });
  const keyword = (/^[A-Za-z]+/.exec(text)?.[0] ?? text.slice(0, 12)).toUpperCase();
  if (WRITING_STATEMENTS.has(keyword)) {
    throw new StoreError(`refused: ${keyword} statements write to or change the store`, {
      hint: HINT,
    });
  }
  if (!READING_STATEMENTS.has(keyword)) {
    throw new StoreError(`invalid SQL: "${keyword}" does not start a query`, {
      hint: 'start with SELECT, WITH, VALUES, EXPLAIN or PRAGMA, e.g. runner query "SELECT * FROM run_summary"',
    });
  }
  if (keyword === 'PRAGMA' && text.includes('=')) {
    throw new StoreError('refused: PRAGMA assignments change the store', { hint: HINT });
  }
  let statement;
  try {
    statement = db.prepare(text);
  } catch (error) {
    throw new StoreError(`invalid SQL: ${messageOf(error)}`, {
      cause: error,
      hint: 'one statement at a time; the tables and views are listed in the README (or: SELECT name FROM sqlite_schema)',
    });
  }
  if (!statement.readonly) {
    throw new StoreError('refused: this statement writes to the store', { hint: HINT });
  }
  if (!statement.reader) {
    throw new StoreError(
      'refused: this statement returns no rows (only queries that read are run)',
      { hint: HINT },
    );
  }
  let cursor: IterableIterator<unknown[]>;
  try {
    cursor = statement.raw().iterate(...params) as IterableIterator<unknown[]>;
  } catch (error) {
    throw new StoreError(`the query failed: ${messageOf(error)}`, { cause: error });
  }
  return { columns: statement.columns().map((c) => c.name), rows: failingAsStoreErrors(cursor) };
}

function* failingAsStoreErrors(cursor: IterableIterator<unknown[]>): IterableIterator<unknown[]> {
  try {
    yield* cursor;
  } catch (error) {
    throw new StoreError(`the query failed: ${messageOf(error)}`, { cause: error });
  }
}

function stripLeadingComments(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.trimStart();
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end < 0 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}
