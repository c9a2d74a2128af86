import type { Database } from 'better-sqlite3';
import { closestMatch } from '../config/index.js';
import { UsageError } from '../errors.js';
import { findMetricKey } from './run-records.js';
import { RUN_STATUSES } from './types.js';
import type { MetricGoal } from './types.js';
import { parseWhere, whereError } from './where-language.js';
import type { WhereNode, WhereOperand } from './where-language.js';

/**
 * The fields `--where` and `--sort` can name, resolved against the store and compiled
 * to SQL over the `runs` row (alias `r`), `params` and `run_metric_summary`: listings
 * never touch `metric_values`.
 *
 * - run fields: id, name, status, started (ISO text), duration (seconds), sweep, trial,
 *   seed, backend, dataset, host, note
 * - `tag`: `tag = "baseline"` holds when the run carries that tag, `tag != "x"` when it does not,
 *   `tag ~ "lr-*"` when one of its tags matches; `tag = null` for runs without tags
 * - metrics: `test/accuracy` is the final (last) value; `best:test/accuracy`,
 *   `min:`, `max:`, `final:` / `last:`, `count:` choose another summary
 * - params: any flattened config key (`train.optimizer.learningRate`); `param:KEY` forces
 *   a param when a metric has the same name
 */

export interface ResolvedField {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The natural order for `--sort` without a direction (best first for metrics). */
  readonly defaultDescending: boolean;
  /** A config param: a JSON value on PostgreSQL, whose literals are bound as JSON. */
  readonly param?: boolean;
}

/** What the resolver knows about the store's names: read synchronously (prefetched on PostgreSQL). */
export interface FieldCatalog {
  metricKey(key: string): { id: number; goal: MetricGoal } | undefined;
  paramExists(key: string): boolean;
  metricKeys(): string[];
  paramKeys(): string[];
}

/** The few places where the where-language's SQL differs between SQLite and PostgreSQL. */
export interface FieldDialect {
  /** `runs.started_at` (epoch ms) as ISO-8601 text. */
  readonly startedIso: string;
  /** The SQL false (SQLite has no booleans). */
  readonly falseValue: string;
  /** How a literal compared with a config param is bound: params are JSON on PostgreSQL. */
  paramLiteral(value: string | number | boolean): { sql: string; value: unknown };
  /** `left ~ pattern`, a shell-style glob. */
  glob(left: string, pattern: string): { sql: string; value: string };
}

export const SQLITE_FIELDS: FieldDialect = {
  startedIso: `strftime('%Y-%m-%dT%H:%M:%fZ', r.started_at / 1000.0, 'unixepoch')`,
  falseValue: '0',
  paramLiteral: (value) => ({
    sql: '?',
    // Params store booleans as the text true/false.
    value: typeof value === 'boolean' ? (value ? 'true' : 'false') : value,
  }),
  glob: (left, pattern) => ({ sql: `${left} GLOB ?`, value: pattern }),
};

/** The catalog of a SQLite store: each name looked up when asked. */
export function sqliteCatalog(db: Database): FieldCatalog {
  return {
    metricKey: (key) => findMetricKey(db, key),
    paramExists: (key) =>
      db.prepare('SELECT 1 FROM params WHERE key = ? LIMIT 1').get(key) !== undefined,
    metricKeys: () =>
      db.prepare('SELECT key FROM metric_keys ORDER BY key').pluck().all() as string[],
    paramKeys: () =>
      db.prepare('SELECT DISTINCT key FROM params ORDER BY key').pluck().all() as string[],
  };
}

const RUN_FIELDS: Readonly<Record<string, { sql: string; desc: boolean }>> = {
  id: { sql: 'r.id', desc: true },
  name: { sql: 'r.name', desc: false },
  status: { sql: 'r.status', desc: false },
  started: { sql: 'STARTED_ISO', desc: true },
  duration: { sql: '((coalesce(r.ended_at, r.updated_at) - r.started_at) / 1000.0)', desc: true },
  sweep: { sql: 'r.sweep_id', desc: false },
  trial: { sql: 'r.trial_index', desc: false },
  seed: { sql: 'r.seed', desc: false },
  backend: { sql: 'r.backend', desc: false },
  dataset: { sql: 'r.dataset', desc: false },
  host: { sql: 'r.host', desc: false },
  note: { sql: 'r.note', desc: false },
  // For --sort: the first tag in alphabetical order. Comparisons go through tagCondition.
  tag: { sql: '(SELECT min(t.tag) FROM tags t WHERE t.run_id = r.id)', desc: false },
};

const HAS_TAG = 'EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id';

/**
 * A comparison with `tag`: about the run's set of tags, not one value. `=` and `~` ask
 * whether one of them matches, `!=` whether none does; null asks about having any.
 */
function tagCondition(
  n: Extract<WhereNode, { kind: 'compare' }>,
  dialect: FieldDialect,
  params: unknown[],
): string {
  const other = n.left.kind === 'field' && n.left.name === 'tag' ? n.right : n.left;
  if (other.kind === 'null') {
    if (n.op !== '=' && n.op !== '!=') throw tagOpError(n);
    return `(${n.op === '=' ? 'NOT ' : ''}${HAS_TAG}))`;
  }
  if (other.kind !== 'string') {
    throw whereError(
      other.col,
      'a tag is compared with text in quotes',
      'e.g. tag = "baseline", tag != "broken", tag ~ "lr-*"',
    );
  }
  switch (n.op) {
    case '=':
    case '!=':
      params.push(other.value);
      return `(${n.op === '!=' ? 'NOT ' : ''}${HAS_TAG} AND t.tag = ?))`;
    case '~': {
      const glob = dialect.glob('t.tag', other.value);
      params.push(glob.value);
      return `(${HAS_TAG} AND ${glob.sql}))`;
    }
    default:
      throw tagOpError(n);
  }
}

function tagOpError(n: Extract<WhereNode, { kind: 'compare' }>): Error {
  return whereError(
    n.col,
    `"${n.op}" does not apply to tags: a run has a tag or not`,
    'use tag = "T", tag != "T" or tag ~ "pattern*"',
  );
}

const isTagField = (o: WhereOperand): boolean => o.kind === 'field' && o.name === 'tag';

const METRIC_PREFIXES = ['final', 'last', 'best', 'min', 'max', 'count'] as const;
type MetricPrefix = (typeof METRIC_PREFIXES)[number];

function metricColumn(prefix: MetricPrefix, goal: MetricGoal): { column: string; desc: boolean } {
  switch (prefix) {
    case 'final':
    case 'last':
      return { column: 'last_value', desc: goal === 'maximize' };
    case 'best':
      return goal === 'minimize'
        ? { column: 'min_value', desc: false }
        : { column: 'max_value', desc: true };
    case 'min':
      return { column: 'min_value', desc: false };
    case 'max':
      return { column: 'max_value', desc: true };
    case 'count':
      return { column: 'count', desc: true };
  }
}

/** Resolves names against one store; candidate lists are read only when a name is unknown. */
export class FieldResolver {
  readonly #catalog: FieldCatalog;
  readonly dialect: FieldDialect;
  constructor(catalog: FieldCatalog, dialect: FieldDialect = SQLITE_FIELDS) {
    this.#catalog = catalog;
    this.dialect = dialect;
  }

  /** `col` is the 1-based column in a --where expression; undefined for a --sort key. */
  resolve(name: string, col: number | undefined): ResolvedField {
    const run = RUN_FIELDS[name];
    if (run) {
      const sql = run.sql === 'STARTED_ISO' ? this.dialect.startedIso : run.sql;
      return { sql, params: [], defaultDescending: run.desc };
    }
    const colon = name.indexOf(':');
    if (colon > 0) {
      const prefix = name.slice(0, colon);
      const rest = name.slice(colon + 1);
      if (prefix === 'param') {
        if (this.#paramExists(rest)) return this.#param(rest);
        throw this.#unknown(name, col);
      }
      if ((METRIC_PREFIXES as readonly string[]).includes(prefix)) {
        const metric = this.#metric(prefix as MetricPrefix, rest);
        if (metric) return metric;
        throw this.#unknown(name, col);
      }
    }
    const metric = this.#metric('final', name);
    if (metric) return metric;
    if (this.#paramExists(name)) return this.#param(name);
    throw this.#unknown(name, col);
  }

  #metric(prefix: MetricPrefix, key: string): ResolvedField | undefined {
    const found = this.#catalog.metricKey(key);
    if (!found) return undefined;
    const { column, desc } = metricColumn(prefix, found.goal);
    return {
      sql: `(SELECT ${column} FROM run_metric_summary WHERE run_id = r.id AND key_id = ?)`,
      params: [found.id],
      defaultDescending: desc,
    };
  }

  #param(key: string): ResolvedField {
    return {
      sql: '(SELECT value FROM params WHERE run_id = r.id AND key = ?)',
      params: [key],
      defaultDescending: false,
      param: true,
    };
  }

  #paramExists(key: string): boolean {
    return this.#catalog.paramExists(key);
  }

  #unknown(name: string, col: number | undefined): Error {
    const metricKeys = this.#catalog.metricKeys();
    const paramKeys = this.#catalog.paramKeys();
    const candidates = [
      ...Object.keys(RUN_FIELDS),
      ...metricKeys,
      ...metricKeys.flatMap((k) => METRIC_PREFIXES.map((p) => `${p}:${k}`)),
      ...paramKeys,
    ];
    // A bare last segment (`learningRate`) most likely means the param that ends with it.
    const bySuffix = paramKeys.filter((k) => k.endsWith(`.${name}`));
    const suggestion = bySuffix.length === 1 ? bySuffix[0] : closestMatch(name, candidates);
    const known = `fields: run facts (${Object.keys(RUN_FIELDS).join(', ')}), metrics (${
      metricKeys.slice(0, 6).join(', ') || 'none recorded yet'
    }; prefix best: min: max: count:), config params (${paramKeys.slice(0, 3).join(', ') || 'none'}...)`;
    const message = `unknown field "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
    return col === undefined
      ? new UsageError(`--sort: ${message}`, { hint: known })
      : whereError(col, message, known);
  }
}

export interface CompiledSql {
  readonly sql: string;
  readonly params: readonly unknown[];
}

const SQL_OPS = {
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '=': '=',
  '!=': '!=',
  '~': 'GLOB',
} as const;

/**
 * Compile a `--where` expression to an SQL condition over `runs r`, values bound as
 * parameters. A comparison with a field the run lacks is false (so `not` includes the run).
 */
export function compileWhere(source: string, resolver: FieldResolver): CompiledSql {
  const tree = parseWhere(source);
  const params: unknown[] = [];
  const { dialect } = resolver;
  const isParam = (o: WhereOperand): boolean =>
    o.kind === 'field' && resolver.resolve(o.name, o.col).param === true;
  /** `other`: the operand compared with this one (a param makes a literal a JSON value). */
  const operand = (o: WhereOperand, other: WhereOperand): string => {
    switch (o.kind) {
      case 'field': {
        const field = resolver.resolve(o.name, o.col);
        params.push(...field.params);
        return field.sql;
      }
      case 'number':
      case 'string':
        if (isParam(other)) {
          const bound = dialect.paramLiteral(o.value);
          params.push(bound.value);
          return bound.sql;
        }
        params.push(o.value);
        return '?';
      case 'bool': {
        const bound = dialect.paramLiteral(o.value);
        params.push(bound.value);
        return bound.sql;
      }
      case 'null':
        return 'NULL';
    }
  };
  const node = (n: WhereNode): string => {
    switch (n.kind) {
      case 'and':
      case 'or':
        return `(${node(n.left)} ${n.kind.toUpperCase()} ${node(n.right)})`;
      case 'not':
        return `(NOT ${node(n.operand)})`;
      case 'compare': {
        if (isTagField(n.left) || isTagField(n.right)) return tagCondition(n, dialect, params);
        checkStatusLiteral(n.left, n.right);
        checkStatusLiteral(n.right, n.left);
        if (n.op === '~' && n.right.kind === 'string') {
          const left = operand(n.left, n.right);
          const glob = dialect.glob(left, n.right.value);
          params.push(glob.value);
          return `coalesce((${glob.sql}), ${dialect.falseValue})`;
        }
        const left = operand(n.left, n.right);
        const right = operand(n.right, n.left);
        if (n.left.kind === 'null' || n.right.kind === 'null') {
          const other = n.left.kind === 'null' ? right : left;
          return `(${other} ${n.op === '=' ? 'IS' : 'IS NOT'} NULL)`;
        }
        return `coalesce((${left} ${SQL_OPS[n.op]} ${right}), ${dialect.falseValue})`;
      }
    }
  };
  return { sql: node(tree), params };
}

function checkStatusLiteral(field: WhereOperand, literal: WhereOperand): void {
  if (field.kind !== 'field' || field.name !== 'status' || literal.kind !== 'string') return;
  if ((RUN_STATUSES as readonly string[]).includes(literal.value)) return;
  const suggestion = closestMatch(literal.value, RUN_STATUSES);
  throw whereError(
    literal.col,
    `unknown status "${literal.value}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
    `statuses: ${RUN_STATUSES.join(', ')}`,
  );
}

/**
 * `--sort KEY[:asc|:desc]` (or `-KEY` for descending) → an ORDER BY clause; runs lacking
 * the field come last, ties newest first.
 */
export function compileSort(sort: string, resolver: FieldResolver): CompiledSql {
  let key = sort.trim();
  let direction: 'asc' | 'desc' | undefined;
  const suffix = /:(asc|desc)$/i.exec(key);
  if (suffix) {
    direction = suffix[1]!.toLowerCase() as 'asc' | 'desc';
    key = key.slice(0, -suffix[0].length);
  } else if (key.startsWith('-')) {
    direction = 'desc';
    key = key.slice(1);
  }
  let field: ResolvedField;
  try {
    field = resolver.resolve(key, 1);
  } catch (error) {
    if (error instanceof Error)
      error.message = error.message.replace('--where, column 1', '--sort');
    throw error;
  }
  const desc = direction === undefined ? field.defaultDescending : direction === 'desc';
  return {
    sql: `(${field.sql}) IS NULL, ${field.sql} ${desc ? 'DESC' : 'ASC'}, r.id DESC`,
    params: [...field.params, ...field.params],
  };
}
