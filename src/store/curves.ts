import type { Database } from 'better-sqlite3';
import { findMetricKey, selectByIds } from './run-records.js';
import type { CurveOptions, CurvePoint } from './types.js';
import { downsample } from './downsample.js';

/**
 * One metric of one run, by step: a range scan of the `metric_values` primary key
 * (run_id, key_id, step), so a 10,000-point curve reads in a few milliseconds.
 */
export function readCurve(
  db: Database,
  runId: number,
  key: string,
  options: CurveOptions,
): CurvePoint[] {
  const metric = findMetricKey(db, key);
  if (!metric) return [];
  const run = db.prepare('SELECT started_at FROM runs WHERE id = ?').get(runId) as
    { started_at: number } | undefined;
  if (!run) return [];
  const rows = db
    .prepare(
      `SELECT step, epoch, value, t FROM metric_values
       WHERE run_id = ? AND key_id = ? AND step > ? ORDER BY step`,
    )
    .raw()
    .all(runId, metric.id, options.afterStep ?? -Number.MAX_SAFE_INTEGER) as [
    number,
    number,
    number | null,
    number,
  ][];
  const points = rows.map(([step, epoch, value, t]) => ({
    step,
    epoch,
    value,
    time: run.started_at + t,
  }));
  return options.maxPoints === undefined ? points : downsample(points, options.maxPoints);
}

export function readMetricKeys(db: Database, runId: number): string[] {
  return db
    .prepare(
      `SELECT k.key FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = ? ORDER BY k.key`,
    )
    .pluck()
    .all(runId) as string[];
}

export function readMetricAtEpoch(
  db: Database,
  runIds: readonly number[],
  key: string,
  epoch: number,
): Map<number, number> {
  const metric = findMetricKey(db, key);
  const out = new Map<number, number>();
  if (!metric) return out;
  const rows = selectByIds<{ run_id: number; value: number | null }>(
    db,
    `SELECT v.run_id, v.value FROM metric_values v
     WHERE v.run_id IN (SELECT value FROM json_each(?)) AND v.key_id = ${metric.id} AND v.epoch = ${Math.floor(epoch)}
     ORDER BY v.run_id, v.step`,
    runIds,
  );
  for (const row of rows) if (row.value !== null) out.set(row.run_id, row.value);
  return out;
}
