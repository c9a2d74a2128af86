import pg from 'pg';
import type { FieldDialect } from '../run-fields.js';

/**
 * Everything the PostgreSQL store says differently from the SQLite one, in one place:
 * placeholders (`?` → `$1`), id lists (`= ANY(?)` instead of `json_each`), JSON params,
 * globs (`SIMILAR TO`), ISO times, and 64-bit integers read as JS numbers.
 */

/** `?` placeholders (the shared SQL's) to PostgreSQL's `$1, $2, ...`. Our SQL has no `?` in literals. */
export function toPgSql(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `IN (list)` for a bound array of ids. */
export const ID_IN = '= ANY(?::integer[])';
/** `IN (list)` for a bound array of text. */
export const TEXT_IN = '= ANY(?::text[])';

/** A param value as stored (`jsonb`): numbers, text, booleans and null keep their type. */
export function toJsonParam(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** Shell glob → SIMILAR TO pattern: `*` any run, `?` one character, `[...]` a class. */
export function globToSimilar(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if ('%_|+(){}\\'.includes(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

export const PG_FIELDS: FieldDialect = {
  startedIso: `to_char(to_timestamp(r.started_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  falseValue: 'false',
  paramLiteral: (value) => ({ sql: 'CAST(? AS jsonb)', value: JSON.stringify(value) }),
  // to_jsonb(x) #>> '{}' is the text of a column or of a JSON string param alike.
  glob: (left, pattern) => ({
    sql: `(to_jsonb(${left}) #>> '{}') SIMILAR TO ?`,
    value: globToSimilar(pattern),
  }),
};

const INT8 = 20;
const NUMERIC = 1700;
const FLOAT8 = 701;
/** bigint and numeric as JS numbers (ids, epoch ms and counts fit in 2^53); NaN/Infinity kept. */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8 || oid === NUMERIC || oid === FLOAT8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Connection errors that a retry may cure (server restarting, network cut). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)
    )
      return true;
    // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
    if (code.startsWith('08') || code.startsWith('57P')) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}
