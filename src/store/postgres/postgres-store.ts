import pg from 'pg';
import { StoreError } from '../../errors.js';
import { downsample } from '../downsample.js';
import { evaluationFromRow, type EvaluationRow } from '../evaluations.js';
import { toSweepRecord, type SweepRow } from '../sweeps.js';
import { buildComparison } from '../run-listing.js';
import { checkNote, checkTags } from '../run-labels.js';
import { compileSort, compileWhere, FieldResolver, type FieldCatalog } from '../run-fields.js';
import {
  SUMMARY_COLUMNS,
  toMetricSummary,
  toRunSummary,
  unknownRun,
  type MetricSummaryRow,
  type RunRow,
  type SummaryRow,
} from '../run-records.js';
import type {
  CurveOptions,
  CurvePoint,
  EvaluationRecord,
  MetricGoal,
  MetricSummary,
  MetricWriter,
  MetricWriterOptions,
  NewEvaluation,
  NewRun,
  NewSweep,
  ParamValue,
  QueryResult,
  QueryRows,
  RunComparison,
  RunDetail,
  RunFacts,
  RunFilter,
  RunOutcome,
  RunRewind,
  RunSummary,
  Store,
  SweepRecord,
  SweepStatus,
} from '../types.js';
import { ID_IN, PG_FIELDS, TEXT_IN, toJsonParam, toPgSql } from './pg-dialect.js';
import { startHeartbeatThread } from '../heartbeat-thread.js';
import { createPgMetricWriter } from './pg-metric-writer.js';
import { runPgReadOnlyQuery } from './pg-read-only-query.js';
import { CHANGES_CHANNEL, PG_SCHEMA_VERSION } from './pg-schema.js';

export interface PostgresStoreSettings {
  /** The URL with its password as `***`. */
  readonly path: string;
  readonly readonly: boolean;
  readonly now: () => number;
  readonly queryTimeoutMs: number;
}

type Queryable = pg.Pool | pg.PoolClient;

/** First key of a sweep's advisory lock (any constant; "RUNS"), the sweep id the second. */
const SWEEP_LOCK = 0x52554e53;

/** `Store` over a pg.Pool, every statement in schema `runner` (the pool's search_path). */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly path: string;
  readonly readonly: boolean;
  readonly schemaVersion = PG_SCHEMA_VERSION;
  readonly #pool: pg.Pool;
  readonly #settings: PostgresStoreSettings;
  #closed = false;

  constructor(pool: pg.Pool, settings: PostgresStoreSettings) {
    this.#pool = pool;
    this.#settings = settings;
    this.path = settings.path;
    this.readonly = settings.readonly;
  }

  /** The pool, for the trial queue on the same database (pg-boss). */
  get pool(): pg.Pool {
    return this.#open;
  }

  get #open(): pg.Pool {
    if (this.#closed) throw new StoreError(`the run store ${this.path} is closed`);
    return this.#pool;
  }

  get #writable(): pg.Pool {
    if (this.readonly) {
      throw new StoreError(`the run store ${this.path} was opened read-only; it cannot be written`);
    }
    return this.#open;
  }

  async #rows<T extends pg.QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
    db: Queryable = this.#open,
  ): Promise<T[]> {
    return (await db.query<T>(toPgSql(sql), params as unknown[])).rows;
  }

  async #transaction<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#writable.connect();
    try {
      await client.query('BEGIN');
      const result = await use(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async createRun(run: NewRun): Promise<number> {
    const now = this.#settings.now();
    const tags = checkTags(run.tags ?? []);
    const note = checkNote(run.note ?? null);
    return this.#transaction(async (client) => {
      if (run.sweepId !== undefined) {
        const found = await this.#rows('SELECT 1 FROM sweeps WHERE id = ?', [run.sweepId], client);
        if (found.length === 0)
          throw new StoreError(`no sweep with id ${run.sweepId} in the store`);
      }
      const [row] = await this.#rows<{ id: number }>(
        `INSERT INTO runs (name, status, started_at, updated_at, config_yaml, config_json, config_hash, seed,
          backend, backend_reason, dataset, dataset_source, data_info, runner_version, tfjs_version, node_version,
          git_commit, host, pid, pid_started_at, artifacts_dir, sweep_id, trial_index, notices, note)
         VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          run.name,
          now,
          now,
          run.configYaml,
          JSON.stringify(run.config),
          run.configHash,
          run.seed,
          run.backend,
          run.backendReason ?? null,
          run.dataset,
          run.datasetSource ?? null,
          run.dataInfo === undefined ? null : JSON.stringify(run.dataInfo),
          run.versions.runner,
          run.versions.tfjs,
          run.versions.node,
          run.gitCommit ?? null,
          run.host,
          run.pid ?? null,
          run.pidStartedAt ?? null,
          run.artifactsDir ?? null,
          run.sweepId ?? null,
          run.trialIndex ?? null,
          JSON.stringify(run.notices ?? []),
          note,
        ],
        client,
      );
      const id = row!.id;
      if (tags.length > 0) {
        await client.query(
          'INSERT INTO tags (run_id, tag) SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING',
          [id, tags],
        );
      }
      if (run.params.length > 0) {
        await client.query(
          `INSERT INTO params (run_id, key, value)
           SELECT $1, k, v::jsonb FROM unnest($2::text[], $3::text[]) AS p(k, v)
           ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
          [id, run.params.map(([k]) => k), run.params.map(([, v]) => toJsonParam(v))],
        );
      }
      return id;
    });
  }

  async setRunFacts(runId: number, facts: RunFacts): Promise<void> {
    const columns: Record<string, string> = {
      name: 'name',
      backend: 'backend',
      backendReason: 'backend_reason',
      dataset: 'dataset',
      datasetSource: 'dataset_source',
      dataInfo: 'data_info',
      artifactsDir: 'artifacts_dir',
      gitCommit: 'git_commit',
      pid: 'pid',
      parameterCount: 'parameter_count',
    };
    await this.#transaction(async (client) => {
      const [row] = await this.#rows<{ notices: string }>(
        'SELECT notices FROM runs WHERE id = ? FOR UPDATE',
        [runId],
        client,
      );
      if (!row) throw unknownRun(runId);
      const sets = ['updated_at = ?'];
      const values: unknown[] = [this.#settings.now()];
      for (const [field, column] of Object.entries(columns)) {
        const value = facts[field as keyof RunFacts];
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        values.push(typeof value === 'object' ? JSON.stringify(value) : value);
      }
      if (facts.notices && facts.notices.length > 0) {
        sets.push('notices = ?');
        values.push(JSON.stringify([...(JSON.parse(row.notices) as string[]), ...facts.notices]));
      }
      await this.#rows(
        `UPDATE runs SET ${sets.join(', ')} WHERE id = ?`,
        [...values, runId],
        client,
      );
    });
  }

  async finishRun(runId: number, outcome: RunOutcome): Promise<void> {
    const now = this.#settings.now();
    // A lost attempt stays lost: its process may still end it later (a worker cut off, then back).
    const result = await this.#writable.query(
      `UPDATE runs SET status = $1, ended_at = $2, updated_at = $2, error = $3, diverged_at_step = $4,
         pruned_rung = $6, pruned_epoch = $7
         WHERE id = $5 AND (status <> 'lost' OR $1 = 'lost') RETURNING id`,
      [
        outcome.status,
        now,
        outcome.error ?? null,
        outcome.divergedAtStep ?? null,
        runId,
        outcome.prunedAt?.rung ?? null,
        outcome.prunedAt?.epoch ?? null,
      ],
    );
    if (result.rowCount === 0) {
      const found = await this.#writable.query('SELECT 1 FROM runs WHERE id = $1', [runId]);
      if (found.rowCount === 0) throw unknownRun(runId);
    }
    await this.#writable.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, String(runId)]);
  }

  /** As SqliteStore.reopenRun (store/reopen-run.ts), in one transaction. */
  async reopenRun(runId: number, rewind: RunRewind): Promise<void> {
    const now = this.#settings.now();
    await this.#transaction(async (client) => {
      const result = await client.query(
        `UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, diverged_at_step = NULL,
           updated_at = $1, pid = $2, pid_started_at = $3 WHERE id = $4`,
        [now, rewind.pid, rewind.pidStartedAt ?? null, runId],
      );
      if (result.rowCount === 0) throw unknownRun(runId);
      await client.query(
        `DELETE FROM metric_values WHERE run_id = $1 AND (step > $2 OR (step = $2 AND key_id NOT IN
           (SELECT id FROM metric_keys WHERE key = ANY($3::text[]))))`,
        [runId, rewind.afterStep, [...rewind.keepAtStep]],
      );
      await client.query('DELETE FROM run_metric_summary WHERE run_id = $1', [runId]);
      await client.query(
        `INSERT INTO run_metric_summary
           (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
         SELECT g.run_id, g.key_id, g.n, l.step, l.epoch, l.value, l.t,
           g.mn, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mn),
           g.mx, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mx)
         FROM (SELECT run_id, key_id, count(*) AS n, max(step) AS last, min(value) AS mn, max(value) AS mx
               FROM metric_values WHERE run_id = $1 GROUP BY run_id, key_id) AS g
         JOIN metric_values AS l ON l.run_id = g.run_id AND l.key_id = g.key_id AND l.step = g.last`,
        [runId],
      );
    });
  }

  async tagRun(runId: number, tags: readonly string[]): Promise<string[]> {
    return this.#changeTags(runId, tags, 'add');
  }

  async untagRun(runId: number, tags: readonly string[]): Promise<string[]> {
    return this.#changeTags(runId, tags, 'remove');
  }

  /** As SqliteStore's (store/run-labels.ts); `updated_at` is a heartbeat and stays. */
  async #changeTags(
    runId: number,
    tags: readonly string[],
    change: 'add' | 'remove',
  ): Promise<string[]> {
    const checked = checkTags(tags);
    return this.#transaction(async (client) => {
      const found = await this.#rows('SELECT 1 FROM runs WHERE id = ? FOR UPDATE', [runId], client);
      if (found.length === 0) throw unknownRun(runId);
      await client.query(
        change === 'add'
          ? 'INSERT INTO tags (run_id, tag) SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING'
          : 'DELETE FROM tags WHERE run_id = $1 AND tag = ANY($2::text[])',
        [runId, checked],
      );
      return (await this.#tags([runId], client)).get(runId) ?? [];
    });
  }

  async setRunNote(runId: number, note: string | null): Promise<void> {
    const result = await this.#writable.query('UPDATE runs SET note = $1 WHERE id = $2', [
      checkNote(note),
      runId,
    ]);
    if (result.rowCount === 0) throw unknownRun(runId);
  }

  /** The tags of these runs, each list sorted; runs without tags are absent. */
  async #tags(
    runIds: readonly number[],
    db: Queryable = this.#open,
  ): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (runIds.length === 0) return out;
    const rows = await this.#rows<{ run_id: number; tag: string }>(
      `SELECT run_id, tag FROM tags WHERE run_id ${ID_IN} ORDER BY run_id, tag`,
      [[...runIds]],
      db,
    );
    for (const row of rows) {
      const list = out.get(row.run_id);
      if (list) list.push(row.tag);
      else out.set(row.run_id, [row.tag]);
    }
    return out;
  }

  async storeId(): Promise<string | null> {
    const [row] = await this.#rows<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'store_id'",
      [],
    );
    return row?.value ?? null;
  }

  keepAlive(runId: number, intervalMs: number): () => void {
    if (this.readonly) return () => {};
    // The pool's own settings minus what cannot cross to a thread (type parsers, callbacks).
    const { connectionString, options, application_name } = (
      this.#pool as unknown as { options: pg.ClientConfig }
    ).options;
    return startHeartbeatThread(new URL('./pg-heartbeat-worker.js', import.meta.url), {
      connection: { connectionString, options, application_name },
      runId,
      intervalMs,
    });
  }

  async heartbeat(runId: number): Promise<void> {
    const result = await this.#writable.query('UPDATE runs SET updated_at = $1 WHERE id = $2', [
      this.#settings.now(),
      runId,
    ]);
    if (result.rowCount === 0) throw unknownRun(runId);
  }

  async createMetricWriter(
    runId: number,
    options: MetricWriterOptions = {},
  ): Promise<MetricWriter> {
    const [run] = await this.#rows<{ started_at: number }>(
      'SELECT started_at FROM runs WHERE id = ?',
      [runId],
      this.#writable,
    );
    if (!run) throw unknownRun(runId);
    return createPgMetricWriter(this.#pool, runId, run.started_at, {
      now: options.now ?? this.#settings.now,
      ...(options.flushIntervalMs === undefined
        ? {}
        : { flushIntervalMs: options.flushIntervalMs }),
      ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
    });
  }

  async createSweep(sweep: NewSweep): Promise<number> {
    const [row] = await this.#rows<{ id: number }>(
      `INSERT INTO sweeps (name, status, config_yaml, definition_json, metric, goal, trial_count, started_at, updated_at, host)
       VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        sweep.name,
        sweep.configYaml,
        JSON.stringify(sweep.definition),
        sweep.metric,
        sweep.goal,
        sweep.trialCount,
        this.#settings.now(),
        this.#settings.now(),
        sweep.host,
      ],
      this.#writable,
    );
    return row!.id;
  }

  async getSweep(sweepId: number): Promise<SweepRecord | undefined> {
    const [row] = await this.#rows<SweepRow>('SELECT * FROM sweeps WHERE id = ?', [sweepId]);
    return row && toSweepRecord(row);
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return (await this.#rows<SweepRow>('SELECT * FROM sweeps ORDER BY id DESC')).map(toSweepRecord);
  }

  async listSweepTrials(sweepId: number): Promise<RunSummary[]> {
    if (!(await this.getSweep(sweepId))) {
      throw new StoreError(`no sweep with id ${sweepId} in the store`);
    }
    return this.listRuns({ sweepId, sort: 'trial:asc' });
  }

  async setSweepStatus(sweepId: number, status: SweepStatus): Promise<void> {
    const result = await this.#writable.query(
      'UPDATE sweeps SET status = $1, ended_at = $2, updated_at = $3 WHERE id = $4',
      [status, status === 'running' ? null : this.#settings.now(), this.#settings.now(), sweepId],
    );
    if (result.rowCount === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
  }

  async setSweepDefinition(sweepId: number, definition: object): Promise<void> {
    const result = await this.#writable.query(
      'UPDATE sweeps SET definition_json = $1, updated_at = $2 WHERE id = $3',
      [JSON.stringify(definition), this.#settings.now(), sweepId],
    );
    if (result.rowCount === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
  }

  async heartbeatSweep(sweepId: number): Promise<void> {
    const result = await this.#writable.query('UPDATE sweeps SET updated_at = $1 WHERE id = $2', [
      this.#settings.now(),
      sweepId,
    ]);
    if (result.rowCount === 0) throw new StoreError(`no sweep with id ${sweepId} in the store`);
  }

  async watchChanges(onChange: () => void): Promise<() => Promise<void>> {
    // LISTEN holds its connection: a client of its own, outside the pool. Cut off (a server
    // restart), it connects again every 2 s; readers still poll now and then meanwhile.
    const config = (this.#pool as unknown as { options: pg.ClientConfig }).options;
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const again = (): void => {
      clearTimeout(retry);
      if (!stopped) retry = setTimeout(() => void listen(), 2_000);
    };
    const listen = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client(config);
      next.on('error', () => undefined);
      next.on('notification', () => onChange());
      next.on('end', () => {
        if (client === next) {
          client = undefined;
          again();
        }
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${CHANGES_CHANNEL}`);
        client = next;
        if (stopped) await next.end();
        // Whatever changed while it was not listening.
        else onChange();
      } catch {
        await next.end().catch(() => undefined);
        again();
      }
    };
    await listen();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  async withSweepLock<T>(sweepId: number, fn: () => Promise<T>): Promise<T> {
    // A session lock on a client of its own: `fn` uses the pool's other clients.
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [SWEEP_LOCK, sweepId]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [SWEEP_LOCK, sweepId]);
      }
    } finally {
      client.release();
    }
  }

  async #filterSql(filter: RunFilter): Promise<{
    where: string;
    params: unknown[];
    resolver: FieldResolver;
  }> {
    const resolver = new FieldResolver(
      filter.where || filter.sort ? await this.#catalog() : EMPTY_CATALOG,
      PG_FIELDS,
    );
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.ids !== undefined) {
      conditions.push(`r.id ${ID_IN}`);
      params.push([...filter.ids]);
    }
    if (filter.sweepId !== undefined) {
      conditions.push('r.sweep_id = ?');
      params.push(filter.sweepId);
    }
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      const lost = [...(filter.lostRunIds ?? [])];
      // A run found lost is `lost`, whatever its row says.
      conditions.push(`((r.status ${TEXT_IN} AND NOT (r.id ${ID_IN})) OR (? AND r.id ${ID_IN}))`);
      params.push(statuses, lost, statuses.includes('lost'), lost);
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
    return {
      where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '',
      params,
      resolver,
    };
  }

  /** Metric keys and param keys, read once per listing that names fields. */
  async #catalog(): Promise<FieldCatalog> {
    const metrics = await this.#rows<{ id: number; key: string; goal: MetricGoal }>(
      'SELECT id, key, goal FROM metric_keys ORDER BY key',
    );
    const params = (
      await this.#rows<{ key: string }>('SELECT DISTINCT key FROM params ORDER BY key')
    ).map((r) => r.key);
    const byKey = new Map(metrics.map((m) => [m.key, { id: m.id, goal: m.goal }]));
    const paramSet = new Set(params);
    return {
      metricKey: (key) => byKey.get(key),
      paramExists: (key) => paramSet.has(key),
      metricKeys: () => metrics.map((m) => m.key),
      paramKeys: () => params,
    };
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    const { where, params, resolver } = await this.#filterSql(filter);
    const order = filter.sort
      ? compileSort(filter.sort, resolver)
      : { sql: 'r.started_at DESC, r.id DESC', params: [] };
    const limit = filter.limit && filter.limit > 0 ? Math.floor(filter.limit) : null;
    const offset = filter.offset && filter.offset > 0 ? Math.floor(filter.offset) : 0;
    const rows = await this.#queryUser<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM runs r ${where} ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      [...params, ...order.params, limit, offset],
    );
    const metrics = await this.#summaries(rows);
    const tags = await this.#tags(rows.map((r) => r.id));
    return rows.map((row) => toRunSummary(row, metrics.get(row.id), tags.get(row.id)));
  }

  /** A listing's statement: a type clash in a --where comparison is the user's, said in one line. */
  async #queryUser<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return await this.#rows<T>(sql, params);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '22P02' || code === '42883' || code === '42804') {
        throw new StoreError(`--where: ${(error as Error).message}`, {
          cause: error,
          hint: 'compare a field with a value of its kind (numbers with numbers, text in quotes)',
        });
      }
      throw error;
    }
  }

  async #summaries(
    runs: readonly Pick<SummaryRow, 'id' | 'started_at'>[],
  ): Promise<Map<number, Record<string, MetricSummary>>> {
    const byRun = new Map<number, Record<string, MetricSummary>>();
    if (runs.length === 0) return byRun;
    const startedAt = new Map(runs.map((r) => [r.id, r.started_at]));
    const rows = await this.#rows<MetricSummaryRow>(
      `SELECT s.run_id, k.key, k.goal, s.count, s.last_step, s.last_epoch, s.last_value, s.last_t,
              s.min_value, s.min_step, s.max_value, s.max_step
       FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id
       WHERE s.run_id ${ID_IN} ORDER BY s.run_id, k.key`,
      [runs.map((r) => r.id)],
    );
    for (const row of rows) {
      let entry = byRun.get(row.run_id);
      if (!entry) byRun.set(row.run_id, (entry = {}));
      entry[row.key] = toMetricSummary(row, startedAt.get(row.run_id) ?? 0);
    }
    return byRun;
  }

  async countRuns(filter: RunFilter = {}): Promise<number> {
    const { where, params } = await this.#filterSql(filter);
    const [row] = await this.#queryUser<{ n: number }>(
      `SELECT count(*) AS n FROM runs r ${where}`,
      params,
    );
    return row!.n;
  }

  async getRun(runId: number): Promise<RunDetail | undefined> {
    const [row] = await this.#rows<RunRow>('SELECT * FROM runs WHERE id = ?', [runId]);
    if (!row) return undefined;
    const metrics = (await this.#summaries([row])).get(row.id);
    const tags = (await this.#tags([row.id])).get(row.id);
    const params = (await this.getParams([row.id])).get(row.id) ?? {};
    const parse = (text: string | null): unknown =>
      text === null ? null : (JSON.parse(text) as unknown);
    return {
      ...toRunSummary(row, metrics, tags),
      configYaml: row.config_yaml,
      config: parse(row.config_json),
      configHash: row.config_hash,
      params,
      backendReason: row.backend_reason,
      datasetSource: row.dataset_source,
      dataInfo: parse(row.data_info),
      versions: { runner: row.runner_version, tfjs: row.tfjs_version, node: row.node_version },
      gitCommit: row.git_commit,
      artifactsDir: row.artifacts_dir,
      divergedAtStep: row.diverged_at_step,
      parameterCount: row.parameter_count,
      notices: JSON.parse(row.notices) as string[],
    };
  }

  async getParams(
    runIds: readonly number[],
    keys?: readonly string[],
  ): Promise<Map<number, Readonly<Record<string, ParamValue>>>> {
    const out = new Map<number, Record<string, ParamValue>>();
    if (runIds.length === 0 || keys?.length === 0) return out;
    const rows = await this.#rows<{ run_id: number; key: string; value: ParamValue }>(
      keys === undefined
        ? `SELECT run_id, key, value FROM params WHERE run_id ${ID_IN} ORDER BY run_id, key`
        : `SELECT run_id, key, value FROM params WHERE run_id ${ID_IN} AND key ${TEXT_IN} ORDER BY run_id, key`,
      keys === undefined ? [[...runIds]] : [[...runIds], [...keys]],
    );
    for (const row of rows) {
      let entry = out.get(row.run_id);
      if (!entry) out.set(row.run_id, (entry = {}));
      entry[row.key] = row.value;
    }
    return out;
  }

  async varyingParamKeys(runIds: readonly number[]): Promise<string[]> {
    const ids = [...new Set(runIds)];
    if (ids.length < 2) return [];
    const rows = await this.#rows<{ key: string }>(
      `SELECT key FROM params WHERE run_id ${ID_IN}
       GROUP BY key HAVING count(*) < ? OR count(DISTINCT value) > 1 ORDER BY key`,
      [ids, ids.length],
    );
    return rows.map((r) => r.key);
  }

  async missingRuns(runIds: readonly number[]): Promise<number[]> {
    const rows = await this.#rows<{ id: number }>(`SELECT id FROM runs WHERE id ${ID_IN}`, [
      [...new Set(runIds)],
    ]);
    const present = new Set(rows.map((r) => r.id));
    return [...new Set(runIds)].filter((id) => !present.has(id));
  }

  async getCurve(runId: number, key: string, options: CurveOptions = {}): Promise<CurvePoint[]> {
    const rows = await this.#rows<{
      step: number;
      epoch: number;
      value: number | null;
      time: number;
    }>(
      `SELECT v.step, v.epoch, v.value, r.started_at + v.t AS time
       FROM metric_values v JOIN runs r ON r.id = v.run_id
       WHERE v.run_id = ? AND v.key_id = (SELECT id FROM metric_keys WHERE key = ?) AND v.step > ?
       ORDER BY v.step`,
      [runId, key, options.afterStep ?? -2147483648],
    );
    const points = rows.map((r) => ({
      step: r.step,
      epoch: r.epoch,
      value: r.value,
      time: r.time,
    }));
    return options.maxPoints === undefined ? points : downsample(points, options.maxPoints);
  }

  async metricKeys(runId: number): Promise<string[]> {
    const rows = await this.#rows<{ key: string }>(
      `SELECT k.key FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id
       WHERE s.run_id = ? ORDER BY k.key`,
      [runId],
    );
    return rows.map((r) => r.key);
  }

  async metricAtEpoch(
    runIds: readonly number[],
    key: string,
    epoch: number,
  ): Promise<Map<number, number>> {
    const rows = await this.#rows<{ run_id: number; value: number | null }>(
      `SELECT v.run_id, v.value FROM metric_values v
       WHERE v.run_id ${ID_IN} AND v.key_id = (SELECT id FROM metric_keys WHERE key = ?) AND v.epoch = ?
       ORDER BY v.run_id, v.step`,
      [[...runIds], key, Math.floor(epoch)],
    );
    const out = new Map<number, number>();
    for (const row of rows) if (row.value !== null) out.set(row.run_id, row.value);
    return out;
  }

  async compareRuns(runIds: readonly number[]): Promise<RunComparison> {
    const ids = [...new Set(runIds)];
    const rows = await this.#rows<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.id ${ID_IN}`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      throw new StoreError(`no run with id ${missing.join(', ')} in the store`, {
        hint: 'list the runs with `runner runs ls`',
      });
    }
    const ordered = ids.map((id) => byId.get(id)!);
    const summaries = await this.#summaries(ordered);
    const tags = await this.#tags(ids);
    const runs = ordered.map((row) => toRunSummary(row, summaries.get(row.id), tags.get(row.id)));
    return buildComparison(ids, runs, await this.getParams(ids));
  }

  async addEvaluation(evaluation: NewEvaluation): Promise<number> {
    const [run] = await this.#rows(
      'SELECT 1 FROM runs WHERE id = ?',
      [evaluation.runId],
      this.#writable,
    );
    if (!run) throw unknownRun(evaluation.runId);
    const [row] = await this.#rows<{ id: number }>(
      `INSERT INTO evaluations (run_id, kind, checkpoint, split, data_json, example_count,
         metrics_json, classes_json, confusion_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        evaluation.runId,
        evaluation.kind,
        evaluation.checkpoint,
        evaluation.split,
        JSON.stringify(evaluation.data ?? null),
        evaluation.count,
        JSON.stringify(evaluation.metrics, (_key, value: unknown) =>
          typeof value === 'number' && !Number.isFinite(value) ? null : value,
        ),
        evaluation.classes === undefined ? null : JSON.stringify(evaluation.classes),
        evaluation.confusion === undefined ? null : JSON.stringify(evaluation.confusion),
        this.#settings.now(),
      ],
    );
    return row!.id;
  }

  async listEvaluations(runId: number): Promise<EvaluationRecord[]> {
    const rows = await this.#rows<EvaluationRow>(
      'SELECT * FROM evaluations WHERE run_id = ? ORDER BY id',
      [runId],
    );
    return rows.map(evaluationFromRow);
  }

  async deleteRuns(runIds: readonly number[]): Promise<number> {
    const ids = [...new Set(runIds)];
    return this.#transaction(async (client) => {
      for (const table of [
        'metric_values',
        'run_metric_summary',
        'params',
        'tags',
        'evaluations',
      ]) {
        await client.query(`DELETE FROM ${table} WHERE run_id = ANY($1::integer[])`, [ids]);
      }
      return (
        (await client.query('DELETE FROM runs WHERE id = ANY($1::integer[])', [ids])).rowCount ?? 0
      );
    });
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    return runPgReadOnlyQuery(this.#open, sql, params, this.#settings.queryTimeoutMs);
  }

  async queryRows(sql: string, params: readonly unknown[] = []): Promise<QueryRows> {
    const result = await this.query(sql, params);
    return { columns: result.columns, rows: result.rows };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

const EMPTY_CATALOG: FieldCatalog = {
  metricKey: () => undefined,
  paramExists: () => false,
  metricKeys: () => [],
  paramKeys: () => [],
};
