/**
 * The run store: the only place with SQL. Runs, params, metrics and sweeps in
 * one SQLite file (WAL: a reader beside a writer), schema versioned and migrated
 * forward on open.
 */
export type {
  CurveOptions,
  CurvePoint,
  EvaluationKind,
  EvaluationRecord,
  MetricComparison,
  MetricGoal,
  MetricSummary,
  MetricWriter,
  MetricWriterOptions,
  MetricWriterStats,
  NewEvaluation,
  NewRun,
  NewSweep,
  OpenStoreOptions,
  ParamValue,
  QueryResult,
  QueryRows,
  RunComparison,
  RunDetail,
  RunFacts,
  RunFilter,
  RunOutcome,
  PrunedAt,
  RunRewind,
  RunStatus,
  RunSummary,
  Store,
  StoreKind,
  SweepRecord,
  SweepStatus,
} from './types.js';
export { RUN_STATUSES } from './types.js';
export { openStore, STORE_SCHEMA_VERSION } from './open-store.js';
export {
  resolveStorePath,
  DEFAULT_STORE_PATH,
  isPostgresUrl,
  redactStoreTarget,
  resolveArtifactsDir,
} from './store-path.js';
export { flattenConfig } from './flatten-config.js';
export {
  runState,
  isRunAlive,
  localLivenessProbe,
  processStartedAt,
  lastRecordedStep,
  HEARTBEAT_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  heartbeatIntervalOf,
  type RunState,
  type LivenessProbe,
  type LivenessFacts,
} from './run-liveness.js';
export { tagProblem, MAX_TAG_LENGTH, MAX_NOTE_LENGTH } from './run-labels.js';
export { metricGoal, isRankedMetric, summaryKeys, EPOCH_MEANS } from './metric-goal.js';
export { varyingParams, winnerIndex, sortMetricKeys } from './run-listing.js';
export { downsample, type SeriesPoint } from './downsample.js';
export { parseWhere } from './where-language.js';
export type { WhereNode, WhereOperand, CompareOp } from './where-language.js';
export { openTrialQueue } from './open-trial-queue.js';
export {
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_RETRY_LIMIT,
  MIN_HEARTBEAT_SECONDS,
  MONITOR_SECONDS,
  isFinalJobState,
} from './postgres/trial-job.js';
export type {
  EnqueueOptions,
  OpenTrialQueueOptions,
  TakenTrial,
  TrialJob,
  TrialJobRecord,
  TrialJobState,
  TrialQueue,
} from './postgres/trial-job.js';
