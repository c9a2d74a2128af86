/**
 * The public data types of the run store. Plain readonly data; every time is
 * epoch milliseconds (a JS `Date` takes it as is), the same unit the SQL views use.
 */

/**
 * Where a run stands. `running` until `finishRun` records how it ended. `lost`: an attempt of a
 * queued trial whose worker died or lost its claim (written by workers, on PostgreSQL stores);
 * it stays lost whatever its process records later.
 */
export type RunStatus =
  'running' | 'completed' | 'failed' | 'interrupted' | 'diverged' | 'pruned' | 'lost';

/**
 * What a run is, as every reader shows it: its recorded status, or `lost` for a run recorded
 * `running` whose process is gone (killed, crashed, the machine rebooted). See `runState`.
 */
export type RunState = RunStatus | 'lost';

/** Every status, in the order listings explain them. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'completed',
  'failed',
  'interrupted',
  'diverged',
  'pruned',
  'lost',
];

/** A flattened config value as stored in `params.value`. Booleans are stored as the text `true`/`false`. */
export type ParamValue = string | number | boolean | null;

/** Whether a smaller or a larger value of a metric is better. */
export type MetricGoal = 'minimize' | 'maximize';

/** The two implementations of `Store`. */
export type StoreKind = 'sqlite' | 'postgres';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Open without writing anything, ever: no migration, no file creation (queries, dashboard). */
  readonly readonly?: boolean;
  /**
   * For commands that only read but would migrate an older store forward: a store this user
   * cannot write is opened `readonly` instead of refused.
   */
  readonly readonlyIfUnwritable?: boolean;
  /** Create the file (and its parent folders) when missing. Default: true unless `readonly`. */
  readonly create?: boolean;
  /** How long a locked store is waited on before an operation gives up and retries. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** The clock (epoch ms) used for run start/end times and heartbeats. Default `Date.now`. */
  readonly now?: () => number;
}

/** What `createRun` records about a new run; everything needed to reproduce and compare it. */
export interface NewRun {
  readonly name: string;
  /** The resolved config as YAML text, as the user would write it. */
  readonly configYaml: string;
  /** The resolved config as plain JSON. */
  readonly config: object;
  readonly configHash: string;
  /** Every config value flattened (`train.optimizer.learningRate` → 0.001); see `flattenConfig`. */
  readonly params: ReadonlyArray<readonly [string, ParamValue]>;
  readonly seed: number;
  readonly backend: string;
  /** Why this backend (e.g. "tfjs-node not installed; using wasm"). Recorded when a substitution happened. */
  readonly backendReason?: string;
  readonly dataset: string;
  /** Where the data came from (cache path, "offline sample", ...). */
  readonly datasetSource?: string;
  /** Sizes, shapes, classes: free-form JSON. */
  readonly dataInfo?: object;
  readonly versions: { readonly runner: string; readonly tfjs: string; readonly node: string };
  readonly gitCommit?: string;
  readonly host: string;
  readonly pid?: number;
  /** When process `pid` started (epoch ms, `processStartedAt`): tells it from a later process given the same pid. */
  readonly pidStartedAt?: number;
  readonly artifactsDir?: string;
  readonly sweepId?: number;
  readonly trialIndex?: number;
  /** Announcements made to the user (substitutions, warnings), kept with the run. */
  readonly notices?: readonly string[];
  /** Labels to tell the run apart (`baseline`): one word each, see `tagProblem`. */
  readonly tags?: readonly string[];
  /** Free text about the run. */
  readonly note?: string;
}

/** Facts learnt after the run started (backend loaded, data read, artifacts folder made). */
export interface RunFacts {
  readonly name?: string;
  readonly backend?: string;
  readonly backendReason?: string;
  readonly dataset?: string;
  readonly datasetSource?: string;
  readonly dataInfo?: object;
  readonly artifactsDir?: string;
  readonly gitCommit?: string;
  readonly pid?: number;
  /** Trainable parameter count of the compiled model. */
  readonly parameterCount?: number;
  /** Appended to the run's notices (never replaces them). */
  readonly notices?: readonly string[];
}

/** How a run ended. */
export interface RunOutcome {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly error?: string;
  /** The step whose loss was NaN or infinite (status `diverged`). */
  readonly divergedAtStep?: number;
  /** Where the sweep's pruner stopped the trial (status `pruned`). */
  readonly prunedAt?: PrunedAt;
}

/** Where a pruned trial stopped: the pruner's rung (null for median stopping, which has none) and the epoch. */
export interface PrunedAt {
  /** 0-based rung of successive halving or hyperband; null for the median pruner. */
  readonly rung: number | null;
  readonly epoch: number;
}

/** Where a resumed run continues: what of its recorded metrics stays. */
export interface RunRewind {
  /** Values after this step are dropped (the checkpoint's step). */
  readonly afterStep: number;
  /** Keys kept at `afterStep` itself; others recorded there (a cut-short evaluation) are dropped. */
  readonly keepAtStep: readonly string[];
  /** The process that continues the run. */
  readonly pid: number;
  /** When that process started (epoch ms), as `NewRun.pidStartedAt`. */
  readonly pidStartedAt?: number;
}

/** Buffers metric values and writes them in batched transactions. */
export interface MetricWriter {
  /**
   * Queue one value. `time` is epoch ms (default: the writer's clock). Flushes
   * on its own when `flushIntervalMs` has passed since the last flush.
   * NaN is stored as NULL (SQLite has no NaN); infinities are kept.
   */
  add(key: string, step: number, epoch: number, value: number, time?: number): void;
  /**
   * Write everything queued now, in one transaction, and touch the run's heartbeat. A store
   * that is busy or unreachable keeps the values queued for the next flush.
   */
  flush(): Promise<void>;
  /** Flush, retrying a locked or unreachable store until written (or a StoreError), then refuse further adds. */
  close(): Promise<void>;
  readonly stats: MetricWriterStats;
}

export interface MetricWriterStats {
  /** Values queued and not yet written. */
  readonly pending: number;
  /** Values written so far. */
  readonly written: number;
  /** Transactions committed so far. */
  readonly flushes: number;
  /** Flush attempts that found the store locked beyond the busy timeout and were retried. */
  readonly retries: number;
}

export interface MetricWriterOptions {
  /** Flush when at least this long has passed since the last flush (checked on `add`). Default 1000. */
  readonly flushIntervalMs?: number;
  /** Flush when this many values are queued, whatever the time. Default 50,000. */
  readonly maxPending?: number;
  /** The writer's clock (epoch ms). Default: the store's clock. */
  readonly now?: () => number;
}

/** The last, best, smallest and largest value of one metric of one run, kept up to date at each flush. */
export interface MetricSummary {
  readonly key: string;
  readonly goal: MetricGoal;
  /** Whether best and goal mean anything (false for `train/learning_rate`, `perf/*`): see `isRankedMetric`. */
  readonly ranked: boolean;
  readonly count: number;
  readonly last: {
    readonly step: number;
    readonly epoch: number;
    readonly value: number | null;
    readonly time: number;
  };
  /** The best finite value (by `goal`) and where it was first reached; null when no finite value was recorded. */
  readonly best: { readonly step: number; readonly value: number } | null;
  readonly min: { readonly step: number; readonly value: number } | null;
  readonly max: { readonly step: number; readonly value: number } | null;
}

/** One row of a listing. */
export interface RunSummary {
  readonly id: number;
  readonly name: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** Last heartbeat (each flush) or state change. */
  readonly updatedAt: number;
  /** Until `endedAt`, or until the last heartbeat while running. */
  readonly durationMs: number;
  readonly sweepId: number | null;
  readonly trialIndex: number | null;
  readonly backend: string;
  readonly dataset: string;
  readonly seed: number;
  readonly host: string;
  readonly pid: number | null;
  /** When process `pid` started (epoch ms); null when not recorded. See `runState`. */
  readonly pidStartedAt: number | null;
  readonly error: string | null;
  /** The run's tags, sorted. */
  readonly tags: readonly string[];
  /** What someone wrote about the run; null for none. */
  readonly note: string | null;
  /** Where a pruned trial stopped (recorded by `finishRun`); null otherwise, and for runs pruned before the field. */
  readonly prunedAt: PrunedAt | null;
  /** Per metric key. */
  readonly metrics: Readonly<Record<string, MetricSummary>>;
}

/** Everything recorded about one run. */
export interface RunDetail extends RunSummary {
  readonly configYaml: string;
  readonly config: unknown;
  readonly configHash: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly backendReason: string | null;
  readonly datasetSource: string | null;
  readonly dataInfo: unknown;
  readonly versions: { readonly runner: string; readonly tfjs: string; readonly node: string };
  readonly gitCommit: string | null;
  readonly artifactsDir: string | null;
  readonly divergedAtStep: number | null;
  readonly parameterCount: number | null;
  readonly notices: readonly string[];
}

/** Who recorded an evaluation: the end of a training run, or `runner eval`. */
export type EvaluationKind = 'training' | 'eval';

/** An evaluation of a run's saved model, to record. */
export interface NewEvaluation {
  readonly runId: number;
  readonly kind: EvaluationKind;
  readonly checkpoint: 'final' | 'best';
  /** `test`, `val`, or `data` for data given to `runner eval --data`. */
  readonly split: string;
  /** The data section evaluated on (the run's, or the one given to eval). */
  readonly data: unknown;
  readonly count: number;
  /** e.g. {loss, accuracy} or {loss, rmse, mae}. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Class names by index (classification). */
  readonly classes?: readonly string[];
  /** Counts, rows = true class, columns = predicted class (classification). */
  readonly confusion?: readonly (readonly number[])[];
}

/** A recorded evaluation. `createdAt` is epoch ms. */
export interface EvaluationRecord extends NewEvaluation {
  readonly id: number;
  readonly createdAt: number;
}

/** Which runs `listRuns` returns, in which order. */
export interface RunFilter {
  readonly ids?: readonly number[];
  readonly sweepId?: number;
  readonly status?: RunStatus | readonly RunStatus[];
  /**
   * Runs recorded `running` whose process is gone (see `runState`): `status` counts them as
   * `lost`, not `running`, as every listing shows them.
   */
  readonly lostRunIds?: readonly number[];
  /** An expression of the where-language, e.g. `train.optimizer.learningRate < 0.01 and test/accuracy > 0.98`. */
  readonly where?: string;
  /** Only runs carrying this tag. */
  readonly tag?: string;
  /**
   * A field of the where-language, optionally `:asc` or `:desc`. Default `started:desc`.
   * Metric fields default to best first (by the metric's goal).
   */
  readonly sort?: string;
  /** At most this many runs; 0 or undefined: all. */
  readonly limit?: number;
  readonly offset?: number;
}

/** One point of a curve. `time` is epoch ms. */
export interface CurvePoint {
  readonly step: number;
  readonly epoch: number;
  readonly value: number | null;
  readonly time: number;
}

export interface CurveOptions {
  /**
   * Downsample to at most about this many points, keeping the shape: per bucket of steps, the
   * first, smallest and largest values (and the very last point) survive.
   */
  readonly maxPoints?: number;
  /** Only points with a step greater than this (incremental reads for live charts). */
  readonly afterStep?: number;
}

/** `compareRuns`: only what differs, side by side, with winners. */
export interface RunComparison {
  readonly runs: readonly RunSummary[];
  /** Config values that differ among the runs; `undefined` where a run lacks the key. */
  readonly params: readonly {
    readonly key: string;
    readonly values: readonly (ParamValue | undefined)[];
  }[];
  readonly metrics: readonly MetricComparison[];
}

export interface MetricComparison {
  readonly key: string;
  readonly goal: MetricGoal;
  /** Per run, in the order of `runs`; null where the run has no finite value. */
  readonly final: readonly (number | null)[];
  readonly best: readonly (number | null)[];
  /**
   * Index into `runs` of the strict winner by final and by best value; null when no run has a
   * value, when the best value is shared, or for settings such as `train/learning_rate`.
   */
  readonly finalWinner: number | null;
  readonly bestWinner: number | null;
}

export type SweepStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface NewSweep {
  readonly name: string;
  /** The base config (YAML text) every trial starts from. */
  readonly configYaml: string;
  /** The sweep definition as JSON (grid/random/metric/goal/earlyStop and --set lists). */
  readonly definition: object;
  /** What "best" means, e.g. `test/accuracy`. */
  readonly metric: string;
  readonly goal: MetricGoal;
  /** Trials planned in all. */
  readonly trialCount: number;
  readonly host: string;
}

export interface SweepRecord {
  readonly id: number;
  readonly name: string;
  readonly status: SweepStatus;
  readonly configYaml: string;
  readonly definition: unknown;
  readonly metric: string;
  readonly goal: MetricGoal;
  readonly trialCount: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /**
   * The sweep's heartbeat (epoch ms): touched by each write of the sweep and, while a local
   * sweep runs, by its process every `HEARTBEAT_INTERVAL_MS`. A sweep recorded on another
   * host is alive while this is younger than `HEARTBEAT_TIMEOUT_MS` (`runState`).
   */
  readonly updatedAt: number;
  readonly host: string;
}

/** Result of `Store.query`: column names and rows of plain values. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Result of `Store.queryRows`: column names and a cursor over the rows (read once). */
export interface QueryRows {
  readonly columns: readonly string[];
  readonly rows: Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>;
}

/**
 * An open run store: one SQLite file (WAL) or one PostgreSQL database (schema `runner`)
 * holding runs, params, metrics and sweeps. Every method is asynchronous but for
 * `createMetricWriter`, whose `add` only appends to a buffer.
 *
 * @example
 * const store = await openStore('runs/runner.db'); // or 'postgres://user@host/db'
 * const runId = await store.createRun({ name: 'lenet', ... });
 * const writer = store.createMetricWriter(runId);
 * writer.add('train/loss', 1, 0, 2.31); // synchronous: appends to a buffer
 * await writer.close();
 * await store.finishRun(runId, { status: 'completed' });
 * await store.close();
 */
export interface Store {
  /** Which engine holds the store. */
  readonly kind: StoreKind;
  /** The file path, or the URL with its password shown as `***`: safe to print. */
  readonly path: string;
  readonly readonly: boolean;
  /**
   * Set when a store this user cannot write was read from a copy in memory (SQLite cannot open
   * it in place without writing its -shm file beside it): why, for the command to say so.
   */
  readonly readFromCopy?: string;
  /** Schema version of the open file (always the current one unless readonly). */
  readonly schemaVersion: number;
  /**
   * The store's own id, made when it was created (or first migrated): a new store in the same
   * folder gets a new one. Artifact folders are `<artifacts>/<store id>/<run id>/`. Null only
   * for a read-only store written by an older runner.
   */
  storeId(): Promise<string | null>;

  /** Record a new run with status `running`, started now; returns its id. */
  createRun(run: NewRun): Promise<number>;
  /** Record facts learnt after the start. Unknown id: StoreError. */
  setRunFacts(runId: number, facts: RunFacts): Promise<void>;
  /** Record how the run ended (end time now). Unknown id: StoreError. */
  finishRun(runId: number, outcome: RunOutcome): Promise<void>;
  /** Touch the run's heartbeat (`updated_at`); the metric writer does this at each flush. */
  heartbeat(runId: number): Promise<void>;
  /**
   * Touch the run's heartbeat every `intervalMs` until the returned function is called, from a
   * worker thread where the store allows it, so a main thread busy for minutes (a slow
   * evaluation) does not make the run look lost. Stores without it rely on the flushes.
   */
  keepAlive?(runId: number, intervalMs: number): () => void;
  /**
   * Reopen a run to continue it from a checkpoint (`runner exp --resume`): `running` again,
   * metrics after the checkpoint's step dropped, summaries rebuilt. Unknown id: StoreError.
   */
  reopenRun(runId: number, rewind: RunRewind): Promise<void>;
  /** Add tags to a run (each checked: one word, see `tagProblem`); returns its tags after. Unknown id: StoreError. */
  tagRun(runId: number, tags: readonly string[]): Promise<string[]>;
  /** Take tags off a run (absent ones are ignored); returns its tags after. Unknown id: StoreError. */
  untagRun(runId: number, tags: readonly string[]): Promise<string[]>;
  /** Set the run's note; null or blank text clears it. Unknown id: StoreError. */
  setRunNote(runId: number, note: string | null): Promise<void>;
  /** A buffered writer of the run's metrics (reads the run's start time once). */
  createMetricWriter(runId: number, options?: MetricWriterOptions): Promise<MetricWriter>;

  createSweep(sweep: NewSweep): Promise<number>;
  getSweep(sweepId: number): Promise<SweepRecord | undefined>;
  listSweeps(): Promise<SweepRecord[]>;
  /** The sweep's runs, by trial index. */
  listSweepTrials(sweepId: number): Promise<RunSummary[]>;
  /** Set the sweep's status; `running` reopens it (resume), any other status ends it now. */
  setSweepStatus(sweepId: number, status: SweepStatus): Promise<void>;
  /**
   * Replace the sweep's definition (a sampler that proposes trials as results come in, e.g.
   * TPE, records each proposal here before it runs, so a resumed sweep continues the same
   * sequence). Unknown id: StoreError.
   */
  setSweepDefinition(sweepId: number, definition: object): Promise<void>;
  /** Touch the sweep's heartbeat (`updated_at`): its local process does, while it runs. */
  heartbeatSweep(sweepId: number): Promise<void>;
  /**
   * Runs `fn` while holding the sweep's lock: workers on many machines proposing the next
   * trial of one sweep (TPE) do it one at a time (PostgreSQL: an advisory lock; SQLite: one
   * process only, nothing to take).
   */
  withSweepLock<T>(sweepId: number, fn: () => Promise<T>): Promise<T>;
  /**
   * Calls `onChange` as soon as another process writes metrics or ends a run, when the store
   * can tell (PostgreSQL: LISTEN/NOTIFY); absent where it cannot (SQLite: readers poll).
   * Resolves to the function that stops watching.
   */
  watchChanges?(onChange: () => void): Promise<() => Promise<void>>;

  listRuns(filter?: RunFilter): Promise<RunSummary[]>;
  /** How many runs `listRuns` would return without limit/offset. */
  countRuns(filter?: RunFilter): Promise<number>;
  getRun(runId: number): Promise<RunDetail | undefined>;
  /** Flattened params of these runs, all or only `keys` (missing ids are absent from the map). */
  getParams(
    runIds: readonly number[],
    keys?: readonly string[],
  ): Promise<Map<number, Readonly<Record<string, ParamValue>>>>;
  /** Param keys whose value differs among these runs (or that some lack), sorted: a listing's "key params". */
  varyingParamKeys(runIds: readonly number[]): Promise<string[]>;
  /** Ids among these that are not in the store. */
  missingRuns(runIds: readonly number[]): Promise<number[]>;
  getCurve(runId: number, key: string, options?: CurveOptions): Promise<CurvePoint[]>;
  /** Metric keys recorded for the run, sorted. */
  metricKeys(runId: number): Promise<string[]>;
  /** Per run, the last value of `key` recorded in `epoch` (for median stopping); runs without one are absent. */
  metricAtEpoch(
    runIds: readonly number[],
    key: string,
    epoch: number,
  ): Promise<Map<number, number>>;
  compareRuns(runIds: readonly number[]): Promise<RunComparison>;
  /** Record an evaluation of a run (unknown run: StoreError); returns its id. */
  addEvaluation(evaluation: NewEvaluation): Promise<number>;
  /** The run's evaluations, oldest first. */
  listEvaluations(runId: number): Promise<EvaluationRecord[]>;
  /** Delete runs with their params, metrics, tags and evaluations, in one transaction; returns how many existed. */
  deleteRuns(runIds: readonly number[]): Promise<number>;
  /**
   * Read-only SQL on a separate read-only connection. Statements that write (DELETE, UPDATE,
   * INSERT, DROP, ATTACH, PRAGMA x = y, ...) are refused with a StoreError and change nothing.
   */
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
  /** As `query`, the rows streamed from a cursor: for output of any size (`runner query --csv`). */
  queryRows(sql: string, params?: readonly unknown[]): Promise<QueryRows>;
  close(): Promise<void>;
}
