import { Option } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../../backend/backends.js';
import { UsageError } from '../../errors.js';
import type { RunResult } from '../../train/index.js';
import { outputFormat, parsePort, parseTags } from '../parse-flags.js';
import { DB_HELP } from '../store-access.js';
import { outcome, type Outcome, type OutcomeKind } from '../outcome.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';

interface ExpFlags {
  readonly set?: string[];
  readonly db?: string;
  readonly name?: string;
  readonly tag?: string[];
  readonly note?: string;
  readonly backend?: BackendChoice;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly serve?: boolean;
  readonly port?: string;
  readonly sweepTrial?: string;
  readonly resume?: string;
  readonly force?: boolean;
}

/** `runner exp FILE`: train one config and record the run. */
export const expCommand: CommandDefinition = {
  name: 'exp',
  register(program, context) {
    program
      .command('exp')
      .description('train an experiment config and record every step in the run store')
      .argument('[file]', "experiment YAML file (with --resume: default the run's own config)")
      .option(
        '--set <key=value>',
        'override a config value (repeatable), e.g. train.epochs=1',
        collect,
        [],
      )
      .option('--db <path>', DB_HELP)
      .option('--name <name>', 'name of the run (default: the config name)')
      .option('--tag <tag>', 'tag the run, e.g. --tag baseline (repeatable)', collect, [])
      .option('--note <text>', 'a note on the run (see and change it with `runner runs note`)')
      .addOption(
        new Option('--backend <name>', 'compute backend (default: the config, else auto)').choices(
          BACKEND_CHOICES,
        ),
      )
      .option('--quiet', 'print only the final summary line')
      .option('--json', 'print the final summary as JSON')
      .option(
        '--csv',
        'print the final summary as CSV (one row; the --json fields, without the confusion matrix)',
      )
      .option('--serve', 'start the live dashboard beside the training and print its URL')
      .option('--port <port>', 'dashboard port with --serve', '6006')
      .option(
        '--resume <run-id>',
        'continue an interrupted, failed or lost run from its checkpoint',
      )
      .option(
        '--force',
        'with --resume: continue even if the config, backend or runner version differs',
      )
      .addOption(new Option('--sweep-trial <sweep:index>', 'run as a trial of a sweep').hideHelp())
      .action(
        context.action((file: string | undefined, flags: ExpFlags) => runExp(file, flags, context)),
      );
  },
};

async function runExp(
  file: string | undefined,
  flags: ExpFlags,
  context: CliContext,
): Promise<Outcome> {
  const { out } = context;
  const sweepTrial = parseSweepTrial(flags.sweepTrial);
  const resumeId = parseResume(flags.resume);
  if (file === undefined && resumeId === undefined) {
    throw new UsageError('exp: missing the experiment file', {
      hint: 'runner exp configs/lenet.yaml, or runner exp --resume RUN_ID',
    });
  }
  if (flags.force && resumeId === undefined) {
    throw new UsageError('--force: only with --resume RUN_ID');
  }
  const format = outputFormat(flags);
  const tags = await parseTags(flags.tag ?? [], '--tag');
  const { loadExperiment } = await import('../../config/index.js');
  const set = [...(flags.set ?? []), ...(flags.backend ? [`backend=${flags.backend}`] : [])];
  const { REGISTRIES } = await import('../../registries.js');

  const [{ openStore, resolveStorePath, resolveArtifactsDir }, train, { formatDownloadProgress }] =
    await Promise.all([
      import('../../store/index.js'),
      import('../../train/index.js'),
      import('../../data/index.js'),
    ]);
  const dbPath = resolveStorePath(flags.db, context.env, context.cwd);
  let resume: import('../../train/index.js').ResumePlan | undefined;
  if (resumeId !== undefined) {
    const store = await openStore(dbPath, { create: false });
    try {
      resume = await train.prepareResume(store, resumeId, {
        force: Boolean(flags.force),
        ...(file !== undefined ? { configFile: file } : {}),
      });
    } finally {
      await store.close();
    }
  }
  const experiment = await loadExperiment(resume?.configFile ?? file!, {
    registries: REGISTRIES,
    set,
    cwd: context.cwd,
  });

  const { createProgressReporter, formatNextSteps, formatRunSummary } =
    await import('./exp-progress.js');
  const store = await openStore(dbPath);
  const quiet = Boolean(flags.quiet) || format !== 'table';
  let dashboard: import('../serve-beside.js').ServedDashboard | undefined;
  let stopRequested = false;
  let runId: number | undefined;
  // A second signal quits at once (main.ts): everything flushed so far is in the store, and the
  // run is marked interrupted first (main.ts waits a second at most; if the store is locked for longer
  // than its busy timeout, the run is found lost by its heartbeat instead).
  const unlisten = context.signals.listen({
    onStop: (signal) => {
      stopRequested = true;
      out.note(
        `\n${signal}: stopping after this step and saving what was recorded (again to quit at once)`,
      );
    },
    onForce: async (signal) => {
      if (runId === undefined) return;
      try {
        await store.finishRun(runId, {
          status: 'interrupted',
          error: `${signal} twice: quit at once`,
        });
        out.note(`${signal}: quitting at once; run ${runId} marked interrupted`);
      } catch {
        out.note(`${signal}: quitting at once; run ${runId} could not be marked (store busy)`);
      }
    },
  });
  let flushMetrics: (() => Promise<void>) | undefined;
  const { watchParent } = await import('../watch-parent.js');
  const unwatch = sweepTrial
    ? watchParent({
        run: () =>
          runId === undefined || flushMetrics === undefined ? undefined : { runId, flushMetrics },
        store,
        stop: () => (stopRequested = true),
        parent: context.env['RUNNER_TRIAL_PARENT'],
        signals: context.signals,
        onOrphaned: () => {
          for (const stream of [process.stdout, process.stderr])
            stream.on('error', () => undefined);
        },
        ...graceOf(context.env),
      })
    : async () => undefined;
  try {
    if (flags.serve) {
      const { serveBeside } = await import('../serve-beside.js');
      dashboard = await serveBeside(dbPath, parsePort(flags.port ?? '6006'));
      out.note(dashboard.note);
    }
    if (resume) {
      // A resumed run keeps its row: new tags and a new note go onto it.
      if (tags.length > 0) await store.tagRun(resume.run.id, tags);
      if (flags.note !== undefined) await store.setRunNote(resume.run.id, flags.note);
    }
    const reporter = createProgressReporter(out, { quiet, formatDownload: formatDownloadProgress });
    const result = await train.runExperiment({
      experiment,
      store,
      runsDir: resolveArtifactsDir(dbPath, context.env, context.cwd),
      ...(flags.name ? { name: flags.name } : {}),
      ...(tags.length > 0 ? { tags } : {}),
      ...(flags.note !== undefined ? { note: flags.note } : {}),
      reporter: {
        ...reporter,
        onStart: (start) => {
          runId = start.runId;
          flushMetrics = start.flushMetrics;
          reporter.onStart?.(start);
        },
      },
      shouldStop: () => stopRequested,
      cwd: context.cwd,
      env: context.env,
      ...(sweepTrial
        ? {
            sweep: await train.sweepTrialContext(store, sweepTrial, {
              maxEpochs: experiment.train.epochs,
            }),
          }
        : {}),
      ...(resume ? { resume } : {}),
    });
    if (format === 'json') out.json(result);
    else if (format === 'csv') out.csv([runSummaryRow(result)], RUN_SUMMARY_COLUMNS);
    else out.line(formatRunSummary(result));
    if (!quiet) {
      for (const line of formatNextSteps(result.runId, dashboard)) out.line(line);
    }
    if (dashboard?.own && result.status !== 'interrupted') {
      // Listen before the training's listener goes: between the two, a Ctrl-C
      // would meet Node's default handler and kill the process.
      const stopped = new Promise<void>((resolve) => {
        const stopServing = context.signals.listen({
          onStop: () => {
            stopServing();
            resolve();
          },
        });
      });
      unlisten();
      out.note(`dashboard still serving at ${dashboard.url} (Ctrl-C to stop)`);
      await stopped;
    }
    return outcome(RUN_OUTCOME[result.status]);
  } finally {
    await unwatch();
    unlisten();
    await dashboard?.close();
    await store.close();
  }
}

/**
 * RUNNER_PARENT_GRACE_MS (0 or more) if set: how long a trial whose parent died may take to end
 * its step (a test makes it short); else the default of `watchParent`.
 */
function graceOf(env: NodeJS.ProcessEnv): { graceMs?: number } {
  const value = Number(env['RUNNER_PARENT_GRACE_MS']);
  return env['RUNNER_PARENT_GRACE_MS'] !== undefined && Number.isFinite(value) && value >= 0
    ? { graceMs: value }
    : {};
}

const EVALUATION_FIELDS = ['loss', 'accuracy', 'rmse', 'mae', 'count'] as const;

/** `exp --csv`: the `--json` summary's fields as columns, nested ones by their path. */
const RUN_SUMMARY_COLUMNS = [
  'runId',
  'name',
  'status',
  'steps',
  'epochs',
  'evalName',
  ...EVALUATION_FIELDS.map((field) => `final.${field}`),
  'best.epoch',
  ...EVALUATION_FIELDS.map((field) => `best.${field}`),
  'divergedAtStep',
  'divergence',
  'stopReason',
  'durationMs',
  'backend',
  'runDir',
  'dbPath',
] as const;

function runSummaryRow(result: RunResult): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of RUN_SUMMARY_COLUMNS) {
    const [head, field] = column.split('.') as [keyof RunResult, string | undefined];
    const value: unknown = result[head];
    row[column] =
      field === undefined ? value : (value as Record<string, unknown> | undefined)?.[field];
  }
  return row;
}

/** How a finished run ends the command; a pruned trial did what its sweep asked. */
const RUN_OUTCOME: Record<RunResult['status'], OutcomeKind> = {
  completed: 'ok',
  pruned: 'ok',
  diverged: 'diverged',
  failed: 'failed',
  interrupted: 'interrupted',
};

function parseResume(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--resume ${value}: expected a run id, e.g. --resume 12`);
  return Number(value);
}

function parseSweepTrial(
  value: string | undefined,
): { sweepId: number; trialIndex: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--sweep-trial ${value}: expected SWEEP_ID:TRIAL_INDEX`);
  return { sweepId: Number(match[1]), trialIndex: Number(match[2]) };
}
