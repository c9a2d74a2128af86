import type { Database } from 'better-sqlite3';
import { unknownRun } from './run-records.js';
import type { EvaluationRecord, NewEvaluation } from './types.js';

/** An `evaluations` row as both stores return it. */
export interface EvaluationRow {
  readonly id: number;
  readonly run_id: number;
  readonly kind: EvaluationRecord['kind'];
  readonly checkpoint: EvaluationRecord['checkpoint'];
  readonly split: string;
  readonly data_json: string;
  readonly example_count: number;
  readonly metrics_json: string;
  readonly classes_json: string | null;
  readonly confusion_json: string | null;
  readonly created_at: number;
}

/** Inserts one evaluation row linked to its run; an unknown run is a StoreError. */
export function insertEvaluation(db: Database, evaluation: NewEvaluation, now: number): number {
  const exists = db.prepare('SELECT 1 FROM runs WHERE id = ?').get(evaluation.runId);
  if (exists === undefined) throw unknownRun(evaluation.runId);
  const result = db
    .prepare(
      `INSERT INTO evaluations (run_id, kind, checkpoint, split, data_json, example_count,
         metrics_json, classes_json, confusion_json, created_at)
       VALUES (@runId, @kind, @checkpoint, @split, @data, @count, @metrics, @classes, @confusion, @now)`,
    )
    .run({
      runId: evaluation.runId,
      kind: evaluation.kind,
      checkpoint: evaluation.checkpoint,
      split: evaluation.split,
      data: JSON.stringify(evaluation.data ?? null),
      count: evaluation.count,
      // JSON has no NaN or Infinity: a metric that is not finite is recorded as null.
      metrics: JSON.stringify(evaluation.metrics, (_key, value: unknown) =>
        typeof value === 'number' && !Number.isFinite(value) ? null : value,
      ),
      classes: evaluation.classes === undefined ? null : JSON.stringify(evaluation.classes),
      confusion: evaluation.confusion === undefined ? null : JSON.stringify(evaluation.confusion),
      now,
    });
  return Number(result.lastInsertRowid);
}

/** The run's evaluations, oldest first. */
export function loadEvaluations(db: Database, runId: number): EvaluationRecord[] {
  const rows = db
    .prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY id')
    .all(runId) as EvaluationRow[];
  return rows.map(evaluationFromRow);
}

/** One stored row as the record the Store interface returns (shared by both stores). */
export function evaluationFromRow(row: EvaluationRow): EvaluationRecord {
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    checkpoint: row.checkpoint,
    split: row.split,
    data: JSON.parse(row.data_json) as unknown,
    count: row.example_count,
    metrics: JSON.parse(row.metrics_json) as Record<string, number>,
    ...(row.classes_json === null
      ? {}
      : { classes: JSON.parse(row.classes_json) as readonly string[] }),
    ...(row.confusion_json === null
      ? {}
      : { confusion: JSON.parse(row.confusion_json) as readonly (readonly number[])[] }),
    createdAt: row.created_at,
  };
}
