import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { readCurve, readMetricAtEpoch, readMetricKeys } from './curves.js';
import { insertEvaluation, loadEvaluations } from './evaluations.js';
import { createMetricWriter } from './metric-writer.js';
import { runReadOnlyQuery, streamReadOnlyQuery } from './read-only-query.js';
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
import { insertSweep, loadSweep, loadSweeps, updateSweepStatus } from './sweeps.js';
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
}

/** The `Store` over one better-sqlite3 connection (plus a read-only one for `query`). */
export class SqliteStore implements Store {
  readonly path: string;
  readonly readonly: boolean;
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

  createRun(run: NewRun): number {
    return insertRun(this.#writable, run, this.#settings.now());
  }

  setRunFacts(runId: number, facts: RunFacts): void {
    updateRunFacts(this.#writable, runId, facts, this.#settings.now());
  }

  finishRun(runId: number, outcome: RunOutcome): void {
    markRunFinished(this.#writable, runId, outcome, this.#settings.now());
  }

  heartbeat(runId: number): void {
    const result = this.#writable
      .prepare('UPDATE runs SET updated_at = ? WHERE id = ?')
      .run(this.#settings.now(), runId);
    if (result.changes === 0) throw unknownRun(runId);
  }

  createMetricWriter(runId: number, options: MetricWriterOptions = {}): MetricWriter {
    return createMetricWriter(this.#writable, runId, {
      now: options.now ?? this.#settings.now,
      ...(options.flushIntervalMs === undefined
        ? {}
        : { flushIntervalMs: options.flushIntervalMs }),
      ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
    });
  }

  createSweep(sweep: NewSweep): number {
    return insertSweep(this.#writable, sweep, this.#settings.now());
  }

  getSweep(sweepId: number): SweepRecord | undefined {
    return loadSweep(this.#open, sweepId);
  }

  listSweeps(): SweepRecord[] {
    return loadSweeps(this.#open);
  }

  listSweepTrials(sweepId: number): RunSummary[] {
    if (!loadSweep(this.#open, sweepId)) {
      throw new StoreError(`no sweep with id ${sweepId} in the store`);
    }
    return listRuns(this.#open, { sweepId, sort: 'trial:asc' });
  }

  setSweepStatus(sweepId: number, status: SweepStatus): void {
    updateSweepStatus(this.#writable, sweepId, status, this.#settings.now());
  }

  listRuns(filter: RunFilter = {}): RunSummary[] {
    return listRuns(this.#open, filter);
  }

  countRuns(filter: RunFilter = {}): number {
    return countRuns(this.#open, filter);
  }

  getRun(runId: number): RunDetail | undefined {
    return loadRunDetail(this.#open, runId);
  }

  getParams(
    runIds: readonly number[],
    keys?: readonly string[],
  ): Map<number, Readonly<Record<string, ParamValue>>> {
    return loadParams(this.#open, runIds, keys);
  }

  varyingParamKeys(runIds: readonly number[]): string[] {
    return loadVaryingParamKeys(this.#open, runIds);
  }

  missingRuns(runIds: readonly number[]): number[] {
    const present = new Set(
      selectByIds<{ id: number }>(
        this.#open,
        'SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))',
        runIds,
      ).map((r) => r.id),
    );
    return [...new Set(runIds)].filter((id) => !present.has(id));
  }

  getCurve(runId: number, key: string, options: CurveOptions = {}): CurvePoint[] {
    return readCurve(this.#open, runId, key, options);
  }

  metricKeys(runId: number): string[] {
    return readMetricKeys(this.#open, runId);
  }

  metricAtEpoch(runIds: readonly number[], key: string, epoch: number): Map<number, number> {
    return readMetricAtEpoch(this.#open, runIds, key, epoch);
  }

  compareRuns(runIds: readonly number[]): RunComparison {
    return compareRuns(this.#open, runIds);
  }

  addEvaluation(evaluation: NewEvaluation): number {
    return insertEvaluation(this.#writable, evaluation, this.#settings.now());
  }

  listEvaluations(runId: number): EvaluationRecord[] {
    return loadEvaluations(this.#open, runId);
  }

  deleteRuns(runIds: readonly number[]): number {
    const db = this.#writable;
    const ids = JSON.stringify([...new Set(runIds)]);
    const remove = db.transaction((): number => {
      for (const table of ['metric_values', 'run_metric_summary', 'params', 'evaluations']) {
        db.prepare(`DELETE FROM ${table} WHERE run_id IN (SELECT value FROM json_each(?))`).run(
          ids,
        );
      }
      return db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids)
        .changes;
    });
    return remove.immediate();
  }

  query(sql: string, params: readonly unknown[] = []): QueryResult {
    return runReadOnlyQuery(this.#readConnection(), sql, params);
  }

  queryRows(sql: string, params: readonly unknown[] = []): QueryRows {
    return streamReadOnlyQuery(this.#readConnection(), sql, params);
  }

  #readConnection(): Database.Database {
    if (this.readonly) return this.#open;
    if (this.#closed) throw new StoreError(`the run store ${this.path} is closed`);
    this.#queryDb ??= new Database(this.path, { readonly: true, fileMustExist: true });
    this.#queryDb.pragma(`busy_timeout = ${this.#settings.busyTimeoutMs}`);
    return this.#queryDb;
  }

  close(): void {
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
