import type pg from 'pg';
import { StoreError } from '../../errors.js';
import { metricGoal } from '../metric-goal.js';
import type { MetricWriter, MetricWriterStats } from '../types.js';
import { isConnectionError } from './pg-dialect.js';
import { CHANGES_CHANNEL } from './pg-schema.js';

const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_MAX_PENDING = 50_000;
/** How long `close` keeps retrying an unreachable server before giving up (values are then reported lost). */
const CLOSE_RETRY_MS = 120_000;

/**
 * A whole flush in one statement: the values are inserted with ON CONFLICT DO NOTHING and
 * only the rows actually inserted feed the summary upsert, so a flush retried after a commit
 * whose answer was lost (server restart) writes nothing twice; the run's updated_at and the
 * notice to listeners go in the same statement. One statement is its own transaction: a
 * process frozen or gone mid-flush (SIGSTOP, a machine that vanished) leaves no transaction
 * open holding the run's row, which would block every other writer of that row (the worker
 * that marks the run lost) for as long as the session lives. As BEGIN, three statements and
 * COMMIT it did: each statement's answer waits for the training loop to yield, so the row
 * stayed locked across training steps, and for good under a SIGSTOP.
 */
const FLUSH_SQL = `
WITH v AS (
  SELECT * FROM unnest($2::integer[], $3::integer[], $4::integer[], $5::double precision[], $6::bigint[])
    AS v(key_id, step, epoch, value, t)
), ins AS (
  INSERT INTO metric_values (run_id, key_id, step, epoch, value, t)
  SELECT $1, key_id, step, epoch, value, t FROM v
  ON CONFLICT DO NOTHING
  RETURNING key_id, step, epoch, value, t
), b AS (
  SELECT key_id, count(*) AS n,
    (array_agg(step ORDER BY step DESC))[1] AS last_step,
    (array_agg(epoch ORDER BY step DESC))[1] AS last_epoch,
    (array_agg(value ORDER BY step DESC))[1] AS last_value,
    (array_agg(t ORDER BY step DESC))[1] AS last_t,
    min(value) AS min_value,
    (array_agg(step ORDER BY value ASC, step ASC) FILTER (WHERE value IS NOT NULL))[1] AS min_step,
    max(value) AS max_value,
    (array_agg(step ORDER BY value DESC, step ASC) FILTER (WHERE value IS NOT NULL))[1] AS max_step
  FROM ins GROUP BY key_id
), summary AS (
INSERT INTO run_metric_summary AS s
  (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
SELECT $1, key_id, n, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step FROM b
ON CONFLICT (run_id, key_id) DO UPDATE SET
  count = s.count + excluded.count,
  last_value = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_value ELSE s.last_value END,
  last_epoch = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_epoch ELSE s.last_epoch END,
  last_t = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_t ELSE s.last_t END,
  last_step = greatest(s.last_step, excluded.last_step),
  min_step = CASE WHEN excluded.min_value IS NOT NULL AND (s.min_value IS NULL OR excluded.min_value < s.min_value)
                  THEN excluded.min_step ELSE s.min_step END,
  min_value = CASE WHEN excluded.min_value IS NOT NULL AND (s.min_value IS NULL OR excluded.min_value < s.min_value)
                   THEN excluded.min_value ELSE s.min_value END,
  max_step = CASE WHEN excluded.max_value IS NOT NULL AND (s.max_value IS NULL OR excluded.max_value > s.max_value)
                  THEN excluded.max_step ELSE s.max_step END,
  max_value = CASE WHEN excluded.max_value IS NOT NULL AND (s.max_value IS NULL OR excluded.max_value > s.max_value)
                   THEN excluded.max_value ELSE s.max_value END
), touched AS (
  UPDATE runs SET updated_at = $7 WHERE id = $1
)
SELECT pg_notify($8, $9)`;

export interface PgMetricWriterSettings {
  readonly flushIntervalMs?: number;
  readonly maxPending?: number;
  readonly now: () => number;
}

/**
 * The PostgreSQL metric writer: `add` appends to columnar arrays (no I/O); a flush sends
 * them in one statement in the background. While the server is unreachable the values
 * stay queued and are sent when it is back; only `close` waits (and reports what it could
 * not write after two minutes).
 */
export function createPgMetricWriter(
  pool: pg.Pool,
  runId: number,
  startedAt: number,
  settings: PgMetricWriterSettings,
): MetricWriter {
  const { now } = settings;
  const flushIntervalMs = settings.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const maxPending = settings.maxPending ?? DEFAULT_MAX_PENDING;
  let keys: string[] = [];
  let steps: number[] = [];
  let epochs: number[] = [];
  let values: (number | null)[] = [];
  let times: number[] = [];
  const keyIds = new Map<string, number>();
  let lastFlushAt = now();
  let closed = false;
  let inFlight: Promise<boolean> | undefined;
  let failure: StoreError | undefined;
  const stats = { written: 0, flushes: 0, retries: 0 };

  const keyId = async (client: pg.PoolClient, key: string): Promise<number> => {
    let id = keyIds.get(key);
    if (id !== undefined) return id;
    await client.query(
      'INSERT INTO metric_keys (key, goal) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, metricGoal(key)],
    );
    id = (await client.query<{ id: number }>('SELECT id FROM metric_keys WHERE key = $1', [key]))
      .rows[0]!.id;
    keyIds.set(key, id);
    return id;
  };

  /** Sends what is queued now; false when the server was unreachable (values kept). */
  const send = async (): Promise<boolean> => {
    const count = keys.length;
    if (count === 0) return true;
    const batch = {
      keys: keys.slice(0, count),
      steps: steps.slice(0, count),
      epochs: epochs.slice(0, count),
      values: values.slice(0, count),
      times: times.slice(0, count),
    };
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      const ids: number[] = [];
      for (const key of batch.keys) ids.push(await keyId(client, key));
      // The notice is delivered at commit: a dashboard listening shows the points now.
      await client.query(FLUSH_SQL, [
        runId,
        ids,
        batch.steps,
        batch.epochs,
        batch.values,
        batch.times,
        Math.round(now()),
        CHANGES_CHANNEL,
        String(runId),
      ]);
    } catch (error) {
      if (client) {
        client.release(isConnectionError(error) ? true : undefined);
        client = undefined;
      }
      if (isConnectionError(error)) {
        stats.retries++;
        return false;
      }
      throw new StoreError(`cannot write metrics of run ${runId}: ${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      client?.release();
    }
    // Values added while the batch was in flight stay queued for the next flush.
    keys = keys.slice(count);
    steps = steps.slice(count);
    epochs = epochs.slice(count);
    values = values.slice(count);
    times = times.slice(count);
    stats.written += count;
    stats.flushes++;
    return true;
  };

  const flushOnce = (): Promise<boolean> => {
    if (inFlight) return inFlight;
    lastFlushAt = now();
    inFlight = send()
      .catch((error: unknown) => {
        failure = error instanceof StoreError ? error : new StoreError(messageOf(error));
        return false;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const raise = (): void => {
    if (failure) {
      const error = failure;
      failure = undefined;
      throw error;
    }
  };

  return {
    add(key, step, epoch, value, time) {
      if (closed) throw new StoreError(`the metric writer of run ${runId} is closed`);
      if (!Number.isSafeInteger(step) || !Number.isSafeInteger(epoch)) {
        throw new StoreError(
          `metric ${key} of run ${runId}: step and epoch must be integers, got step ${step}, epoch ${epoch}`,
        );
      }
      // As on SQLite: an automatic flush starts only as a new step begins (the batch is
      // taken when the flush starts), so every step is written whole or not at all.
      const newStep = keys.length > 0 && steps[steps.length - 1] !== step;
      if (
        !inFlight &&
        ((newStep && (keys.length >= maxPending || now() - lastFlushAt >= flushIntervalMs)) ||
          keys.length >= 2 * maxPending)
      ) {
        void flushOnce();
      }
      keys.push(key);
      steps.push(step);
      epochs.push(epoch);
      values.push(Number.isNaN(value) ? null : value);
      times.push(Math.round((time ?? now()) - startedAt));
    },
    async flush() {
      if (closed) return;
      if (inFlight) await inFlight;
      await flushOnce();
      raise();
    },
    async close() {
      if (closed) return;
      const deadline = Date.now() + CLOSE_RETRY_MS;
      for (;;) {
        if (inFlight) await inFlight;
        raise();
        if (keys.length === 0) break;
        if (await flushOnce()) continue;
        raise();
        if (Date.now() > deadline) {
          throw new StoreError(
            `the PostgreSQL store stayed unreachable: ${keys.length} metric values of run ${runId} could not be written`,
            { hint: 'check the server; the run keeps every value written before' },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      closed = true;
    },
    get stats(): MetricWriterStats {
      return { pending: keys.length, ...stats };
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
