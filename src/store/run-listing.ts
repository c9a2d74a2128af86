import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { EPOCH_MEANS, isRankedMetric } from './metric-goal.js';
import { loadTags } from './run-labels.js';
import { compileSort, compileWhere, FieldResolver, sqliteCatalog } from './run-fields.js';
import {
  loadMetricSummaries,
  loadParams,
  selectByIds,
  SUMMARY_COLUMNS,
  toRunSummary,
} from './run-records.js';
import type { SummaryRow } from './run-records.js';
import type {
  MetricComparison,
  MetricGoal,
  ParamValue,
  RunComparison,
  RunFilter,
  RunSummary,
} from './types.js';

interface FilterSql {
  readonly where: string;
  readonly params: unknown[];
  readonly resolver: FieldResolver;
}

function filterSql(db: Database, filter: RunFilter): FilterSql {
  const resolver = new FieldResolver(sqliteCatalog(db));
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.ids !== undefined) {
    conditions.push('r.id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.ids));
  }
  if (filter.sweepId !== undefined) {
    conditions.push('r.sweep_id = ?');
    params.push(filter.sweepId);
  }
  if (filter.status !== undefined) {
    const statuses = typeof filter.status === 'string' ? [filter.status] : filter.status;
    const lost = JSON.stringify(filter.lostRunIds ?? []);
    // A run found lost is `lost`, whatever its row says.
    conditions.push(
      `((r.status IN (SELECT value FROM json_each(?)) AND r.id NOT IN (SELECT value FROM json_each(?)))` +
        ` OR (? AND r.id IN (SELECT value FROM json_each(?))))`,
    );
    params.push(JSON.stringify(statuses), lost, statuses.includes('lost') ? 1 : 0, lost);
  }
  if (filter.tag !== undefined) {
    conditions.push('EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag = ?)');
    params.push(filter.tag);
  }
  if (filter.where !== undefined && filter.where.trim() !== '') {
    const compiled = compileWhere(filter.where, resolver);
    conditions.push(compiled.sql);
    params.push(...compiled.params);
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params, resolver };
}

/** Runs matching the filter, sorted, with their metric summaries (no metric scan). */
export function listRuns(db: Database, filter: RunFilter): RunSummary[] {
  const { where, params, resolver } = filterSql(db, filter);
  const order = filter.sort
    ? compileSort(filter.sort, resolver)
    : { sql: 'r.started_at DESC, r.id DESC', params: [] };
  const limit = filter.limit && filter.limit > 0 ? Math.floor(filter.limit) : -1;
  const offset = filter.offset && filter.offset > 0 ? Math.floor(filter.offset) : 0;
  const rows = db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM runs r ${where} ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
    )
    .all(...params, ...order.params, limit, offset) as SummaryRow[];
  const metrics = loadMetricSummaries(db, rows);
  const tags = loadTags(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toRunSummary(row, metrics.get(row.id), tags.get(row.id)));
}

export function countRuns(db: Database, filter: RunFilter): number {
  const { where, params } = filterSql(db, filter);
  return (db.prepare(`SELECT count(*) AS n FROM runs r ${where}`).get(...params) as { n: number })
    .n;
}

/** Metric keys in the order people read them: evaluation first, then training, then the rest. */
function metricOrder(key: string): [number, string] {
  const rank = key.startsWith('test/')
    ? 0
    : key.startsWith('val/')
      ? 1
      : key.startsWith('train/')
        ? 2
        : 3;
  return [rank, key];
}

export function sortMetricKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort((a, b) => {
    const [ra, ka] = metricOrder(a);
    const [rb, kb] = metricOrder(b);
    return ra - rb || ka.localeCompare(kb);
  });
}

/** Index of the one strictly best value; null when there is none or the best is shared. */
export function winnerIndex(values: readonly (number | null)[], goal: MetricGoal): number | null {
  let best: number | null = null;
  let index: number | null = null;
  let shared = false;
  values.forEach((value, i) => {
    if (value === null || Number.isNaN(value)) return;
    if (best === null || (goal === 'minimize' ? value < best : value > best)) {
      best = value;
      index = i;
      shared = false;
    } else if (value === best) {
      shared = true;
    }
  });
  return shared ? null : index;
}

export function compareRuns(db: Database, runIds: readonly number[]): RunComparison {
  const ids = [...new Set(runIds)];
  const rows = selectByIds<SummaryRow>(
    db,
    `SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.id IN (SELECT value FROM json_each(?))`,
    ids,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw new StoreError(`no run with id ${missing.join(', ')} in the store`, {
      hint: 'list the runs with `runner runs ls`',
    });
  }
  const ordered = ids.map((id) => byId.get(id)!);
  const summaries = loadMetricSummaries(db, ordered);
  const tags = loadTags(db, ids);
  const runs = ordered.map((row) => toRunSummary(row, summaries.get(row.id), tags.get(row.id)));
  return buildComparison(ids, runs, loadParams(db, ids));
}

/** The comparison of runs already read (in the order of `ids`): the same on every store. */
export function buildComparison(
  ids: readonly number[],
  runs: readonly RunSummary[],
  paramsByRun: ReadonlyMap<number, Readonly<Record<string, ParamValue>>>,
): RunComparison {
  const paramKeys = [
    ...new Set(ids.flatMap((id) => Object.keys(paramsByRun.get(id) ?? {}))),
  ].sort();
  const params: { key: string; values: (ParamValue | undefined)[] }[] = [];
  for (const key of paramKeys) {
    const values = ids.map((id) => paramsByRun.get(id)?.[key]);
    const first = JSON.stringify(values[0] ?? '\u0000missing');
    if (values.some((v) => JSON.stringify(v ?? '\u0000missing') !== first))
      params.push({ key, values });
  }

  // Per-step train/loss and train/accuracy compare as their epoch means, where every run has them.
  const hasMean = (key: string): boolean => {
    const mean = EPOCH_MEANS[key];
    return mean !== undefined && runs.every((r) => r.metrics[mean] !== undefined);
  };
  const metrics: MetricComparison[] = sortMetricKeys(runs.flatMap((r) => Object.keys(r.metrics)))
    .filter((key) => !hasMean(key))
    .map((key) => {
      const goal = runs.map((r) => r.metrics[key]?.goal).find((g) => g !== undefined) ?? 'maximize';
      const final = runs.map((r) => r.metrics[key]?.last.value ?? null);
      const best = runs.map((r) => r.metrics[key]?.best?.value ?? null);
      const ranked = isRankedMetric(key);
      return {
        key,
        goal,
        final,
        best,
        finalWinner: ranked ? winnerIndex(final, goal) : null,
        bestWinner: ranked ? winnerIndex(best, goal) : null,
      };
    });
  return { runs, params, metrics };
}

/**
 * The param keys whose values differ among these runs (a run lacking a key counts as
 * different), in key order: the "key params" of a listing.
 *
 * @example varyingParams([{lr: 0.1, bs: 64}, {lr: 0.01, bs: 64}]) // → ['lr']
 */
export function varyingParams(params: readonly Readonly<Record<string, ParamValue>>[]): string[] {
  if (params.length < 2) return [];
  const keys = new Set(params.flatMap((p) => Object.keys(p)));
  return [...keys]
    .filter((key) => {
      const first = params[0]![key];
      return params.some((p) => !(key in p) || p[key] !== first);
    })
    .sort();
}
