import { Option } from 'commander';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CliContext, CommandDefinition } from './command.js';
import { OK, outcome, type Outcome } from '../outcome.js';
import type { TableColumn } from '../render.js';
import type {
  CurvePoint,
  MetricSummary,
  ParamValue,
  RunDetail,
  RunSummary,
  Store,
} from '../../store/index.js';

/**
 * `runner runs ls|show|rm|export`: past runs from the store. The store module is
 * imported lazily inside each action so `--help` stays instant.
 */
export const runsCommand: CommandDefinition = {
  name: 'runs',
  register(program, context) {
    const runs = program.command('runs').description('list, show, delete and export recorded runs');
    registerList(runs, context);
    registerShow(runs, context);
    registerRemove(runs, context);
    registerExport(runs, context);
  },
};

const DB_HELP = 'the run store (default: $RUNNER_DB, else runs/runner.db)';
const DEFAULT_LIMIT = 50;
/** Shown when no config value varies among the listed runs. */
const DEFAULT_KEY_PARAMS = [
  'train.optimizer.type',
  'train.optimizer.learningRate',
  'data.batchSize',
  'train.epochs',
];
const MAX_KEY_PARAMS = 6;
const EVAL_METRICS = ['test/accuracy', 'test/loss', 'val/accuracy', 'val/loss'];

// ---------------------------------------------------------------- shared helpers

/** Opens the store a command reads (never creates one; migrates an older one forward). */
export async function openCommandStore(
  context: CliContext,
  db: string | undefined,
  options: { readonly?: boolean } = {},
): Promise<Store> {
  const { openStore, resolveStorePath } = await import('../../store/index.js');
  const path = resolveStorePath(db, context.env, context.cwd);
  return options.readonly
    ? openStore(path, { readonly: true })
    : openStore(path, { create: false });
}

/** Runs `use` on an open store and closes it whatever happens. */
export async function withStore<T>(
  context: CliContext,
  db: string | undefined,
  use: (store: Store) => T | Promise<T>,
  options: { readonly?: boolean } = {},
): Promise<T> {
  const store = await openCommandStore(context, db, options);
  try {
    return await use(store);
  } finally {
    store.close();
  }
}

/** `12 13 14` → ids; anything but a positive integer is a usage error naming it. */
export function parseRunIds(values: readonly string[], what = 'run id'): number[] {
  return values.map((value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
      throw new UsageError(`"${value}" is not a ${what}: expected a positive integer such as 12`, {
        hint: 'see the ids with `runner runs ls`',
      });
    }
    return n;
  });
}

export function parsePositiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw new UsageError(`${flag}: expected a whole number, found "${value}"`);
    }
    return n;
  };
}

/** Refuses unknown ids with one line, before anything is read or changed. */
export function requireRuns(store: Store, ids: readonly number[]): void {
  const missing = store.missingRuns(ids);
  if (missing.length === 0) return;
  throw new UsageError(`no run with id ${missing.join(', ')} in ${store.path}`, {
    hint: 'see the ids with `runner runs ls`',
  });
}

export function outputFormat(opts: { json?: boolean; csv?: boolean }): 'table' | 'json' | 'csv' {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: choose one output format');
  return opts.json ? 'json' : opts.csv ? 'csv' : 'table';
}

/** `3m 07s`, `2h 05m`, `42s`, `0.8s`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m - h * 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

/** Local time, minutes: `2026-11-28 00:41`. */
export function formatTime(ms: number, withSeconds = false): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return abs >= 1000 ? value.toFixed(0) : value.toFixed(4);
}

export function formatParam(value: ParamValue | undefined): string {
  if (value === undefined) return '—';
  if (value === null) return 'null';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

/**
 * Short, still unique titles for param keys: the last path segment unless two keys
 * share it (`learningRate`, `layers[0].units`...).
 */
export function shortParamTitles(keys: readonly string[]): Map<string, string> {
  const segments = (key: string): string[] => key.split('.');
  const titles = new Map<string, string>();
  for (const key of keys) {
    const parts = segments(key);
    let n = 1;
    let title = parts.slice(-n).join('.');
    while (
      n < parts.length &&
      keys.some((other) => other !== key && segments(other).slice(-n).join('.') === title)
    ) {
      n++;
      title = parts.slice(-n).join('.');
    }
    titles.set(key, title);
  }
  return titles;
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line chart of a curve: bucket means scaled between the curve's min and max. */
export function sparkline(points: readonly CurvePoint[], width = 48): string {
  const values = points
    .map((p) => p.value)
    .filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return '';
  const buckets = Math.min(width, values.length);
  const means: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * values.length) / buckets);
    const end = Math.max(start + 1, Math.floor(((b + 1) * values.length) / buckets));
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    means.push(sum / (end - start));
  }
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  return means
    .map((m) => SPARK[hi === lo ? 3 : Math.min(7, Math.floor(((m - lo) / (hi - lo)) * 8))])
    .join('');
}

/**
 * Whether a `running` run is still alive: on this host its process must exist; elsewhere
 * its heartbeat must be recent. A run whose process died without a word shows `running?`.
 */
export async function isRunAlive(run: RunSummary, now: number): Promise<boolean> {
  if (run.status !== 'running') return false;
  const { hostname } = await import('node:os');
  if (run.pid !== null && run.host === hostname()) {
    try {
      process.kill(run.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return now - run.updatedAt < 5 * 60_000;
}

async function displayStatus(run: RunSummary, now: number): Promise<string> {
  if (run.status !== 'running') return run.status;
  return (await isRunAlive(run, now)) ? 'running' : 'running?';
}

// ---------------------------------------------------------------- runs ls

interface ListOptions {
  db?: string;
  sweep?: number;
  status?: string;
  where?: string;
  sort?: string;
  limit: number;
  json?: boolean;
  csv?: boolean;
}

function registerList(runs: Command, context: CliContext): void {
  runs
    .command('ls')
    .description(
      'list runs, newest first: status, duration, the params that vary, final and best test metrics',
    )
    .option('--sweep <id>', 'only the trials of this sweep', parsePositiveInteger('--sweep'))
    .option('--status <status>', 'only runs with this status (comma-separated list allowed)')
    .option(
      '--where <expr>',
      'filter, e.g. "train.optimizer.learningRate < 0.01 and test/accuracy > 0.98" (see README: where-language)',
    )
    .option(
      '--sort <key>',
      'order by a field: started, duration, name, a param, test/accuracy, best:test/loss... (suffix :asc/:desc)',
    )
    .option(
      '--limit <n>',
      `at most this many runs; 0 for all`,
      parsePositiveInteger('--limit'),
      DEFAULT_LIMIT,
    )
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--db <path>', DB_HELP)
    .action(async (opts: ListOptions) => {
      const format = outputFormat(opts);
      const { RUN_STATUSES } = await import('../../store/index.js');
      const statuses = opts.status
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const status of statuses ?? []) {
        if (!(RUN_STATUSES as readonly string[]).includes(status)) {
          throw new UsageError(`--status: unknown status "${status}"`, {
            hint: `statuses: ${RUN_STATUSES.join(', ')}`,
          });
        }
      }
      await withStore(context, opts.db, async (store) => {
        if (opts.sweep !== undefined && !store.getSweep(opts.sweep)) {
          throw new UsageError(`--sweep: no sweep with id ${opts.sweep} in ${store.path}`);
        }
        const filter = {
          ...(opts.sweep === undefined ? {} : { sweepId: opts.sweep }),
          ...(statuses === undefined ? {} : { status: statuses as RunSummary['status'][] }),
          ...(opts.where === undefined ? {} : { where: opts.where }),
          ...(opts.sort === undefined ? {} : { sort: opts.sort }),
        };
        const list = store.listRuns({ ...filter, limit: opts.limit });
        const total =
          opts.limit > 0 && list.length === opts.limit ? store.countRuns(filter) : list.length;
        const listed = list.map((r) => r.id);
        const varying = store.varyingParamKeys(listed).filter((k) => k !== 'name');
        const candidates =
          varying.length > 0 ? varying.slice(0, MAX_KEY_PARAMS) : DEFAULT_KEY_PARAMS;
        const params = store.getParams(listed, candidates);
        const keyParams = candidates.filter((k) =>
          list.some((r) => params.get(r.id)?.[k] !== undefined),
        );
        const evalKeys = EVAL_METRICS.filter((k) => list.some((r) => r.metrics[k] !== undefined));
        const now = Date.now();
        const rows = await Promise.all(
          list.map(async (run) => ({
            run,
            status: await displayStatus(run, now),
            params: params.get(run.id) ?? {},
          })),
        );
        if (format === 'json') {
          context.out.json(
            rows.map(({ run, status, params: p }) => ({
              id: run.id,
              name: run.name,
              status,
              started: new Date(run.startedAt).toISOString(),
              ended: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
              durationS: run.durationMs / 1000,
              sweepId: run.sweepId,
              trialIndex: run.trialIndex,
              params: Object.fromEntries(keyParams.map((k) => [k, p[k] ?? null])),
              metrics: Object.fromEntries(
                Object.values(run.metrics).map((m) => [m.key, metricJson(m)]),
              ),
            })),
          );
        } else {
          const flat = rows.map(({ run, status, params: p }) => {
            const row: Record<string, unknown> = {
              id: run.id,
              name: run.name,
              status,
              started:
                format === 'csv'
                  ? new Date(run.startedAt).toISOString()
                  : formatTime(run.startedAt),
              duration: format === 'csv' ? run.durationMs / 1000 : formatDuration(run.durationMs),
            };
            for (const k of keyParams)
              row[k] = format === 'csv' ? (p[k] ?? null) : formatParam(p[k]);
            for (const k of evalKeys) {
              row[k] = run.metrics[k]?.last.value ?? null;
              row[`best:${k}`] = run.metrics[k]?.best?.value ?? null;
            }
            return row;
          });
          if (format === 'csv') {
            context.out.csv(flat, [
              'id',
              'name',
              'status',
              'started',
              'duration',
              ...keyParams,
              ...evalKeys.flatMap((k) => [k, `best:${k}`]),
            ]);
          } else if (flat.length === 0) {
            context.out.note(
              `no runs${filter.where || filter.status || filter.sweepId ? ' match' : ''} in ${store.path}`,
            );
          } else {
            const titles = shortParamTitles(keyParams);
            const columns: TableColumn[] = [
              { key: 'id', align: 'right', format: String },
              { key: 'name' },
              { key: 'status' },
              { key: 'started' },
              { key: 'duration', align: 'right' },
              ...keyParams.map((k) => ({
                key: k,
                title: titles.get(k) ?? k,
                align: 'right' as const,
                format: String,
              })),
              ...evalKeys.flatMap((k) => [
                {
                  key: k,
                  title: k,
                  align: 'right' as const,
                  format: (v: unknown) => formatMetric(v as number | null),
                },
                {
                  key: `best:${k}`,
                  title: 'best',
                  align: 'right' as const,
                  format: (v: unknown) => formatMetric(v as number | null),
                },
              ]),
            ];
            context.out.table(flat, columns);
          }
        }
        if (total > list.length && format !== 'json') {
          context.out.note(
            `showing ${list.length} of ${total.toLocaleString('en-US')} runs; --limit 0 shows all`,
          );
        } else if (total > list.length) {
          context.out.note(
            `${list.length} of ${total.toLocaleString('en-US')} runs; --limit 0 for all`,
          );
        }
      });
    });
}

function metricJson(m: MetricSummary): Record<string, unknown> {
  return {
    final: m.last.value,
    finalStep: m.last.step,
    best: m.best?.value ?? null,
    bestStep: m.best?.step ?? null,
    goal: m.goal,
    count: m.count,
  };
}

// ---------------------------------------------------------------- runs show

const CURVE_KEYS = [
  'train/loss',
  'test/loss',
  'val/loss',
  'train/accuracy',
  'test/accuracy',
  'val/accuracy',
];

function registerShow(runs: Command, context: CliContext): void {
  runs
    .command('show')
    .description(
      'one run: facts, final and best metrics, loss and accuracy curves, the resolved config',
    )
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .option('--db <path>', DB_HELP)
    .action(async (idText: string, opts: { db?: string; json?: boolean }) => {
      const [id] = parseRunIds([idText]);
      await withStore(context, opts.db, async (store) => {
        requireRuns(store, [id!]);
        const run = store.getRun(id!)!;
        if (opts.json) {
          context.out.json({
            ...run,
            started: new Date(run.startedAt).toISOString(),
            ended: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
            metrics: Object.fromEntries(
              Object.values(run.metrics).map((m) => [m.key, metricJson(m)]),
            ),
          });
          return;
        }
        await printRun(context, store, run);
      });
    });
}

async function printRun(context: CliContext, store: Store, run: RunDetail): Promise<void> {
  const { sortMetricKeys } = await import('../../store/index.js');
  const { out } = context;
  const status = await displayStatus(run, Date.now());
  out.line(
    `run ${run.id}  ${run.name}  ${status}${run.divergedAtStep !== null ? ` at step ${run.divergedAtStep}` : ''}`,
  );
  const facts: [string, string][] = [
    [
      'started',
      `${formatTime(run.startedAt, true)}  (${run.endedAt === null ? 'running for' : 'took'} ${formatDuration(run.durationMs)})`,
    ],
    ['backend', run.backend + (run.backendReason ? `  (${run.backendReason})` : '')],
    ['dataset', run.dataset + (run.datasetSource ? `  (${run.datasetSource})` : '')],
    ['seed', String(run.seed)],
    ['config', `hash ${run.configHash}`],
    [
      'versions',
      `runner ${run.versions.runner}, tfjs ${run.versions.tfjs}, node ${run.versions.node}`,
    ],
    ['host', `${run.host}${run.pid !== null ? ` (pid ${run.pid})` : ''}`],
  ];
  if (run.parameterCount !== null) {
    facts.push(['model', `${run.parameterCount.toLocaleString('en-US')} trainable parameters`]);
  }
  if (run.dataInfo !== null) facts.push(['data', JSON.stringify(run.dataInfo)]);
  if (run.gitCommit) facts.push(['git', run.gitCommit]);
  if (run.artifactsDir) facts.push(['artifacts', run.artifactsDir]);
  if (run.sweepId !== null) facts.push(['sweep', `${run.sweepId}, trial ${run.trialIndex ?? '?'}`]);
  if (run.error) facts.push(['error', run.error]);
  for (const notice of run.notices) facts.push(['notice', notice]);
  const width = Math.max(...facts.map(([k]) => k.length));
  for (const [k, v] of facts) out.line(`  ${k.padEnd(width)}  ${v}`);

  const keys = sortMetricKeys(Object.keys(run.metrics));
  if (keys.length > 0) {
    out.line();
    context.out.table(
      keys.map((key) => {
        const m = run.metrics[key]!;
        return {
          metric: key,
          // SQLite keeps no NaN: a recorded NaN (a diverged loss) reads back as null.
          final: m.last.value === null ? 'NaN' : formatMetric(m.last.value),
          'at step': m.last.step,
          best: formatMetric(m.best?.value),
          'best at step': m.best?.step ?? '',
          values: m.count,
        };
      }),
      [
        { key: 'metric' },
        { key: 'final', align: 'right' },
        { key: 'at step', align: 'right', format: String },
        { key: 'best', align: 'right' },
        { key: 'best at step', align: 'right', format: String },
        { key: 'values', align: 'right', format: String },
      ],
    );
    const curves = CURVE_KEYS.filter((k) => run.metrics[k] !== undefined);
    if (curves.length > 0) {
      out.line();
      const w = Math.max(...curves.map((k) => k.length));
      for (const key of curves) {
        const points = store.getCurve(run.id, key);
        const finite = points.filter((p) => p.value !== null && Number.isFinite(p.value));
        const first = finite[0]?.value ?? null;
        const last = finite.at(-1)?.value ?? null;
        out.line(
          `  ${key.padEnd(w)}  ${formatMetric(first).padStart(8)} ${sparkline(points)} ${formatMetric(last)}  (${points.length.toLocaleString('en-US')} points)`,
        );
      }
    }
  } else {
    out.line();
    out.line('  no metrics recorded');
  }
  out.line();
  out.line('config:');
  for (const line of run.configYaml.trimEnd().split('\n')) out.line(`  ${line}`);
}

// ---------------------------------------------------------------- runs rm

function registerRemove(runs: Command, context: CliContext): void {
  runs
    .command('rm')
    .description(
      'delete runs with their params, metrics and artifacts folder (asks first; --yes to skip)',
    )
    .argument('<ids...>', 'run ids')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--keep-artifacts', "keep each run's artifacts folder on disk")
    .option('--db <path>', DB_HELP)
    .action(
      context.action(
        async (
          idTexts: string[],
          opts: { db?: string; yes?: boolean; keepArtifacts?: boolean },
        ) => {
          const ids = [...new Set(parseRunIds(idTexts))];
          return withStore(context, opts.db, async (store): Promise<Outcome> => {
            requireRuns(store, ids);
            const targets = ids.map((id) => store.getRun(id)!);
            const now = Date.now();
            for (const run of targets) {
              if (await isRunAlive(run, now)) {
                throw new UsageError(
                  `run ${run.id} is still running (pid ${run.pid ?? '?'} on ${run.host}); stop it before deleting it`,
                );
              }
            }
            const list = targets.map((r) => `${r.id} (${r.name}, ${r.status})`).join(', ');
            if (!opts.yes) {
              if (!context.stdin.isTTY) {
                throw new UsageError(
                  `refusing to delete ${ids.length} run${ids.length > 1 ? 's' : ''} without confirmation (stdin is not a terminal)`,
                  { hint: 'add --yes to delete without asking' },
                );
              }
              const confirmed = await confirm(
                context,
                `delete run${ids.length > 1 ? 's' : ''} ${list} from ${store.path}? [y/N]`,
              );
              if (!confirmed) {
                context.out.note('nothing deleted');
                return outcome('declined');
              }
            }
            const deleted = store.deleteRuns(ids);
            const removedDirs = opts.keepArtifacts ? [] : await removeArtifacts(targets);
            context.out.line(
              `deleted ${deleted} run${deleted === 1 ? '' : 's'}: ${list}${
                removedDirs.length > 0 ? `; removed ${removedDirs.join(', ')}` : ''
              }`,
            );
            return OK;
          });
        },
      ),
    );
}

/** Asks on stderr, reads one line: yes only for `y` or `yes`; end of input is no. */
async function confirm(context: CliContext, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  context.out.note(question);
  const rl = createInterface({ input: context.stdin.stream, terminal: false });
  return new Promise((resolve) => {
    let answer: string | undefined;
    rl.once('line', (line) => {
      answer = line;
      rl.close();
    });
    rl.once('close', () => resolve(answer !== undefined && /^\s*y(es)?\s*$/i.test(answer)));
  });
}

/** Removes `runs/<id>/` folders; only a folder named after its run id, so a bad record cannot aim elsewhere. */
async function removeArtifacts(runs: readonly RunDetail[]): Promise<string[]> {
  const { existsSync, rmSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const removed: string[] = [];
  for (const run of runs) {
    const dir = run.artifactsDir;
    if (!dir || basename(dir) !== String(run.id) || !existsSync(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

// ---------------------------------------------------------------- runs export

function registerExport(runs: Command, context: CliContext): void {
  runs
    .command('export')
    .description(
      'every recorded metric value of runs, as CSV (one row per value) or JSON (run record + curves)',
    )
    .argument('<ids...>', 'run ids')
    .addOption(
      new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'),
    )
    .option('--key <metric>', 'only this metric (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--db <path>', DB_HELP)
    .action(
      async (
        idTexts: string[],
        opts: { db?: string; format: 'csv' | 'json'; key?: string[]; output?: string },
      ) => {
        const ids = [...new Set(parseRunIds(idTexts))];
        await withStore(context, opts.db, async (store) => {
          requireRuns(store, ids);
          const exported = ids.map((id) => {
            const run = store.getRun(id)!;
            const keys = opts.key ?? store.metricKeys(id);
            return { run, curves: keys.map((key) => ({ key, points: store.getCurve(id, key) })) };
          });
          for (const { run, curves } of exported) {
            const absent = curves.filter((c) => c.points.length === 0).map((c) => c.key);
            if (absent.length > 0) {
              throw new UsageError(`--key: run ${run.id} has no metric ${absent.join(', ')}`, {
                hint: `its metrics: ${store.metricKeys(run.id).join(', ') || 'none'}`,
              });
            }
          }
          // One object for one run (the common case), an array for several.
          const records = exported.map(({ run, curves }) => ({
            run,
            metrics: Object.fromEntries(curves.map((c) => [c.key, c.points])),
          }));
          const { formatCsv } = await import('../render.js');
          const text =
            opts.format === 'json'
              ? `${JSON.stringify(exported.length === 1 ? records[0] : records, null, 2)}\n`
              : formatCsv(
                  exported.flatMap(({ run, curves }) =>
                    curves.flatMap((c) =>
                      c.points.map((p) => ({
                        run_id: run.id,
                        key: c.key,
                        step: p.step,
                        epoch: p.epoch,
                        value: p.value,
                        time: p.time,
                      })),
                    ),
                  ),
                  ['run_id', 'key', 'step', 'epoch', 'value', 'time'],
                );
          const values = exported.reduce(
            (n, e) => n + e.curves.reduce((m, c) => m + c.points.length, 0),
            0,
          );
          if (opts.output) {
            const { writeFileSync } = await import('node:fs');
            const { resolve } = await import('node:path');
            const target = resolve(context.cwd, opts.output);
            try {
              writeFileSync(target, text);
            } catch (error) {
              throw new UsageError(`--output: cannot write ${target}: ${(error as Error).message}`);
            }
            context.out.note(
              `wrote ${values.toLocaleString('en-US')} metric values of ${ids.length} run(s) to ${target}`,
            );
          } else {
            context.out.line(text.endsWith('\n') ? text.slice(0, -1) : text);
          }
        });
      },
    );
}
