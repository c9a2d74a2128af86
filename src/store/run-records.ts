import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { isRankedMetric, metricGoal } from './metric-goal.js';
import { checkNote, checkTags, insertTags, loadTags } from './run-labels.js';
import type {
  MetricGoal,
  MetricSummary,
  NewRun,
  ParamValue,
  RunDetail,
  RunFacts,
  RunOutcome,
  RunStatus,
  RunSummary,
} from './types.js';

/** A `runs` row as SQLite returns it. */
export interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  started_at: number;
  ended_at: number | null;
  updated_at: number;
  config_yaml: string;
  config_json: string;
  config_hash: string;
  seed: number;
  backend: string;
  backend_reason: string | null;
  dataset: string;
  dataset_source: string | null;
  data_info: string | null;
  runner_version: string;
  tfjs_version: string;
  node_version: string;
  git_commit: string | null;
  host: string;
  pid: number | null;
  pid_started_at: number | null;
  artifacts_dir: string | null;
  error: string | null;
  diverged_at_step: number | null;
  sweep_id: number | null;
  trial_index: number | null;
  parameter_count: number | null;
  notices: string;
  note: string | null;
  pruned_rung: number | null;
  pruned_epoch: number | null;
}

/** The columns a listing needs (not the config text). */
export const SUMMARY_COLUMNS =
  'id, name, status, started_at, ended_at, updated_at, seed, backend, dataset, host, pid, pid_started_at, error, sweep_id, trial_index, note, pruned_rung, pruned_epoch';

export type SummaryRow = Pick<
  RunRow,
  | 'id'
  | 'name'
  | 'status'
  | 'started_at'
  | 'ended_at'
  | 'updated_at'
  | 'seed'
  | 'backend'
  | 'dataset'
  | 'host'
  | 'pid'
  | 'pid_started_at'
  | 'error'
  | 'sweep_id'
  | 'trial_index'
  | 'note'
  | 'pruned_rung'
  | 'pruned_epoch'
>;

/** A `run_metric_summary` row joined with its key. */
export interface MetricSummaryRow {
  run_id: number;
  key: string;
  goal: MetricGoal;
  count: number;
  last_step: number;
  last_epoch: number;
  last_value: number | null;
  last_t: number;
  min_value: number | null;
  min_step: number | null;
  max_value: number | null;
  max_step: number | null;
}

/** SQLite has no booleans: they are stored as the text `true`/`false` so they read back unambiguously. */
export function toSqlParam(value: ParamValue): string | number | null {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

export function insertRun(db: Database, run: NewRun, now: number): number {
  const insert = db.prepare(`
    INSERT INTO runs (name, status, started_at, updated_at, config_yaml, config_json, config_hash, seed,
      backend, backend_reason, dataset, dataset_source, data_info, runner_version, tfjs_version, node_version,
      git_commit, host, pid, pid_started_at, artifacts_dir, sweep_id, trial_index, notices, note)
    VALUES (@name, 'running', @now, @now, @configYaml, @configJson, @configHash, @seed,
      @backend, @backendReason, @dataset, @datasetSource, @dataInfo, @runnerVersion, @tfjsVersion, @nodeVersion,
      @gitCommit, @host, @pid, @pidStartedAt, @artifactsDir, @sweepId, @trialIndex, @notices, @note)`);
  const insertParam = db.prepare(
    'INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)',
  );
  const tags = checkTags(run.tags ?? []);
  const note = checkNote(run.note ?? null);
  const write = db.transaction((): number => {
    if (
      run.sweepId !== undefined &&
      !db.prepare('SELECT 1 FROM sweeps WHERE id = ?').get(run.sweepId)
    ) {
      throw new StoreError(`no sweep with id ${run.sweepId} in the store`);
    }
    const id = Number(
      insert.run({
        name: run.name,
        now,
        configYaml: run.configYaml,
        configJson: JSON.stringify(run.config),
        configHash: run.configHash,
        seed: run.seed,
        backend: run.backend,
        backendReason: run.backendReason ?? null,
        dataset: run.dataset,
        datasetSource: run.datasetSource ?? null,
        dataInfo: run.dataInfo === undefined ? null : JSON.stringify(run.dataInfo),
        runnerVersion: run.versions.runner,
        tfjsVersion: run.versions.tfjs,
        nodeVersion: run.versions.node,
        gitCommit: run.gitCommit ?? null,
        host: run.host,
        pid: run.pid ?? null,
        pidStartedAt: run.pidStartedAt ?? null,
        artifactsDir: run.artifactsDir ?? null,
        sweepId: run.sweepId ?? null,
        trialIndex: run.trialIndex ?? null,
        notices: JSON.stringify(run.notices ?? []),
        note,
      }).lastInsertRowid,
    );
    for (const [key, value] of run.params) insertParam.run(id, key, toSqlParam(value));
    insertTags(db, id, tags);
    return id;
  });
  return write.immediate();
}

const FACT_COLUMNS: Readonly<Record<Exclude<keyof RunFacts, 'notices'>, string>> = {
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

export function updateRunFacts(db: Database, runId: number, facts: RunFacts, now: number): void {
  const write = db.transaction(() => {
    const row = db.prepare('SELECT notices FROM runs WHERE id = ?').get(runId) as
      { notices: string } | undefined;
    if (!row) throw unknownRun(runId);
    const sets: string[] = ['updated_at = @now'];
    const values: Record<string, unknown> = { id: runId, now };
    for (const [field, column] of Object.entries(FACT_COLUMNS)) {
      const value = facts[field as keyof typeof FACT_COLUMNS];
      if (value === undefined) continue;
      sets.push(`${column} = @${field}`);
      values[field] = typeof value === 'object' ? JSON.stringify(value) : value;
    }
    if (facts.notices && facts.notices.length > 0) {
      sets.push('notices = @notices');
      values['notices'] = JSON.stringify([
        ...(JSON.parse(row.notices) as string[]),
        ...facts.notices,
      ]);
    }
    db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(values);
  });
  write.immediate();
}

export function markRunFinished(
  db: Database,
  runId: number,
  outcome: RunOutcome,
  now: number,
): void {
  const result = db
    .prepare(
      `UPDATE runs SET status = ?, ended_at = ?, updated_at = ?, error = ?, diverged_at_step = ?,
         pruned_rung = ?, pruned_epoch = ? WHERE id = ?`,
    )
    .run(
      outcome.status,
      now,
      now,
      outcome.error ?? null,
      outcome.divergedAtStep ?? null,
      outcome.prunedAt?.rung ?? null,
      outcome.prunedAt?.epoch ?? null,
      runId,
    );
  if (result.changes === 0) throw unknownRun(runId);
}

export function unknownRun(runId: number): StoreError {
  return new StoreError(`no run with id ${runId} in the store`, {
    hint: 'list the runs with `runner runs ls`',
  });
}

export function toMetricSummary(row: MetricSummaryRow, startedAt: number): MetricSummary {
  const point = (
    value: number | null,
    step: number | null,
  ): { step: number; value: number } | null =>
    value === null || step === null ? null : { step, value };
  const min = point(row.min_value, row.min_step);
  const max = point(row.max_value, row.max_step);
  return {
    key: row.key,
    goal: row.goal,
    ranked: isRankedMetric(row.key),
    count: row.count,
    last: {
      step: row.last_step,
      epoch: row.last_epoch,
      value: row.last_value,
      time: startedAt + row.last_t,
    },
    best: row.goal === 'minimize' ? min : max,
    min,
    max,
  };
}

/** Summaries of these runs' metrics, grouped by run id (one query, no metric scan). */
export function loadMetricSummaries(
  db: Database,
  runs: readonly Pick<SummaryRow, 'id' | 'started_at'>[],
): Map<number, Record<string, MetricSummary>> {
  const byRun = new Map<number, Record<string, MetricSummary>>();
  if (runs.length === 0) return byRun;
  const startedAt = new Map(runs.map((r) => [r.id, r.started_at]));
  const rows = selectByIds<MetricSummaryRow>(
    db,
    `SELECT s.run_id, k.key, k.goal, s.count, s.last_step, s.last_epoch, s.last_value, s.last_t,
            s.min_value, s.min_step, s.max_value, s.max_step
     FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id
     WHERE s.run_id IN (SELECT value FROM json_each(?)) ORDER BY s.run_id, k.key`,
    runs.map((r) => r.id),
  );
  for (const row of rows) {
    let entry = byRun.get(row.run_id);
    if (!entry) byRun.set(row.run_id, (entry = {}));
    entry[row.key] = toMetricSummary(row, startedAt.get(row.run_id) ?? 0);
  }
  return byRun;
}

/** Run a query whose single `?` is a JSON array of ids (no statement per list length). */
export function selectByIds<T>(db: Database, sql: string, ids: readonly number[]): T[] {
  return db.prepare(sql).all(JSON.stringify(ids)) as T[];
}

export function toRunSummary(
  row: SummaryRow,
  metrics: Record<string, MetricSummary> | undefined,
  tags: readonly string[] | undefined,
): RunSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    updatedAt: row.updated_at,
    durationMs: Math.max(0, (row.ended_at ?? row.updated_at) - row.started_at),
    sweepId: row.sweep_id,
    trialIndex: row.trial_index,
    backend: row.backend,
    dataset: row.dataset,
    seed: row.seed,
    host: row.host,
    pid: row.pid,
    pidStartedAt: row.pid_started_at === null ? null : Number(row.pid_started_at),
    error: row.error,
    tags: tags ?? [],
    note: row.note,
    prunedAt:
      row.pruned_epoch === null || row.pruned_epoch === undefined
        ? null
        : {
            rung: row.pruned_rung === null ? null : Number(row.pruned_rung),
            epoch: Number(row.pruned_epoch),
          },
    metrics: metrics ?? {},
  };
}

export function fromSqlParam(value: unknown): ParamValue {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  return String(value);
}

export function loadParams(
  db: Database,
  runIds: readonly number[],
  keys?: readonly string[],
): Map<number, Readonly<Record<string, ParamValue>>> {
  const out = new Map<number, Record<string, ParamValue>>();
  if (runIds.length === 0 || keys?.length === 0) return out;
  const rows = (
    keys === undefined
      ? db.prepare(
          'SELECT run_id, key, value FROM params WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, key',
        )
      : db.prepare(
          `SELECT run_id, key, value FROM params WHERE run_id IN (SELECT value FROM json_each(?))
           AND key IN (SELECT value FROM json_each(?)) ORDER BY run_id, key`,
        )
  ).all(JSON.stringify(runIds), ...(keys === undefined ? [] : [JSON.stringify(keys)])) as {
    run_id: number;
    key: string;
    value: unknown;
  }[];
  for (const row of rows) {
    let entry = out.get(row.run_id);
    if (!entry) out.set(row.run_id, (entry = {}));
    entry[row.key] = fromSqlParam(row.value);
  }
  return out;
}

/**
 * The param keys whose value differs among these runs (or that some of them lack), in
 * key order; computed in SQL so that listing thousands of runs does not load every param.
 */
export function loadVaryingParamKeys(db: Database, runIds: readonly number[]): string[] {
  const ids = [...new Set(runIds)];
  if (ids.length < 2) return [];
  return db
    .prepare(
      `SELECT key FROM params WHERE run_id IN (SELECT value FROM json_each(?))
       GROUP BY key HAVING count(*) < ? OR count(DISTINCT value) > 1 ORDER BY key`,
    )
    .pluck()
    .all(JSON.stringify(ids), ids.length) as string[];
}

export function loadRunDetail(db: Database, runId: number): RunDetail | undefined {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  if (!row) return undefined;
  const metrics = loadMetricSummaries(db, [row]).get(row.id);
  const tags = loadTags(db, [row.id]).get(row.id);
  const parse = (text: string | null): unknown =>
    text === null ? null : (JSON.parse(text) as unknown);
  return {
    ...toRunSummary(row, metrics, tags),
    configYaml: row.config_yaml,
    config: parse(row.config_json),
    configHash: row.config_hash,
    params: loadParams(db, [row.id]).get(row.id) ?? {},
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

/** The id of a metric key, created on first use (goal from its name). */
export function metricKeyId(db: Database, key: string): number {
  db.prepare('INSERT OR IGNORE INTO metric_keys (key, goal) VALUES (?, ?)').run(
    key,
    metricGoal(key),
  );
  return (db.prepare('SELECT id FROM metric_keys WHERE key = ?').get(key) as { id: number }).id;
}

export function findMetricKey(
  db: Database,
  key: string,
): { id: number; goal: MetricGoal } | undefined {
  return db.prepare('SELECT id, goal FROM metric_keys WHERE key = ?').get(key) as
    { id: number; goal: MetricGoal } | undefined;
}
