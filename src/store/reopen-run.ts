import type { Database } from 'better-sqlite3';
import type { RunRewind } from './types.js';
import { unknownRun } from './run-records.js';

/**
 * Reopens a run to continue it from a checkpoint, in one transaction:
 * status `running` again (end time and error cleared, the new pid), every
 * metric value recorded after the checkpoint's step dropped (and those at
 * that step but for `keepAtStep`, e.g. an evaluation the crash cut short),
 * and the run's metric summaries rebuilt from what stays.
 */
export function reopenRun(db: Database, runId: number, rewind: RunRewind, now: number): void {
  const write = db.transaction(() => {
    const result = db
      .prepare(
        `UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, diverged_at_step = NULL,
           updated_at = ?, pid = ?, pid_started_at = ? WHERE id = ?`,
      )
      .run(now, rewind.pid, rewind.pidStartedAt ?? null, runId);
    if (result.changes === 0) throw unknownRun(runId);
    const keep = JSON.stringify(rewind.keepAtStep);
    db.prepare(
      `DELETE FROM metric_values WHERE run_id = ? AND (step > ? OR (step = ? AND key_id NOT IN
         (SELECT id FROM metric_keys WHERE key IN (SELECT value FROM json_each(?)))))`,
    ).run(runId, rewind.afterStep, rewind.afterStep, keep);
    db.prepare('DELETE FROM run_metric_summary WHERE run_id = ?').run(runId);
    db.prepare(
      `INSERT INTO run_metric_summary
         (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
       SELECT g.run_id, g.key_id, g.n, l.step, l.epoch, l.value, l.t,
         g.mn, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mn),
         g.mx, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mx)
       FROM (SELECT run_id, key_id, count(*) AS n, max(step) AS last, min(value) AS mn, max(value) AS mx
             FROM metric_values WHERE run_id = ? GROUP BY run_id, key_id) AS g
       JOIN metric_values AS l ON l.run_id = g.run_id AND l.key_id = g.key_id AND l.step = g.last`,
    ).run(runId);
  });
  write.immediate();
}
