import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { BUSY_HINT, isBusy, messageOf } from './open-store.js';
import { metricKeyId, unknownRun } from './run-records.js';
import type { MetricWriter, MetricWriterStats } from './types.js';

const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_MAX_PENDING = 50_000;
/** How many more times `close` tries a store that stays locked beyond the busy timeout. */
const CLOSE_ATTEMPTS = 5;

export interface MetricWriterSettings {
  readonly flushIntervalMs: number;
  readonly maxPending: number;
  readonly now: () => number;
}

/** Per key, what one flush learnt: merged into `run_metric_summary` with one upsert. */
interface KeyBatch {
  count: number;
  lastStep: number;
  lastEpoch: number;
  lastValue: number | null;
  lastT: number;
  minValue: number | null;
  minStep: number | null;
  maxValue: number | null;
  maxStep: number | null;
}

/**
 * Buffers values in columnar arrays and writes them in one IMMEDIATE transaction per
 * flush: the values, one summary upsert per key, and the run's heartbeat. Automatic
 * flushes fall between steps, so every step is written whole or not at all. A store held
 * locked beyond the busy timeout keeps the values queued for the next flush.
 */
export function createMetricWriter(
  db: Database,
  runId: number,
  settings: Partial<MetricWriterSettings> & { readonly now: () => number },
): MetricWriter {
  const run = db.prepare('SELECT started_at FROM runs WHERE id = ?').get(runId) as
    { started_at: number } | undefined;
  if (!run) throw unknownRun(runId);
  const startedAt = run.started_at;
  const { now } = settings;
  const flushIntervalMs = settings.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const maxPending = settings.maxPending ?? DEFAULT_MAX_PENDING;

  const insertValue = db.prepare(
    // The first value of a (key, step) stays, as the PostgreSQL writer's ON CONFLICT DO NOTHING:
    // a step written again (a resumed run's kept step) neither replaces it nor counts twice.
    'INSERT OR IGNORE INTO metric_values (run_id, key_id, step, epoch, value, t) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const upsertSummary = db.prepare(`
    INSERT INTO run_metric_summary
      (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, key_id) DO UPDATE SET
      count = count + excluded.count,
      last_value = CASE WHEN excluded.last_step >= last_step THEN excluded.last_value ELSE last_value END,
      last_epoch = CASE WHEN excluded.last_step >= last_step THEN excluded.last_epoch ELSE last_epoch END,
      last_t = CASE WHEN excluded.last_step >= last_step THEN excluded.last_t ELSE last_t END,
      last_step = max(last_step, excluded.last_step),
      min_step = CASE WHEN excluded.min_value IS NOT NULL AND (min_value IS NULL OR excluded.min_value < min_value)
                      THEN excluded.min_step ELSE min_step END,
      min_value = CASE WHEN excluded.min_value IS NOT NULL AND (min_value IS NULL OR excluded.min_value < min_value)
                       THEN excluded.min_value ELSE min_value END,
      max_step = CASE WHEN excluded.max_value IS NOT NULL AND (max_value IS NULL OR excluded.max_value > max_value)
                      THEN excluded.max_step ELSE max_step END,
      max_value = CASE WHEN excluded.max_value IS NOT NULL AND (max_value IS NULL OR excluded.max_value > max_value)
                       THEN excluded.max_value ELSE max_value END`);
  const touch = db.prepare('UPDATE runs SET updated_at = ? WHERE id = ?');

  // Columnar queue: no object per value on the hot path.
  let keys: string[] = [];
  let steps: number[] = [];
  let epochs: number[] = [];
  let values: (number | null)[] = [];
  let times: number[] = [];
  const keyIds = new Map<string, number>();
  let lastFlushAt = now();
  let closed = false;
  const stats = { written: 0, flushes: 0, retries: 0 };

  const write = db.transaction((): void => {
    const batches = new Map<string, KeyBatch>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let keyId = keyIds.get(key);
      if (keyId === undefined) keyIds.set(key, (keyId = metricKeyId(db, key)));
      const step = steps[i]!;
      const value = values[i]!;
      const t = times[i]!;
      if (insertValue.run(runId, keyId, step, epochs[i]!, value, t).changes === 0) continue;
      mergeIntoBatch(batches, key, step, epochs[i]!, value, t);
    }
    for (const [key, b] of batches) {
      upsertSummary.run(
        runId,
        keyIds.get(key)!,
        b.count,
        b.lastStep,
        b.lastEpoch,
        b.lastValue,
        b.lastT,
        b.minValue,
        b.minStep,
        b.maxValue,
        b.maxStep,
      );
    }
    touch.run(now(), runId);
  });

  /** One attempt; false when the store stayed locked beyond the busy timeout. */
  const tryFlush = (): boolean => {
    lastFlushAt = now();
    try {
      write.immediate();
    } catch (error) {
      if (isBusy(error)) {
        stats.retries++;
        return false;
      }
      throw new StoreError(`cannot write metrics of run ${runId}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    stats.written += keys.length;
    stats.flushes++;
    keys = [];
    steps = [];
    epochs = [];
    values = [];
    times = [];
    return true;
  };

  const writer: MetricWriter = {
    add(key, step, epoch, value, time) {
      if (closed) throw new StoreError(`the metric writer of run ${runId} is closed`);
      if (!Number.isSafeInteger(step) || !Number.isSafeInteger(epoch)) {
        throw new StoreError(
          `metric ${key} of run ${runId}: step and epoch must be integers, got step ${step}, epoch ${epoch}`,
        );
      }
      // A step's values (loss, accuracy, ...) land in one transaction: an automatic flush
      // happens only as the next step begins, so a kill between flushes never splits a step.
      // Past twice the pending cap, the queue is written even mid-step rather than grow.
      const newStep = keys.length > 0 && steps[steps.length - 1] !== step;
      if (
        (newStep && (keys.length >= maxPending || now() - lastFlushAt >= flushIntervalMs)) ||
        keys.length >= 2 * maxPending
      ) {
        tryFlush();
      }
      keys.push(key);
      steps.push(step);
      epochs.push(epoch);
      values.push(Number.isNaN(value) ? null : value);
      times.push(Math.round((time ?? now()) - startedAt));
    },
    async flush() {
      if (closed) return;
      tryFlush();
    },
    async close() {
      if (closed) return;
      for (let attempt = 0; attempt <= CLOSE_ATTEMPTS; attempt++) {
        if (tryFlush()) {
          closed = true;
          return;
        }
      }
      const lost = keys.length;
      throw new StoreError(
        `the run store stayed locked: ${lost} metric values of run ${runId} could not be written`,
        { hint: BUSY_HINT },
      );
    },
    get stats(): MetricWriterStats {
      return { pending: keys.length, ...stats };
    },
  };
  return writer;
}

function mergeIntoBatch(
  batches: Map<string, KeyBatch>,
  key: string,
  step: number,
  epoch: number,
  value: number | null,
  t: number,
): void {
  let b = batches.get(key);
  if (!b) {
    b = {
      count: 0,
      lastStep: step,
      lastEpoch: epoch,
      lastValue: value,
      lastT: t,
      minValue: null,
      minStep: null,
      maxValue: null,
      maxStep: null,
    };
    batches.set(key, b);
  }
  b.count++;
  if (step >= b.lastStep) {
    b.lastStep = step;
    b.lastEpoch = epoch;
    b.lastValue = value;
    b.lastT = t;
  }
  if (value === null) return;
  if (b.minValue === null || value < b.minValue || (value === b.minValue && step < b.minStep!)) {
    b.minValue = value;
    b.minStep = step;
  }
  if (b.maxValue === null || value > b.maxValue || (value === b.maxValue && step < b.maxStep!)) {
    b.maxValue = value;
    b.maxStep = step;
  }
}
