import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { startHeartbeatThread } from './heartbeat-thread.js';
import { readCurve, readMetricAtEpoch, readMetricKeys } from './curves.js';
import { insertEvaluation, loadEvaluations } from './evaluations.js';
import { createMetricWriter } from './metric-writer.js';
import { runReadOnlyQuery, streamReadOnlyQuery } from './read-only-query.js';
import { reopenRun } from './reopen-run.js';
import { changeTags, updateNote } from './run-labels.js';
import {
  insertRun,
  loadParams,
  loadVaryingParamKeys,
  loadRunDetail,
  markRunFinished,
  selectByIds,
  unknownRun,
  updateRunFacts,
} from './run-records.js';
import { compareRuns, countRuns, listRuns } from './run-listing.js';
import {
  insertSweep,
  loadSweep,
  loadSweeps,
  updateSweepDefinition,
  touchSweep,
  updateSweepStatus,
} from './sweeps.js';
import type {
  CurveOptions,
  CurvePoint,
  EvaluationRecord,
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
} from './types.js';
import { STORE_SCHEMA_VERSION } from './schema.js';

export interface SqliteStoreSettings {
  readonly path: string;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  readonly now: () => number;
  /** Why the connection is a copy in memory of a read-only store (see `Store.readFromCopy`). */
  readonly readFromCopy?: string;
}

/** The `Store` over one better-sqlite3 connection (plus a read-only one for `query`). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly readonly: boolean;
  readonly readFromCopy?: string;
  readonly schemaVersion = STORE_SCHEMA_VERSION;
  readonly #db: Database.Database;
  readonly #settings: SqliteStoreSettings;
  #queryDb: Database.Database | undefined;
  #closed = false;

  constructor(db: Database.Database, settings: SqliteStoreSettings) {
    this.#db = db;
    this.#settings = settings;
    this.path = settings.path;
    this.readonly = settings.readonly;
    if (settings.readFromCopy !== undefined) this.readFromCopy = settings.readFromCopy;
  }

  get #writable(): Database.Database {
    if (this.readonly) {
      throw new StoreError(`the run store ${this.path} was opened read-only; it cannot be written`);
    }
    return this.#open;
  }

  get #open(): Database.Database {
    if (this.#closed) throw new StoreError(`the run store ${this.path} is closed`);
    return this.#db;
  }

  async createRun(run: NewRun): Promise<number> {
    return insertRun(this.#writable, run, this.#settings.now());
  }

  async setRunFacts(runId: number, facts: RunFacts): Promise<void> {
    updateRunFacts(this.#writable, runId, facts, this.#settings.now());
  }

  async finishRun(runId: number, outcome: RunOutcome): Promise<void> {
    markRunFinished(this.#writable, runId, outcome, this.#settings.now());
  }

  async storeId(): Promise<string | null> {
    const db = this.#open;
    return (
      (db.prepare("SELECT value FROM meta WHERE key = 'store_id'").pluck().get() as
        string | undefined) ?? null
    );
  }

  keepAlive(runId: number, intervalMs: number): () => void {
    if (this.readonly) return () => {}; // a read-only store has no heartbeat to keep
    return startHeartbeatThread(new URL('./heartbeat-worker.js', import.meta.url), {
      path: this.path,
      runId,
      intervalMs,
    });
  }

  async heartbeat(runId: number): Promise<void> {
    const result = this.#writable
      .prepare('UPDATE runs SET updated_at = ? WHERE id = ?')
      .run(this.#settings.now(), runId);
    if (result.changes === 0) throw unknownRun(runId);
  }

  async reopenRun(runId: number, rewind: RunRewind): Promise<void> {
    reopenRun(this.#writable, runId, rewind, this.#settings.now());
  }

  async tagRun(runId: number, tags: readonly string[]): Promise<string[]> {
    return changeTags(this.#writable, runId, tags, 'add');
  }

  async untagRun(runId: number, tags: readonly string[]): Promise<string[]> {
    return changeTags(this.#writable, runId, tags, 'remove');
  }

  async setRunNote(runId: number, note: string | null): Promise<void> {
    updateNote(this.#writable, runId, note);
  }

  async createMetricWriter(
    runId: number,
    options: MetricWriterOptions = {},
  ): Promise<MetricWriter> {
    return createMetricWriter(this.#writable, runId, {
      now: options.now ?? this.#settings.now,
      ...(options.flushIntervalMs === undefined
        ? {}
        : { flushIntervalMs: options.flushIntervalMs }),
      ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
    });
  }

  async createSweep(sweep: NewSweep): Promise<number> {
    return insertSweep(this.#writable, sweep, this.#settings.now());
  }

  async getSweep(sweepId: number): Promise<SweepRecord | undefined> {
    return loadSweep(this.#open, sweepId);
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return loadSweeps(this.#open);
  }

  async listSweepTrials(sweepId: number): Promise<RunSummary[]> {
    if (!loadSweep(this.#open, sweepId)) {
      throw new StoreError(`no sweep with id ${sweepId} in the store`);
    }
    return listRuns(this.#open, { sweepId, sort: 'trial:asc' });
  }

  async setSweepStatus(sweepId: number, status: SweepStatus): Promise<void> {
    updateSweepStatus(this.#writable, sweepId, status, this.#settings.now());
  }

  async setSweepDefinition(sweepId: number, definition: object): Promise<void> {
    updateSweepDefinition(this.#writable, sweepId, definition, this.#settings.now());
  }

  async heartbeatSweep(sweepId: number): Promise<void> {
    touchSweep(this.#writable, sweepId, this.#settings.now());
  }

  async withSweepLock<T>(_sweepId: number, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    return listRuns(this.#open, filter);
  }

  async countRuns(filter: RunFilter = {}): Promise<number> {
    return countRuns(this.#open, filter);
  }

  async getRun(runId: number): Promise<RunDetail | undefined> {
    return loadRunDetail(this.#open, runId);
  }

  async getParams(
    runIds: readonly number[],
    keys?: readonly string[],
  ): Promise<Map<number, Readonly<Record<string, ParamValue>>>> {
    return loadParams(this.#open, runIds, keys);
  }

  async varyingParamKeys(runIds: readonly number[]): Promise<string[]> {
    return loadVaryingParamKeys(this.#open, runIds);
  }

  async missingRuns(runIds: readonly number[]): Promise<number[]> {
    const present = new Set(
      selectByIds<{ id: number }>(
        this.#open,
        'SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))',
        runIds,
      ).map((r) => r.id),
    );
    return [...new Set(runIds)].filter((id) => !present.has(id));
  }

  async getCurve(runId: number, key: string, options: CurveOptions = {}): Promise<CurvePoint[]> {
    return readCurve(this.#open, runId, key, options);
  }

  async metricKeys(runId: number): Promise<string[]> {
    return readMetricKeys(this.#open, runId);
  }

  async metricAtEpoch(
    runIds: readonly number[],
    key: string,
    epoch: number,
  ): Promise<Map<number, number>> {
    return readMetricAtEpoch(this.#open, runIds, key, epoch);
  }

  async compareRuns(runIds: readonly number[]): Promise<RunComparison> {
    return compareRuns(this.#open, runIds);
  }

  async addEvaluation(evaluation: NewEvaluation): Promise<number> {
    return insertEvaluation(this.#writable, evaluation, this.#settings.now());
  }

  async listEvaluations(runId: number): Promise<EvaluationRecord[]> {
    return loadEvaluations(this.#open, runId);
  }

  async deleteRuns(runIds: readonly number[]): Promise<number> {
    const db = this.#writable;
    const ids = JSON.stringify([...new Set(runIds)]);
    const remove = db.transaction((): number => {
      for (const table of [
        'metric_values',
        'run_metric_summary',
        'params',
        'tags',
        'evaluations',
      ]) {
        db.prepare(`DELETE FROM ${table} WHERE run_id IN (SELECT value FROM json_each(?))`).run(
          ids,
        );
      }
      return db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids)
        .changes;
    });
    return remove.immediate();
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    return runReadOnlyQuery(this.#readConnection(), sql, params);
  }

  async queryRows(sql: string, params: readonly unknown[] = []): Promise<QueryRows> {
    return streamReadOnlyQuery(this.#readConnection(), sql, params);
  }

  #readConnection(): Database.Database {
    if (this.readonly) return this.#open;
    if (this.#closed) throw new StoreError(`the run store ${this.path} is closed`);
    this.#queryDb ??= new Database(this.path, { readonly: true, fileMustExist: true });
    this.#queryDb.pragma(`busy_timeout = ${this.#settings.busyTimeoutMs}`);
    return this.#queryDb;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queryDb?.close();
    if (!this.readonly) {
      try {
        // Fold the WAL back into the main file when nobody else is reading; harmless when busy.
        this.#db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // A checkpoint is an optimisation; the WAL stays valid.
      }
    }
    this.#db.close();
  }
}
