import { StoreError } from '../../errors.js';
import { redactStoreTarget } from '../store-path.js';
import { isConnectionError } from './pg-dialect.js';
import {
  DEFAULT_HEARTBEAT_SECONDS,
  isFinalJobState,
  MONITOR_SECONDS,
  QUEUE_SCHEMA,
  TRIAL_QUEUE,
  type OpenTrialQueueOptions,
  type TakenTrial,
  type TrialJob,
  type TrialJobRecord,
  type TrialJobState,
  type TrialQueue,
} from './trial-job.js';

/** The longest a job may stay active (pg-boss's bound is 24 hours): a longer trial is retried. */
const EXPIRE_SECONDS = 24 * 60 * 60;

/** Opens the trial queue on the PostgreSQL database at `url` (installs pg-boss's schema once). */
export async function openTrialQueue(
  url: string,
  options: OpenTrialQueueOptions,
): Promise<TrialQueue> {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({
    connectionString: url,
    schema: QUEUE_SCHEMA,
    application_name: 'runner-queue',
    max: 4,
    supervise: options.supervise,
    schedule: false,
    superviseIntervalSeconds: MONITOR_SECONDS,
    monitorIntervalSeconds: MONITOR_SECONDS,
    registerInstance: false,
  });
  boss.on('error', (error: unknown) => options.onError?.(messageOf(error)));
  try {
    await boss.start();
    if ((await boss.getQueue(TRIAL_QUEUE)) === null) {
      await boss.createQueue(TRIAL_QUEUE, { expireInSeconds: EXPIRE_SECONDS });
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw new StoreError(
      `cannot open the trial queue on ${redactStoreTarget(url)}: ${messageOf(error)}`,
      {
        cause: error,
        hint: isConnectionError(error)
          ? 'is the server running and reachable? check host, port and credentials (PGPASSWORD, ~/.pgpass)'
          : 'the user needs CREATE on the database the first time (pg-boss installs schema runner_queue)',
      },
    );
  }
  const attemptOf = (trial: TakenTrial) => ({ id: trial.jobId, retryCount: trial.attempt });
  const toRecord = (job: {
    id: string;
    data: unknown;
    state: TrialJobState;
    retryCount: number;
    retryLimit: number;
    output: unknown;
    createdOn: Date;
  }): TrialJobRecord => {
    const data = job.data as TrialJob;
    return {
      jobId: job.id,
      sweepId: data.sweepId,
      trialIndex: data.trialIndex,
      state: job.state,
      attempt: job.retryCount,
      retryLimit: job.retryLimit,
      output: job.output ?? null,
      createdAt: job.createdOn.getTime(),
      job: data,
    };
  };
  return {
    async enqueue(jobs, enqueue) {
      const ids = await boss.insert(
        TRIAL_QUEUE,
        jobs.map((data) => ({
          data,
          // Trials in their order (one insert gives every job the same created_on): TPE
          // proposes trial k from those before it, and pruners' rungs fill in order.
          priority: -data.trialIndex,
          retryLimit: enqueue.retryLimit,
          retryDelay: 0,
          heartbeatSeconds: enqueue.heartbeatSeconds,
          expireInSeconds: EXPIRE_SECONDS,
          // Kept: `sweep status` and `retry-failed` read a sweep's jobs long after it ran.
          deleteAfterSeconds: 0,
        })),
        { returnId: true },
      );
      return ids ?? [];
    },
    async take() {
      const [job] = await boss.fetch<TrialJob>(TRIAL_QUEUE, { includeMetadata: true });
      if (job === undefined) return undefined;
      return {
        jobId: job.id,
        attempt: job.retryCount,
        retryLimit: job.retryLimit,
        heartbeatSeconds: job.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS,
        job: job.data,
      };
    },
    async heartbeat(trial) {
      return affected(await boss.touch(TRIAL_QUEUE, attemptOf(trial))) === 1;
    },
    async complete(trial, output) {
      return affected(await boss.complete(TRIAL_QUEUE, attemptOf(trial), output)) === 1;
    },
    async fail(trial, output) {
      return affected(await boss.fail(TRIAL_QUEUE, attemptOf(trial), output)) === 1;
    },
    async jobState(jobId) {
      const [job] = await boss.findJobs(TRIAL_QUEUE, { id: jobId });
      return job?.state;
    },
    async sweepJobs(sweepId) {
      const jobs = await boss.findJobs<TrialJob>(TRIAL_QUEUE, {
        data: { sweepId },
        limit: 100_000,
      });
      return jobs.map(toRecord).sort((a, b) => a.createdAt - b.createdAt);
    },
    async cancelSweep(sweepId) {
      const open = (
        await boss.findJobs<TrialJob>(TRIAL_QUEUE, { data: { sweepId }, limit: 100_000 })
      ).filter((job) => !isFinalJobState(job.state));
      if (open.length === 0) return 0;
      return affected(
        await boss.cancel(
          TRIAL_QUEUE,
          open.map((job) => job.id),
        ),
      );
    },
    async close() {
      await boss.stop({ graceful: false, timeout: 2_000 });
    },
  };
}

/** pg-boss answers `{jobs, requested, affected}`; its declared type is empty. */
function affected(response: object): number {
  const count = (response as { affected?: unknown }).affected;
  return typeof count === 'number' ? count : 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
