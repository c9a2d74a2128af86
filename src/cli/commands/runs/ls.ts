import type { Command } from 'commander';
import { UsageError } from '../../../errors.js';
import { shortParamTitles } from '../../../format/index.js';
import type { ParamValue, RunStatus, RunSummary, Store } from '../../../store/index.js';
import { outputFormat, parsePositiveInteger, parseTags } from '../../parse-flags.js';
import type { View, ViewColumn } from '../../render.js';
import { DB_HELP, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';
import { metricsJson, type MetricJson } from './metric-json.js';
import { formatPrunedRung, type PrunedRung } from '../../../train/sweep-pruners.js';
import { trialPlaces, type TrialPlace } from '../sweeps/trial-rows.js';

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

interface ListOptions {
  db?: string;
  sweep?: number;
  status?: string;
  where?: string;
  tag?: string;
  sort?: string;
  limit: number;
  json?: boolean;
  csv?: boolean;
}

/** One listed run: what `--json` prints, and what the table and CSV columns read. */
interface RunListRecord {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly started: string;
  readonly ended: string | null;
  readonly durationS: number;
  readonly sweepId: number | null;
  readonly trialIndex: number | null;
  readonly tags: readonly string[];
  readonly note: string | null;
  /** The key params; a run without one of them has no entry for it. */
  readonly params: Readonly<Record<string, ParamValue | undefined>>;
  readonly metrics: Readonly<Record<string, MetricJson>>;
  /** With `--sweep`: the run's trial, and with repeats its configuration's mean and std. */
  readonly trial?: TrialListFields;
}

/** A trial's fields in `runs ls --sweep`: 1-based numbers, the rung a pruned trial stopped at. */
interface TrialListFields {
  readonly trial: number;
  readonly configuration: number;
  /** 1-based repeat (seed offset + 1) of its configuration. */
  readonly repeat: number;
  readonly rung: PrunedRung | null;
  /** The sweep metric's mean over the configuration's completed seeds (repeats > 1 only). */
  readonly configurationMean?: number | null;
  /** Its sample standard deviation; null below 2 completed seeds. */
  readonly configurationStd?: number | null;
  /** Completed seeds of the configuration / its trials. */
  readonly configurationSeeds?: string;
}

/** `runner runs ls`: runs newest first, with the params that vary and the final/best test metrics. */
export function registerRunsList(runs: Command, context: CliContext): void {
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
    .option('--tag <tag>', 'only runs with this tag (the same as --where \'tag = "T"\')')
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
    .action(context.action((opts: ListOptions) => listRuns(context, opts)));
}

async function listRuns(context: CliContext, opts: ListOptions): Promise<void> {
  const format = outputFormat(opts);
  const statuses = await parseStatuses(opts.status);
  await withStore(context, opts.db, async (store) => {
    if (opts.sweep !== undefined && !(await store.getSweep(opts.sweep))) {
      throw new UsageError(`--sweep: no sweep with id ${opts.sweep} in ${store.path}`);
    }
    const filter = {
      ...(opts.sweep === undefined ? {} : { sweepId: opts.sweep }),
      ...(statuses === undefined
        ? {}
        : { status: statuses, lostRunIds: await lostRunIds(store, opts.sweep) }),
      ...(opts.where === undefined ? {} : { where: opts.where }),
      ...(opts.tag === undefined ? {} : { tag: (await parseTags([opts.tag], '--tag'))[0]! }),
      ...(opts.sort === undefined ? {} : { sort: opts.sort }),
    };
    const list = await store.listRuns({ ...filter, limit: opts.limit });
    const total =
      opts.limit > 0 && list.length === opts.limit ? await store.countRuns(filter) : list.length;
    const filtered = filter.where || filter.status || filter.sweepId || filter.tag;
    const places = opts.sweep === undefined ? new Map() : await trialPlaces(store, list);
    context.out.view(
      await runListView(store, list, `no runs${filtered ? ' match' : ''} in ${store.path}`, places),
      format,
    );
    if (total > list.length) {
      context.out.note(
        format === 'json'
          ? `${list.length} of ${total.toLocaleString('en-US')} runs; --limit 0 for all`
          : `showing ${list.length} of ${total.toLocaleString('en-US')} runs; --limit 0 shows all`,
      );
    }
  });
}

/** The runs recorded `running` whose process is gone: `--status` sees them as `lost`, as the table does. */
async function lostRunIds(store: Store, sweepId: number | undefined): Promise<number[]> {
  const { localLivenessProbe, runState } = await import('../../../store/index.js');
  const probe = localLivenessProbe();
  const running = await store.listRuns({
    status: 'running',
    ...(sweepId === undefined ? {} : { sweepId }),
  });
  return running.filter((run) => runState(run, probe) === 'lost').map((run) => run.id);
}

async function parseStatuses(text: string | undefined): Promise<RunStatus[] | undefined> {
  const { RUN_STATUSES } = await import('../../../store/index.js');
  const statuses = text
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
  return statuses as RunStatus[] | undefined;
}

/** The listing as data: one record per run, the columns the table and CSV show. */
async function runListView(
  store: Store,
  list: readonly RunSummary[],
  empty: string,
  /** With `--sweep`: each listed trial's place in the sweep. */
  places: ReadonlyMap<number, TrialPlace>,
): Promise<View<RunListRecord>> {
  const listed = list.map((r) => r.id);
  const varying = (await store.varyingParamKeys(listed)).filter((k) => k !== 'name');
  const candidates = varying.length > 0 ? varying.slice(0, MAX_KEY_PARAMS) : DEFAULT_KEY_PARAMS;
  const params = await store.getParams(listed, candidates);
  const keyParams = candidates.filter((k) =>
    list.some((r) => params.get(r.id)?.[k] !== undefined),
  );
  const evalKeys = EVAL_METRICS.filter((k) => list.some((r) => r.metrics[k] !== undefined));
  const { localLivenessProbe, runState } = await import('../../../store/index.js');
  const probe = localLivenessProbe();
  const records = list.map((run): RunListRecord => {
    const p = params.get(run.id) ?? {};
    return {
      id: run.id,
      name: run.name,
      status: runState(run, probe),
      started: new Date(run.startedAt).toISOString(),
      ended: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
      durationS: run.durationMs / 1000,
      sweepId: run.sweepId,
      trialIndex: run.trialIndex,
      tags: run.tags,
      note: run.note,
      params: Object.fromEntries(keyParams.map((k) => [k, p[k]])),
      metrics: metricsJson(run.metrics),
      ...(places.has(run.id) ? { trial: trialFields(places.get(run.id)!) } : {}),
    };
  });
  const placed = [...places.values()];
  const repeated = placed.some((p) => p.configuration !== undefined);
  const sweepMetric = placed[0]?.sweep.metric;
  const titles = shortParamTitles(keyParams);
  const columns: ViewColumn<RunListRecord>[] = [
    { key: 'id', kind: 'id' },
    { key: 'name' },
    { key: 'status' },
    ...(placed.length > 0
      ? [{ key: 'trial', kind: 'id' as const, value: (r: RunListRecord) => r.trial?.trial }]
      : []),
    ...(repeated
      ? [
          { key: 'config', kind: 'id' as const, value: (r: RunListRecord) => r.trial?.configuration },
          { key: 'seed', kind: 'id' as const, value: (r: RunListRecord) => r.trial?.repeat },
        ]
      : []),
    { key: 'started', kind: 'time' },
    { key: 'duration', kind: 'duration', value: (r) => r.durationS },
    ...(list.some((r) => r.tags.length > 0)
      ? [{ key: 'tags', value: (r: RunListRecord) => r.tags.join(',') }]
      : []),
    ...keyParams.map(
      (k): ViewColumn<RunListRecord> => ({
        key: k,
        title: titles.get(k) ?? k,
        kind: 'param',
        value: (r) => r.params[k],
      }),
    ),
    ...evalKeys.flatMap((k): ViewColumn<RunListRecord>[] => [
      { key: k, kind: 'metric', value: (r) => r.metrics[k]?.final ?? null },
      { key: `best:${k}`, title: 'best', kind: 'metric', value: (r) => r.metrics[k]?.best ?? null },
    ]),
    ...(repeated && sweepMetric !== undefined
      ? ([
          {
            key: 'configurationMean',
            title: `config ${sweepMetric} mean`,
            kind: 'metric',
            value: (r) => r.trial?.configurationMean ?? null,
          },
          { key: 'configurationStd', title: 'std', kind: 'metric', value: (r) => r.trial?.configurationStd ?? null },
          { key: 'seeds', value: (r) => r.trial?.configurationSeeds ?? null },
        ] satisfies ViewColumn<RunListRecord>[])
      : []),
    ...(placed.some((p) => p.row.rung !== null)
      ? [
          {
            key: 'rung',
            value: (r: RunListRecord) => (r.trial?.rung ? formatPrunedRung(r.trial.rung) : null),
          },
        ]
      : []),
    ...(list.some((r) => r.note !== null)
      ? [{ key: 'note', value: (r: RunListRecord) => r.note, table: shortNote }]
      : []),
  ];
  return { records, columns, empty };
}

function trialFields({ row, configuration }: TrialPlace): TrialListFields {
  return {
    trial: row.trial,
    configuration: row.configuration,
    repeat: row.repeat,
    rung: row.rung,
    ...(configuration
      ? {
          configurationMean: configuration.mean,
          configurationStd: configuration.std,
          configurationSeeds: `${configuration.completed}/${configuration.trials.length}`,
        }
      : {}),
  };
}

/** A note in a table cell: its first line, at most 40 characters (… where cut). */
function shortNote(value: unknown): string {
  if (typeof value !== 'string') return '';
  const line = value.trim().split('\n')[0]!.trim();
  if (line.length > 40) return `${line.slice(0, 39)}…`;
  return line === value.trim() ? line : `${line}…`;
}
