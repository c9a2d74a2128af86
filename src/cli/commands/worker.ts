import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { Store, TrialQueue } from '../../store/index.js';
import type { SweepDefinition, WorkerEvent } from '../../train/index.js';
import { outcome, type Outcome } from '../outcome.js';
import type { Renderer } from '../render.js';
import { DB_HELP } from '../store-access.js';
import { queuedTrialLauncher } from '../trial-process.js';
import { progressInterval } from '../sweep-progress.js';
import { createWorkerProgress } from '../worker-progress.js';
import type { CliContext, CommandDefinition } from './command.js';
import { prepareQueuedTrial } from './trial-config.js';

interface WorkerFlags {
  readonly db?: string;
  readonly parallel?: string;
  readonly exitWhenIdle?: string;
  readonly artifacts?: string;
  readonly quiet?: boolean;
}

/** `runner worker --db postgres://...`: takes queued sweep trials and trains them, on any machine. */
export const workerCommand: CommandDefinition = {
  name: 'worker',
  register(program, context) {
    program
      .command('worker')
      .description(
        'take queued sweep trials from a PostgreSQL store and train them (run one per machine, Slurm task or pod)',
      )
      .option('--db <url>', `${DB_HELP}; must be postgres://...`)
      .option('--parallel <n>', 'trials at a time on this machine (default 1)')
      .option('--exit-when-idle <seconds>', 'stop once no trial came for this long')
      .option('--artifacts <dir>', "trials' artifacts in this folder (e.g. a shared mount)")
      .option('--quiet', 'print only errors and the final line')
      .action(context.action((flags: WorkerFlags) => runWorkerCommand(flags, context)));
  },
};

async function runWorkerCommand(flags: WorkerFlags, context: CliContext): Promise<Outcome> {
  const parallel = parseCount(flags.parallel, '--parallel', 1);
  const idleSeconds =
    flags.exitWhenIdle === undefined ? undefined : parseSeconds(flags.exitWhenIdle);
  const { openStore, openTrialQueue, resolveStorePath, isPostgresUrl, redactStoreTarget } =
    await import('../../store/index.js');
  const db = resolveStorePath(flags.db, context.env, context.cwd);
  if (!isPostgresUrl(db)) {
    throw new UsageError(
      `runner worker: ${flags.db ? '--db' : 'the store'} ${db} is a SQLite file; workers take trials from a PostgreSQL store`,
      {
        hint: 'give --db postgres://USER@HOST/DB (or set RUNNER_DB), the URL the sweep was started with',
      },
    );
  }
  const store = await openStore(db);
  let queue: TrialQueue;
  try {
    queue = await openTrialQueue(db, {
      supervise: true,
      onError: (message) => context.out.note(`queue: ${message}`),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  context.out.note(
    `worker on ${hostname()} (pid ${process.pid}): taking trials from ${redactStoreTarget(db)}, ${parallel} at a time` +
      (idleSeconds === undefined ? '' : `, until idle for ${idleSeconds}s`),
  );
  try {
    const { trials, stoppedBy } = await workOnQueue({
      context,
      store,
      queue,
      db,
      parallel,
      ...(idleSeconds === undefined ? {} : { exitWhenIdleMs: idleSeconds * 1000 }),
      artifactsDir:
        flags.artifacts === undefined ? undefined : resolve(context.cwd, flags.artifacts),
      quiet: Boolean(flags.quiet),
    });
    context.out.line(
      `worker stopped${stoppedBy ? ` (${stoppedBy})` : idleSeconds === undefined ? '' : ' (idle)'}: ${trials} trial${trials === 1 ? '' : 's'} taken`,
    );
    return outcome(stoppedBy ? 'interrupted' : 'ok');
  } finally {
    await queue.close();
    await store.close();
  }
}

export interface WorkOnQueueOptions {
  readonly context: CliContext;
  readonly store: Store;
  readonly queue: TrialQueue;
  readonly db: string;
  readonly parallel: number;
  readonly exitWhenIdleMs?: number;
  readonly isDone?: () => Promise<boolean>;
  readonly artifactsDir: string | undefined;
  readonly quiet: boolean;
}

/**
 * Supervises queued trials until idle, done or stopped by a signal (the first one hands
 * running trials back to the queue; a second kills them). Shared by `worker` and `sweep`.
 */
export async function workOnQueue(
  options: WorkOnQueueOptions,
): Promise<{ readonly trials: number; readonly stoppedBy: string | undefined }> {
  const { context } = options;
  const { startTrialWorker, plannedTrialCount } = await import('../../train/index.js');
  let stoppedBy: string | undefined;
  // Its trials train quiet: where each is, every 30 s, as the local sweep says it.
  const progress = options.quiet
    ? undefined
    : createWorkerProgress({
        store: options.store,
        out: context.out,
        everyMs: progressInterval(context.env),
        total: async (sweepId) => {
          const sweep = await options.store.getSweep(sweepId);
          return sweep ? plannedTrialCount(sweep.definition as SweepDefinition) : 0;
        },
      });
  const worker = startTrialWorker({
    queue: options.queue,
    store: options.store,
    host: hostname(),
    parallel: options.parallel,
    prepare: prepareQueuedTrial(options.store, context.cwd),
    launch: queuedTrialLauncher({
      db: options.db,
      cwd: context.cwd,
      env: context.env,
      cores: Math.max(1, Math.floor(availableParallelism() / options.parallel)),
      artifactsDir: options.artifactsDir,
    }),
    ...(options.exitWhenIdleMs === undefined ? {} : { exitWhenIdleMs: options.exitWhenIdleMs }),
    ...(options.isDone ? { isDone: options.isDone } : {}),
    onEvent: (event) => {
      reportEvent(context.out, event, options.quiet);
      progress?.onEvent(event);
    },
  });
  const unlisten = context.signals.listen({
    onStop: (signal) => {
      stoppedBy = signal;
      context.out.note(
        `\n${signal}: taking no more trials; running ones stop and go back to the queue (again to quit at once)`,
      );
      worker.stop();
    },
    onForce: () => worker.kill(),
  });
  try {
    const { trials } = await worker.done;
    return { trials, stoppedBy };
  } finally {
    progress?.stop();
    unlisten();
  }
}

function reportEvent(out: Renderer, event: WorkerEvent, quiet: boolean): void {
  if (event.kind === 'error') {
    out.note(`worker: ${event.message}`);
    return;
  }
  if (quiet) return;
  if (event.kind === 'marked-lost') {
    out.note(`run ${event.runId} ${event.reason}`);
    return;
  }
  const { job, attempt } = event.taken;
  const trial = `sweep ${job.sweepId} trial ${job.trialIndex + 1}${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}`;
  if (event.kind === 'started') {
    out.note(`${trial} started: ${job.runName}`);
    return;
  }
  const run = event.runId === undefined ? '' : ` (run ${event.runId})`;
  out.note(`${trial} ${event.outcome}${run}${event.message ? `: ${event.message}` : ''}`);
}

function parseCount(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} ${value}: expected a whole number of 1 or more`);
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--exit-when-idle ${value}: expected seconds (0 or more), e.g. 60`);
  return n;
}
