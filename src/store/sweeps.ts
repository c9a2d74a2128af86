import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import type { MetricGoal, NewSweep, SweepRecord, SweepStatus } from './types.js';

/** A `sweeps` row as both stores return it. */
export interface SweepRow {
  id: number;
  name: string;
  status: SweepStatus;
  config_yaml: string;
  definition_json: string;
  metric: string;
  goal: MetricGoal;
  trial_count: number;
  started_at: number;
  ended_at: number | null;
  /** Null only in a row written by a runner older than the column (migrations fill it). */
  updated_at: number | null;
  host: string;
}

export function insertSweep(db: Database, sweep: NewSweep, now: number): number {
  return Number(
    db
      .prepare(
        `INSERT INTO sweeps (name, status, config_yaml, definition_json, metric, goal, trial_count, started_at, updated_at, host)
         VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sweep.name,
        sweep.configYaml,
        JSON.stringify(sweep.definition),
        sweep.metric,
        sweep.goal,
        sweep.trialCount,
        now,
        now,
        sweep.host,
      ).lastInsertRowid,
  );
}

/** One stored row as the record the Store interface returns (shared by both stores). */
export function toSweepRecord(row: SweepRow): SweepRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    configYaml: row.config_yaml,
    definition: JSON.parse(row.definition_json) as unknown,
    metric: row.metric,
    goal: row.goal,
    trialCount: row.trial_count,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    updatedAt: row.updated_at ?? row.ended_at ?? row.started_at,
    host: row.host,
  };
}

export function loadSweep(db: Database, sweepId: number): SweepRecord | undefined {
  const row = db.prepare('SELECT * FROM sweeps WHERE id = ?').get(sweepId) as SweepRow | undefined;
  return row && toSweepRecord(row);
}

export function loadSweeps(db: Database): SweepRecord[] {
  return (db.prepare('SELECT * FROM sweeps ORDER BY id DESC').all() as SweepRow[]).map(
    toSweepRecord,
  );
}

export function updateSweepStatus(
  db: Database,
  sweepId: number,
  status: SweepStatus,
  now: number,
): void {
  const result = db
    .prepare('UPDATE sweeps SET status = ?, ended_at = ?, updated_at = ? WHERE id = ?')
    .run(status, status === 'running' ? null : now, now, sweepId);
  if (result.changes === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
}

export function updateSweepDefinition(
  db: Database,
  sweepId: number,
  definition: object,
  now: number,
): void {
  const result = db
    .prepare('UPDATE sweeps SET definition_json = ?, updated_at = ? WHERE id = ?')
    .run(JSON.stringify(definition), now, sweepId);
  if (result.changes === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
}

export function touchSweep(db: Database, sweepId: number, now: number): void {
  const result = db.prepare('UPDATE sweeps SET updated_at = ? WHERE id = ?').run(now, sweepId);
  if (result.changes === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
}
