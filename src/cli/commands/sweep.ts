import { spawn } from 'node:child_process';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { UsageError } from '../../errors.js';
import type { LivenessProbe, PrunedAt, RunSummary, Store } from '../../store/index.js';
import type { SweepAxis, SweepDefinition, TrialPlan, TrialReport } from '../../train/index.js';
import { DB_HELP } from '../store-access.js';
import { bestConfiguration } from '../../train/sweep-values.js';
import { formatPrunedRung } from '../../train/sweep-pruners.js';
import { configurationRows, repeatsOf, sweepTrialRows } from './sweeps/trial-rows.js';
import { parseTrialResult } from '../trial-process.js';
import { outputFormat, parseTags } from '../parse-flags.js';
import { progressInterval, startSweepProgress } from '../sweep-progress.js';
import { outcome, type Outcome } from '../outcome.js';
import type { View, ViewColumn } from '../render.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';
import { formatDuration, formatMetric } from '../../format/index.js';

interface SweepFlags {
  readonly set?: string[];
  readonly parallel?: string;
  readonly db?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly heartbeat?: string;
  readonly retries?: string;
  readonly artifacts?: string;
  readonly tag?: readonly string[];
}

const MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));

/** `runner sweep FILE --set key=v1,v2`: one trial per combination, each an ordinary recorded run. */
export const sweepCommand: CommandDefinition = {
  name: 'sweep',
  register(program, context) {
    program
      .command('sweep')
      .description(
        'run one trial per combination of values (sweep: in the config, or --set key=v1,v2,...)',
      )
      .argument(
        '[file]',
        'experiment YAML file (not needed with --resume); or status, cancel, retry-failed',
      )
      .argument('[id]', 'with status, cancel or retry-failed: the sweep id')
      .option(
        '--set <key=v1,v2,...>',
        'vary a config value over a list, or set one value (repeatable)',
        collect,
        [],
      )
      .option(
        '--parallel <n>',
        'trials at a time here (default: one per core; 0 on PostgreSQL: only enqueue for workers)',
      )
      .option('--db <path>', DB_HELP)
      .option('--resume <sweep-id>', 'run the trials of an interrupted sweep that did not finish')
      .option('--tag <tag>', "tag every trial's run (repeatable), as exp --tag", collect)
      .option('--quiet', 'print only the final table')
      .option('--json', 'print the trials as JSON')
      .option('--csv', 'print the trials as CSV (one row per trial; also for status)')
      .option(
        '--heartbeat <seconds>',
        'PostgreSQL: job heartbeat of queued trials (default 30, >= 10)',
      )
      .option('--retries <n>', 'PostgreSQL: retries of a trial whose attempt was lost (default 2)')
      .option('--artifacts <dir>', "PostgreSQL: trials' artifacts in this folder (a shared mount)")
      .action(
        context.action(
          async (file: string | undefined, id: string | undefined, flags: SweepFlags) => {
            const control = await import('./sweep-control.js');
            if (control.isSweepAction(file))
              return control.runSweepAction(file, id, flags, context);
            if (id !== undefined)
              throw new UsageError(`sweep ${file ?? ''} ${id}: one experiment file only`, {
                hint: 'runner sweep FILE --set key=v1,v2, or runner sweep status|cancel|retry-failed ID',
              });
            return runSweepCommand(file, flags, context);
          },
        ),
      );
  },
};

async function runSweepCommand(
  file: string | undefined,
  flags: SweepFlags,
  context: CliContext,
): Promise<Outcome> {
  const { out } = context;
  const { isPostgresUrl, resolveStorePath: storeOf } = await import('../../store/index.js');
  const format = outputFormat(flags);
  const tags = await parseTags(flags.tag ?? [], 'sweep --tag');
  if (flags.resume !== undefined && tags.length > 0)
    throw new UsageError(
      '--tag: a resumed sweep tags its trials with the tags it was started with',
      { hint: 'to tag runs afterwards: runner runs tag ID TAG...' },
    );
  if (isPostgresUrl(storeOf(flags.db, context.env, context.cwd))) {
    // On PostgreSQL, trials are jobs that workers on any machine take (sweep-queued.ts).
    const { runQueuedSweep } = await import('./sweep-queued.js');
    return runQueuedSweep(file, { ...flags, tags, format }, context);
  }
  for (const [flag, value] of [
    ['--heartbeat', flags.heartbeat],
    ['--retries', flags.retries],
    ['--artifacts', flags.artifacts],
  ] as const)
    if (value !== undefined)
      throw new UsageError(
        `${flag}: only for a sweep queued on a PostgreSQL store (--db postgres://...)`,
      );
  let parallel = parseParallel(flags.parallel);
  const [
    {
      openStore,
      resolveStorePath,
      metricGoal,
      isRunAlive,
      localLivenessProbe,
      processStartedAt,
      heartbeatIntervalOf,
      HEARTBEAT_TIMEOUT_MS,
    },
    train,
  ] = await Promise.all([import('../../store/index.js'), import('../../train/index.js')]);
  const dbPath = resolveStorePath(flags.db, context.env, context.cwd);

  let store: Store;
  let sweepId: number;
  let definition: SweepDefinition;
  let sweepName: string;
  let metric: string;
  if (flags.resume !== undefined) {
    if (file !== undefined || (flags.set ?? []).length > 0) {
      throw new UsageError(
        '--resume takes the file and --set values recorded with the sweep: give neither',
      );
    }
    store = await openStore(dbPath, { create: false });
    sweepId = parseId(flags.resume, '--resume');
    const record = await store.getSweep(sweepId);
    if (record === undefined) {
      await store.close();
      throw new UsageError(
        `--resume ${flags.resume}: there is no sweep ${sweepId} in ${store.path}`,
        {
          hint: 'list sweeps with: runner query "select * from sweeps"',
        },
      );
    }
    definition = record.definition as SweepDefinition;
    sweepName = record.name;
    metric = record.metric;
    // A trial whose process still works on it (an orphan of a killed sweep, a sweep resumed
    // elsewhere) must not get a second copy. The sweep's own process is judged by the store's
    // one liveness rule: its pid and start time on this host, its heartbeat on another.
    const probe = localLivenessProbe();
    const own = definition.process;
    const sweepAlive =
      own !== undefined &&
      !(own.host === probe.host && own.pid === process.pid) &&
      isRunAlive(
        {
          status: record.status,
          host: own.host,
          pid: own.pid,
          pidStartedAt: own.startedAt,
          updatedAt: record.updatedAt,
        },
        probe,
      );
    if (sweepAlive) {
      await store.close();
      throw new UsageError(
        `--resume ${sweepId}: sweep ${sweepId} is still running (pid ${own.pid} on ${own.host}` +
          byHeartbeat(own.host, record.updatedAt, probe, HEARTBEAT_TIMEOUT_MS) +
          `): resuming now would start its trials a second time`,
        {
          hint:
            own.host === probe.host
              ? `wait for it to end, or stop it (kill ${own.pid}), then resume`
              : `wait for it to end, or stop it on ${own.host} (kill ${own.pid}), then resume`,
        },
      );
    }
    const alive = (await store.listSweepTrials(sweepId)).filter((run) => isRunAlive(run, probe));
    if (alive.length > 0) {
      await store.close();
      throw new UsageError(
        `--resume ${sweepId}: ${alive
          .map(
            (run) =>
              `trial ${(run.trialIndex ?? 0) + 1} is still running (run ${run.id}` +
              (run.pid === null ? '' : `, pid ${run.pid}`) +
              ` on ${run.host}${byHeartbeat(run.host, run.updatedAt, probe, HEARTBEAT_TIMEOUT_MS)})`,
          )
          .join(', ')}: resuming now would start it a second time`,
        { hint: 'wait for it to end, or stop it (kill PID), then resume' },
      );
    }
    // A --parallel given to the resume becomes the sweep's: the next resume keeps it too.
    if (flags.parallel === undefined && definition.parallel !== undefined)
      parallel = definition.parallel;
    definition = { ...definition, parallel, process: ownProcess(processStartedAt) };
    await store.setSweepDefinition(sweepId, definition);
  } else {
    if (file === undefined) throw new UsageError('sweep: give an experiment file, or --resume ID');
    const planned = await planSweep(file, flags.set ?? [], context);
    store = await openStore(dbPath);
    metric = planned.metric;
    sweepName = planned.name;
    definition = {
      ...planned.definition,
      parallel,
      process: ownProcess(processStartedAt),
      ...(tags.length > 0 ? { tags } : {}),
    };
    sweepId = await store.createSweep({
      name: planned.name,
      configYaml: planned.configYaml,
      definition,
      metric,
      goal: planned.goal ?? metricGoal(metric),
      trialCount: train.plannedTrialCount(definition),
      host: hostname(),
    });
  }

  const source = await train.openTrialSource(store, sweepId);
  const pending = await train.pendingTrials(store, sweepId, definition.trials);
  const skipped = definition.trials.length - pending.length;
  const toRun = source.total - skipped;
  const quiet = Boolean(flags.quiet) || format !== 'table';
  const total = source.total;
  const slots = Math.min(parallel, Math.max(1, toRun));
  const children = new Set<ReturnType<typeof spawn>>();
  let stopRequested = false;
  // A second signal kills the trials and quits at once (main.ts ends the process).
  const unlisten = context.signals.listen({
    onStop: (signal) => {
      stopRequested = true;
      out.note(
        `\n${signal}: stopping the running trials and launching no more (resume with: runner sweep --resume ${sweepId})`,
      );
      for (const child of children) child.kill('SIGINT');
    },
    onForce: () => {
      for (const child of children) child.kill('SIGKILL');
    },
  });
  // Said once Ctrl-C is handled: one pressed on seeing this line must stop the trials, not
  // meet Node's default handler.
  if (!quiet) {
    out.note(
      `sweep ${sweepId}: ${total} trials` +
        (definition.sweep?.sampler === 'tpe' ? ` (tpe, ${describeTpe(definition)})` : '') +
        (skipped > 0 ? `, ${skipped} already finished, ${toRun} to run` : '') +
        `, ${slots} at a time` +
        (flags.resume !== undefined && flags.parallel === undefined && definition.parallel
          ? ` (the sweep's --parallel ${definition.parallel})`
          : ''),
    );
  }
  const started = Date.now();
  // The sweep's heartbeat, for a resume on another host (where its pid means nothing). This
  // process mostly waits on its trials, so a timer on the main thread keeps time.
  const beat = setInterval(
    () => void store.heartbeatSweep(sweepId).catch(() => undefined), // busy: the next beat
    heartbeatIntervalOf(context.env),
  );
  beat.unref();
  let ended = skipped;
  const stopProgress = quiet
    ? () => undefined
    : startSweepProgress({
        sweepId,
        total,
        listTrials: () => store.listSweepTrials(sweepId),
        ended: () => ended,
        note: (text) => out.note(text),
        status: (text) => out.status(text),
        liveStatus: out.liveStatus,
        everyMs: progressInterval(context.env),
      });
  try {
    const reports = await train.runSweep({
      store,
      sweepId,
      source,
      parallel: slots,
      shouldStop: () => stopRequested,
      launch: (trial) =>
        launchTrial(trial, {
          definition,
          dbPath,
          sweepId,
          runName:
            train.trialRunName(sweepName, trial.assignments) +
            ((definition.sweep?.repeats ?? 1) > 1
              ? ` seed=${(definition.seed ?? 0) + (trial.repeat ?? 0)}`
              : ''),
          cwd: context.cwd,
          children,
          store,
          stopping: () => stopRequested,
          cores: Math.max(1, Math.floor(availableParallelism() / slots)),
        }),
      onTrialStart: (trial) => {
        if (!quiet)
          out.note(`trial ${trial.index + 1}/${total} started: ${describeAssignments(trial)}`);
      },
      onTrialEnd: async (report) => {
        ended++;
        if (quiet) return;
        const run = report.runId === undefined ? '' : ` (run ${report.runId})`;
        const why = report.message ? `: ${report.message}` : '';
        const value =
          report.runId === undefined
            ? undefined
            : (await store.getRun(report.runId))?.metrics[metric]?.last.value;
        const shown = value === undefined ? '' : ` ${metric} ${formatMetric(value)}`;
        out.note(`trial ${report.trial.index + 1}/${total} ${report.status}${shown}${run}${why}`);
      },
    });
    const record = (await store.getSweep(sweepId))!;
    const rows = trialRows(
      await store.listSweepTrials(sweepId),
      (record.definition as SweepDefinition | null) ?? definition,
      record.metric,
      record.goal,
    );
    const assigned = Object.keys(
      (record.definition as SweepDefinition | null)?.trials[0]?.assignments ?? {},
    );
    const view: View<TrialRow> = {
      records: rows,
      columns: [
        { key: 'trial', kind: 'id' },
        { key: 'run', kind: 'id' },
        { key: 'status' },
        ...assigned.map((key): ViewColumn<TrialRow> => ({ key, kind: 'param' })),
        { key: record.metric, kind: 'metric' },
        // Where the pruned trials stopped (as in runs ls --sweep and sweeps show).
        ...(rows.some((row) => row['rung'] !== null)
          ? [
              {
                key: 'rung',
                value: (row: TrialRow) => {
                  const rung = row['rung'];
                  return rung !== null && typeof rung === 'object' ? formatPrunedRung(rung) : null;
                },
              },
            ]
          : []),
      ],
      json: {
        sweepId,
        status: record.status,
        metric: record.metric,
        goal: record.goal,
        trials: rows,
      },
    };
    out.view(view, format);
    if (format === 'table') {
      const counts = countStatuses(rows);
      const best = rows.find(
        (row) => row.status === 'completed' && typeof row[record.metric] === 'number',
      );
      const bestValue = best?.[record.metric];
      out.line(
        `sweep ${sweepId} ${record.status} in ${formatDuration(Date.now() - started)}: ${counts}` +
          (best
            ? `; best: trial ${best.trial} (run ${best.run}) ${record.metric} ${formatMetric(typeof bestValue === 'number' ? bestValue : null)}`
            : ''),
      );
      if (repeatsOf(record) > 1) {
        const { rows: trials } = sweepTrialRows(record, await store.listSweepTrials(sweepId));
        const top = bestConfiguration(configurationRows(trials), record.goal);
        if (top)
          out.line(
            `best configuration (mean over ${top.completed} seeds): ${Object.entries(top.values)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' ')} ${record.metric} ${formatMetric(top.mean)}` +
              (top.std === null ? '' : ` ± ${formatMetric(top.std)}`) +
              ` (trials ${top.trials.join(', ')}; runner sweeps show ${sweepId})`,
          );
      }
      if (best) out.line(`  runner runs show ${best.run}    runner runs ls --sweep ${sweepId}`);
    }
    const interrupted = stopRequested || reports.some((r) => r.status === 'interrupted');
    return outcome(
      interrupted
        ? 'interrupted'
        : reports.length > 0 && reports.every((r) => r.status === 'failed')
          ? 'failed'
          : 'ok',
    );
  } finally {
    clearInterval(beat);
    stopProgress();
    unlisten();
    await store.close();
  }
}

/**
 * How a process on another host was judged alive, for the refusal line: by its heartbeat,
 * since its pid means nothing here. Empty on this host (the pid and its start time decide).
 */
function byHeartbeat(
  host: string,
  updatedAt: number,
  probe: LivenessProbe,
  timeoutMs: number,
): string {
  if (host === probe.host) return '';
  const ago = Math.max(0, Math.round((probe.now - updatedAt) / 1000));
  return (
    `; another host, so judged by its heartbeat: the last ${ago} s ago,` +
    ` taken as gone after ${timeoutMs / 60_000} min without one`
  );
}

/** Loads the base config and every trial's config up front: a bad value fails before any training. */
export async function planSweep(file: string, setFlags: readonly string[], context: CliContext) {
  const { loadExperiment, parseSetFlag } = await import('../../config/index.js');
  const { planTrials } = await import('../../train/index.js');
  const overrides: string[] = [];
  const axes: SweepAxis[] = [];
  for (const flag of setFlags) {
    const parsed = parseSetFlag(flag);
    const values = parsed.values.filter((v) => v !== null && v !== '');
    if (values.length === 0) {
      throw new UsageError(`--set ${flag}: no values to set`, {
        hint: `give one or more comma-separated values, e.g. --set ${parsed.path}=0.01,0.001`,
      });
    }
    if (parsed.values.length > 1) axes.push({ path: parsed.path, values: parsed.values });
    else overrides.push(flag);
  }
  const { REGISTRIES } = await import('../../registries.js');
  const experiment = await loadExperiment(file, {
    registries: REGISTRIES,
    set: overrides,
    cwd: context.cwd,
  });
  const trials = planTrials(experiment.sweep, axes, experiment.seed);
  // Each trial's config goes through the same checks as `runner exp` (paths, types, shapes of values).
  for (const trial of trials)
    await loadExperiment(file, {
      registries: REGISTRIES,
      set: [...overrides, ...trial.overrides],
      cwd: context.cwd,
    });
  const definition: SweepDefinition = {
    file: resolve(context.cwd, file),
    overrides,
    axes,
    sweep: experiment.sweep ?? null,
    trials,
    seed: experiment.seed,
    epochs: experiment.train.epochs,
  };
  return {
    name: experiment.name,
    configYaml: stringify(experiment.source.document),
    metric: experiment.sweep?.metric ?? 'test/accuracy',
    goal: experiment.sweep?.goal,
    definition,
  };
}

/** Runs one trial as `runner exp` in a child process (separate memory, its own core). */
function launchTrial(
  trial: TrialPlan,
  options: {
    readonly definition: SweepDefinition;
    readonly dbPath: string;
    readonly sweepId: number;
    /** The trial run's name: the sweep's and the trial's varied values. */
    readonly runName: string;
    readonly cwd: string;
    readonly children: Set<ReturnType<typeof spawn>>;
    readonly store: Store;
    /** True once the sweep was asked to stop (Ctrl-C): a trial killed by it is interrupted. */
    readonly stopping: () => boolean;
    /** Cores for this trial: the machine's, divided among the trials that run at once. */
    readonly cores: number;
  },
): Promise<TrialReport> {
  const { definition } = options;
  const args = [
    MAIN_JS,
    'exp',
    definition.file,
    ...[...definition.overrides, ...trial.overrides].flatMap((flag) => ['--set', flag]),
    '--name',
    options.runName,
    ...(definition.tags ?? []).flatMap((tag) => ['--tag', tag]),
    '--json',
    '--sweep-trial',
    `${options.sweepId}:${trial.index}`,
  ];
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      // Trials side by side share the cores: `train.workers: auto` takes its share only.
      // The store through the environment: a URL's password never shows in `ps`.
      env: {
        ...process.env,
        RUNNER_CORES: String(options.cores),
        RUNNER_DB: options.dbPath,
        RUNNER_TRIAL_PARENT: 'sweep',
      },
      // The IPC channel closes when this process dies, even by `kill -9`: the trial then stops
      // (exp.ts, watchParent). Its own process group: a Ctrl-C at the terminal reaches this
      // process only, which stops each trial once (a second signal would make it quit at once).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    options.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Only the last lines matter (the error of a failed trial): memory stays bounded.
      if (stderr.length > 64_000) stderr = stderr.slice(-16_000);
    });
    child.on('error', () => undefined); // reported by 'close' (no result)
    child.on('close', (code, signal) => {
      options.children.delete(child);
      void settleTrial(trial, child.pid, { stdout, stderr, code, signal }, options).then(
        resolvePromise,
      );
    });
  });
}

/**
 * How a trial ended. One stopped by a signal (Ctrl-C while it was still starting, before it
 * could handle one) is `interrupted`, not `failed`; a run it left `running` is marked so.
 */
async function settleTrial(
  trial: TrialPlan,
  pid: number | undefined,
  exit: {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
  },
  options: { readonly store: Store; readonly sweepId: number; readonly stopping: () => boolean },
): Promise<TrialReport> {
  const result = parseTrialResult(exit.stdout);
  const lastLine = exit.stderr.trim().split('\n').filter(Boolean).pop();
  if (result) return { trial, runId: result.runId, status: result.status, message: undefined };
  const interrupted =
    exit.code === 130 ||
    (exit.signal !== null && STOP_SIGNALS.has(exit.signal)) ||
    (options.stopping() && exit.signal !== null);
  const left = (await options.store.listSweepTrials(options.sweepId)).find(
    (run) => run.trialIndex === trial.index && run.pid === pid && run.status === 'running',
  );
  const message =
    lastLine ?? (exit.signal ? `stopped by ${exit.signal}` : `exited with code ${exit.code}`);
  if (left)
    await options.store
      .finishRun(left.id, { status: interrupted ? 'interrupted' : 'failed', error: message })
      .catch(() => undefined); // a busy store: the run is found lost by its pid instead
  return {
    trial,
    runId: left?.id,
    status: interrupted ? 'interrupted' : 'failed',
    message: interrupted ? undefined : message,
  };
}

const STOP_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

/** `rung`: where a pruned trial stopped, as `runs ls --sweep --json` and `sweeps show --json` give it. */
type TrialRow = Record<string, string | number | null | PrunedAt>;

/** One row per trial (its latest run), sorted by the sweep metric, best first; unfinished last. */
function trialRows(
  runs: readonly RunSummary[],
  definition: SweepDefinition,
  metric: string,
  goal: 'minimize' | 'maximize',
): TrialRow[] {
  const latest = new Map<number, RunSummary>();
  for (const run of runs) {
    if (run.trialIndex === null) continue;
    const seen = latest.get(run.trialIndex);
    if (seen === undefined || run.id > seen.id) latest.set(run.trialIndex, run);
  }
  const rows = definition.trials.map((trial): TrialRow => {
    const run = latest.get(trial.index);
    const value = run?.metrics[metric]?.last.value ?? null;
    return {
      trial: trial.index + 1,
      run: run?.id ?? null,
      status: run?.status ?? 'not run',
      ...Object.fromEntries(
        Object.entries(trial.assignments).map(([k, v]) => [
          k,
          typeof v === 'number' ? v : JSON.stringify(v),
        ]),
      ),
      [metric]: value,
      rung: run?.status === 'pruned' && run.prunedAt ? run.prunedAt : null,
    };
  });
  const score = (row: TrialRow): number => {
    const v = row[metric];
    if (typeof v !== 'number' || row.status !== 'completed') return Number.NEGATIVE_INFINITY;
    return goal === 'maximize' ? v : -v;
  };
  return rows.sort((a, b) => score(b) - score(a) || Number(a.trial) - Number(b.trial));
}

function countStatuses(rows: readonly TrialRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(String(row.status), (counts.get(String(row.status)) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

function describeTpe(definition: SweepDefinition): string {
  const tpe = definition.sweep?.tpe;
  return tpe
    ? `${tpe.startupTrials} at random first, gamma ${tpe.gamma}, ${tpe.candidates} candidates, ` +
        (tpe.multivariate === true ? 'parameters jointly' : 'one parameter at a time') +
        (tpe.constantLiar === false ? '' : ', running trials count as bad (constant liar)')
    : '';
}

function describeAssignments(trial: TrialPlan): string {
  return Object.entries(trial.assignments)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

/** This process, as `runState` reads a run's (host, pid, start time). */
function ownProcess(
  startedAt: (pid: number) => number | null | undefined,
): NonNullable<SweepDefinition['process']> {
  return { host: hostname(), pid: process.pid, startedAt: startedAt(process.pid) ?? null };
}

function parseParallel(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--parallel ${value}: expected a whole number of 1 or more`);
  return n;
}

/** A sweep id given to a flag (`--resume`), or one clear line. */
export function parseId(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} ${value}: expected a sweep id (a whole number)`);
  return n;
}
