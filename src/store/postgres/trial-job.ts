/**
 * Sweep trials as pg-boss jobs on the store's PostgreSQL (schema `runner_queue`, queue
 * `runner-trials`). pg-boss does the queueing (SKIP LOCKED claims), the retries, the
 * per-job heartbeats and the monitor that fails a job whose heartbeat went stale. Every
 * heartbeat and settlement passes the attempt that was fetched (`{id, retryCount}`), so pg-boss
 * changes the job only if that attempt still holds it, in the same statement: a worker that
 * was cut off and comes back cannot complete or keep alive a job handed to another worker.
 */
export const QUEUE_SCHEMA = 'runner_queue';
export const TRIAL_QUEUE = 'runner-trials';

/** pg-boss's floor for a job heartbeat. */
export const MIN_HEARTBEAT_SECONDS = 10;
export const DEFAULT_HEARTBEAT_SECONDS = 30;
export const DEFAULT_RETRY_LIMIT = 2;
/** How often a worker's pg-boss looks for jobs whose heartbeat went stale (and expired ones). */
export const MONITOR_SECONDS = 2;

/** What a trial job carries: everything a worker on another machine needs, no local path. */
export interface TrialJob {
  readonly sweepId: number;
  readonly trialIndex: number;
  readonly runName: string;
  /**
   * The trial's resolved config (extends merged, --set applied, defaults filled) as YAML.
   * For an adaptive sampler (TPE) it is the sweep's base config: the worker that takes the
   * job proposes the trial's values from the trials finished by then and applies them.
   */
  readonly configYaml: string;
  /** The trial is proposed when taken (TPE), not planned up front. */
  readonly adaptive?: boolean;
  /** `runner sweep --tag`: the tags the trial's run gets. */
  readonly tags?: readonly string[];
}

/** One attempt at a job, as a worker took it. `attempt` is pg-boss's retryCount (0 first). */
export interface TakenTrial {
  readonly jobId: string;
  readonly attempt: number;
  readonly retryLimit: number;
  readonly heartbeatSeconds: number;
  readonly job: TrialJob;
}

export type TrialJobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/** A job as `sweep status` shows it. */
export interface TrialJobRecord {
  readonly jobId: string;
  readonly sweepId: number;
  readonly trialIndex: number;
  readonly state: TrialJobState;
  readonly attempt: number;
  readonly retryLimit: number;
  readonly output: unknown;
  readonly createdAt: number;
  /** What it carries (retry-failed and --resume enqueue the same again). */
  readonly job: TrialJob;
}

export interface EnqueueOptions {
  readonly heartbeatSeconds: number;
  readonly retryLimit: number;
}

export interface TrialQueue {
  enqueue(jobs: readonly TrialJob[], options: EnqueueOptions): Promise<string[]>;
  /** Claims the next job, if any. */
  take(): Promise<TakenTrial | undefined>;
  /** Refreshes the attempt's heartbeat; false when the attempt no longer holds the job. */
  heartbeat(trial: TakenTrial): Promise<boolean>;
  /** Completes the job (no retry); false when the attempt no longer holds it. */
  complete(trial: TakenTrial, output: object): Promise<boolean>;
  /** Fails the attempt: pg-boss retries it while retries are left. False when it no longer holds it. */
  fail(trial: TakenTrial, output: object): Promise<boolean>;
  /** The job's state now (undefined when it is gone). */
  jobState(jobId: string): Promise<TrialJobState | undefined>;
  /** Every job of a sweep, oldest first. */
  sweepJobs(sweepId: number): Promise<TrialJobRecord[]>;
  /** Cancels the sweep's jobs that are queued or active; returns how many. */
  cancelSweep(sweepId: number): Promise<number>;
  close(): Promise<void>;
}

export interface OpenTrialQueueOptions {
  /** Run pg-boss's monitor (stale heartbeats, expiry): workers do; a process that only enqueues does not. */
  readonly supervise: boolean;
  /** Background errors of pg-boss (the server went away, ...): the queue keeps retrying. */
  readonly onError?: (message: string) => void;
}

const FINAL_STATES: readonly TrialJobState[] = ['completed', 'cancelled', 'failed'];

/** Whether a job will not run again. */
export function isFinalJobState(state: TrialJobState): boolean {
  return FINAL_STATES.includes(state);
}
