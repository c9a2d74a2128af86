import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { Store, TrialJob, TrialQueue } from '../../store/index.js';
import type { SweepDefinition } from '../../train/index.js';
import { outcome, type Outcome } from '../outcome.js';
import type { OutputFormat } from '../render.js';
import type { CliContext } from './command.js';
import { showSweepStatus } from './sweep-status.js';
import { resolveTrialConfig } from './trial-config.js';
import { workOnQueue } from './worker.js';
import { parseId } from './sweep.js';

export interface QueuedSweepFlags {
  readonly set?: string[];
  readonly parallel?: string;
  readonly db?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly heartbeat?: string;
  readonly retries?: string;
  readonly artifacts?: string;
  /** `--tag`, checked: every trial's run gets them (the jobs carry them to the workers). */
  readonly tags: readonly string[];
  readonly format: OutputFormat;
}

/**
 * `runner sweep FILE --db postgres://...`: checks every trial, records the sweep, enqueues
 * one job per trial (its resolved config inside) and, with `--parallel N` (default: one per
 * core), works on trials itself until the sweep is done; `--parallel 0` only enqueues.
 */
export async function runQueuedSweep(
  file: string | undefined,
  flags: QueuedSweepFlags,
  context: CliContext,
): Promise<Outcome> {
  const { out } = context;
  const store_ = await import('../../store/index.js');
  const train = await import('../../train/index.js');
  const parallel = parseParallel(flags.parallel);
  const heartbeatSeconds = parseHeartbeat(
    flags.heartbeat,
    store_.MIN_HEARTBEAT_SECONDS,
    store_.DEFAULT_HEARTBEAT_SECONDS,
  );
  const retryLimit = parseRetries(flags.retries, store_.DEFAULT_RETRY_LIMIT);
  const db = store_.resolveStorePath(flags.db, context.env, context.cwd);
  const shown = store_.redactStoreTarget(db);

  let jobs: TrialJob[];
  let sweepId: number;
  const store = await store_.openStore(db, { create: flags.resume === undefined });
  let queue: TrialQueue | undefined;
  try {
    queue = await store_.openTrialQueue(db, {
      supervise: parallel > 0,
      onError: (message) => out.note(`queue: ${message}`),
    });
    if (flags.resume !== undefined) {
      if (file !== undefined || (flags.set ?? []).length > 0)
        throw new UsageError(
          '--resume takes the file and --set values recorded with the sweep: give neither',
        );
      sweepId = parseId(flags.resume, '--resume');
      jobs = await jobsToResume(store, queue, sweepId);
    } else {
      if (file === undefined)
        throw new UsageError('sweep: give an experiment file, or --resume ID');
      const { planSweep } = await import('./sweep.js');
      const planned = await planSweep(file, flags.set ?? [], context);
      // TPE proposes each trial from earlier results.
      const sampler = planned.definition.sweep?.sampler;
      const adaptive = sampler !== undefined && train.SAMPLERS[sampler].adaptive;
      const configs = adaptive
        ? [await resolveTrialConfig(file, planned.definition.overrides, context.cwd)]
        : await resolvedTrialConfigs(file, planned.definition, context);
      const tags = flags.tags.length > 0 ? { tags: flags.tags } : {};
      sweepId = await store.createSweep({
        name: planned.name,
        configYaml: planned.configYaml,
        definition: { ...planned.definition, ...tags },
        metric: planned.metric,
        goal: planned.goal ?? store_.metricGoal(planned.metric),
        trialCount: train.plannedTrialCount(planned.definition),
        host: hostname(),
      });
      // An adaptive sampler's trials are proposed by the worker that takes each job, from
      // the trials finished by then (as the local sweep's free slots do): the jobs carry
      // the base config.
      jobs = adaptive
        ? Array.from({ length: train.plannedTrialCount(planned.definition) }, (_, trialIndex) => ({
            sweepId,
            trialIndex,
            runName: planned.name,
            configYaml: configs[0]!,
            adaptive: true,
            ...tags,
          }))
        : planned.definition.trials.map((trial, i) => ({
            sweepId,
            trialIndex: trial.index,
            runName: train.trialRunName(planned.name, trial.assignments),
            configYaml: configs[i]!,
            ...tags,
          }));
    }
    await queue.enqueue(jobs, { heartbeatSeconds, retryLimit });
    await store.setSweepStatus(sweepId, 'running');
    out.note(
      `sweep ${sweepId}: ${jobs.length} trial${jobs.length === 1 ? '' : 's'} queued on ${shown} ` +
        `(heartbeat ${heartbeatSeconds}s, ${retryLimit} retr${retryLimit === 1 ? 'y' : 'ies'} for a lost attempt)`,
    );
    if (parallel === 0) {
      // --json/--csv: the queued trials as `sweep status` has them (stdout is only the data).
      const say = (text: string) => (flags.format === 'table' ? out.line(text) : out.note(text));
      say(`sweep ${sweepId} queued. Start workers on any machine with:`);
      say(`  RUNNER_DB='${shown}' runner worker --parallel 1 --exit-when-idle 60`);
      say(`  runner sweep status ${sweepId} --db '${shown}'`);
      if (flags.format !== 'table') {
        await showSweepStatus(out, store, queue, (await store.getSweep(sweepId))!, flags.format);
      }
      return outcome('ok');
    }
    const quiet = Boolean(flags.quiet) || flags.format !== 'table';
    if (!quiet)
      out.note(`working on trials here, ${parallel} at a time (workers elsewhere join in)`);
    const open = queue;
    const { stoppedBy } = await workOnQueue({
      context,
      store,
      queue,
      db,
      parallel,
      isDone: async () =>
        (await open.sweepJobs(sweepId)).every((job) => store_.isFinalJobState(job.state)),
      artifactsDir:
        flags.artifacts === undefined ? undefined : resolve(context.cwd, flags.artifacts),
      quiet,
    });
    await train.settleSweepStatus(queue, store, sweepId);
    const sweep = (await store.getSweep(sweepId))!;
    await showSweepStatus(out, store, queue, sweep, flags.format);
    if (stoppedBy) {
      out.note(
        `trials still queued stay queued: workers take them, or cancel with: runner sweep cancel ${sweepId}`,
      );
      return outcome('interrupted');
    }
    return outcome(sweep.status === 'failed' ? 'failed' : 'ok');
  } finally {
    await queue?.close();
    await store.close();
  }
}

/** Each planned trial's config as `runner exp` would resolve it. */
async function resolvedTrialConfigs(
  file: string,
  definition: SweepDefinition,
  context: CliContext,
): Promise<string[]> {
  const configs: string[] = [];
  for (const trial of definition.trials)
    configs.push(
      await resolveTrialConfig(file, [...definition.overrides, ...trial.overrides], context.cwd),
    );
  return configs;
}

/** The trials of a sweep with no run that ended for good and no job still queued or running. */
async function jobsToResume(store: Store, queue: TrialQueue, sweepId: number): Promise<TrialJob[]> {
  const sweep = await store.getSweep(sweepId);
  if (sweep === undefined)
    throw new UsageError(`--resume ${sweepId}: there is no sweep ${sweepId} in ${store.path}`, {
      hint: 'list sweeps with: runner sweeps ls',
    });
  return requeueableJobs(store, queue, sweepId, ['completed', 'pruned', 'diverged']);
}

/**
 * The latest job of every trial whose runs did not end in one of `done` and which has no
 * job still queued or running: what `--resume` and `retry-failed` enqueue again.
 */
export async function requeueableJobs(
  store: Store,
  queue: TrialQueue,
  sweepId: number,
  done: readonly string[],
): Promise<TrialJob[]> {
  const { isFinalJobState } = await import('../../store/index.js');
  const runs = await store.listSweepTrials(sweepId);
  const finished = new Set(
    runs.filter((run) => done.includes(run.status)).map((run) => run.trialIndex),
  );
  const latest = new Map<number, { job: TrialJob; open: boolean }>();
  for (const record of await queue.sweepJobs(sweepId)) {
    const seen = latest.get(record.trialIndex);
    latest.set(record.trialIndex, {
      job: record.job,
      open: (seen?.open ?? false) || !isFinalJobState(record.state),
    });
  }
  return [...latest.entries()]
    .filter(([index, entry]) => !finished.has(index) && !entry.open)
    .sort(([a], [b]) => a - b)
    .map(([, entry]) => entry.job);
}

function parseParallel(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(
      `--parallel ${value}: expected a whole number (0: only enqueue, for workers to take)`,
    );
  return n;
}

function parseHeartbeat(value: string | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `--heartbeat ${value}: expected whole seconds, at least ${min} (pg-boss's floor)`,
    );
  return n;
}

function parseRetries(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--retries ${value}: expected a whole number of 0 or more`);
  return n;
}
