import type { Command } from 'commander';
import type {
  EvaluationRecord,
  MetricSummary,
  RunDetail,
  Store,
} from '../../../store/index.js';
import { formatDuration, formatMetric, formatTime } from '../../../format/index.js';
import { outputFormat } from '../../parse-flags.js';
import type { View } from '../../render.js';
import { sparkline } from '../../sparkline.js';
import { DB_HELP, RUN_REF_HELP, resolveRunRef, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';
import { metricsJson } from './metric-json.js';
import { confusionLines } from '../../confusion-lines.js';

const CURVE_KEYS = [
  'train/loss',
  'test/loss',
  'val/loss',
  'train/accuracy',
  'test/accuracy',
  'val/accuracy',
];

/** `runner runs show ID`: one run's facts, metrics, curves and config. */
export function registerRunsShow(runs: Command, context: CliContext): void {
  runs
    .command('show')
    .description(
      'one run: facts, final and best metrics, loss and accuracy curves, the resolved config',
    )
    .argument('<run>', RUN_REF_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print the metric summary as CSV (one row per metric)')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((idText: string, opts: { db?: string; json?: boolean; csv?: boolean }) =>
        showRun(context, idText, opts),
      ),
    );
}

async function showRun(
  context: CliContext,
  idText: string,
  opts: { db?: string; json?: boolean; csv?: boolean },
): Promise<void> {
  const format = outputFormat(opts);
  const { sortMetricKeys, summaryKeys, localLivenessProbe, runState } = await import(
    '../../../store/index.js'
  );
  await withStore(context, opts.db, async (store) => {
    const id = await resolveRunRef(store, idText);
    const run = (await store.getRun(id))!;
    if (format === 'csv') {
      context.out.view(metricsCsvView(run, sortMetricKeys(Object.keys(run.metrics))), 'csv');
      return;
    }
    const evaluations = await store.listEvaluations(run.id);
    if (format === 'json') {
      const { scoreConfusion } = await import('../../../train/index.js');
      context.out.json({
        ...run,
        state: runState(run, localLivenessProbe()),
        started: new Date(run.startedAt).toISOString(),
        ended: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
        metrics: metricsJson(run.metrics),
        evaluations: evaluations.map((e) => ({
          ...e,
          ...(e.confusion ? { scores: scoreConfusion(e.confusion) } : {}),
        })),
      });
      return;
    }
    // Per-step train/loss and train/accuracy are curves; their epoch means are the summary.
    await printRun(context, store, run, summaryKeys(sortMetricKeys(Object.keys(run.metrics))));
    await printEvaluations(context, evaluations);
    context.out.line();
    context.out.line('config:');
    for (const line of run.configYaml.trimEnd().split('\n')) context.out.line(`  ${line}`);
  });
}

async function printRun(
  context: CliContext,
  store: Store,
  run: RunDetail,
  metricKeys: readonly string[],
): Promise<void> {
  const { out } = context;
  const { lastRecordedStep, localLivenessProbe, runState } = await import('../../../store/index.js');
  const state = runState(run, localLivenessProbe());
  const last = lastRecordedStep(run);
  const status =
    state === 'lost'
      ? `lost (its process is gone; last heartbeat ${formatTime(run.updatedAt, true)}${last === null ? ', no step recorded' : `, last step ${last}`})`
      : state;
  out.line(
    `run ${run.id}  ${run.name}  ${status}${run.divergedAtStep !== null ? ` at step ${run.divergedAtStep}` : ''}`,
  );
  const facts = runFacts(run);
  const width = Math.max(...facts.map(([k]) => k.length));
  for (const [k, v] of facts) out.line(`  ${k.padEnd(width)}  ${v}`);

  if (metricKeys.length > 0) {
    out.line();
    out.view(metricsView(metricKeys.map((key) => run.metrics[key]!)), 'table');
    const curves = CURVE_KEYS.filter((k) => run.metrics[k] !== undefined);
    if (curves.length > 0) {
      out.line();
      const w = Math.max(...curves.map((k) => k.length));
      for (const key of curves) {
        const points = await store.getCurve(run.id, key);
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
}

/**
 * The run's evaluations (the end of training, then each `runner eval`), one
 * line each, and the confusion matrix of the newest one that has one.
 */
async function printEvaluations(
  context: CliContext,
  evaluations: readonly EvaluationRecord[],
): Promise<void> {
  if (evaluations.length === 0) return;
  const { out } = context;
  out.line();
  out.line('evaluations:');
  for (const e of evaluations) {
    const metrics = Object.entries(e.metrics)
      .map(([k, v]) => `${k} ${formatMetric(v)}`)
      .join('  ');
    const by = e.kind === 'training' ? 'end of training' : 'runner eval';
    out.line(
      `  ${e.id}  ${formatTime(e.createdAt, true)}  ${by}, ${e.checkpoint} model on ${e.split} (${e.count.toLocaleString('en-US')} examples): ${metrics}`,
    );
  }
  const newest = evaluations.findLast((e) => e.confusion !== undefined);
  if (newest?.confusion === undefined) return;
  const { scoreConfusion } = await import('../../../train/index.js');
  out.line();
  out.line(`evaluation ${newest.id}:`);
  for (const line of confusionLines(newest.classes ?? [], scoreConfusion(newest.confusion))) {
    out.line(line);
  }
}

/** What is known about a run, one labelled line each. */
function runFacts(run: RunDetail): [string, string][] {
  const facts: [string, string][] = [
    ...(run.tags.length > 0 ? [['tags', run.tags.join(', ')] as [string, string]] : []),
    ...(run.note !== null ? noteLines(run.note) : []),
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
  return facts;
}

/** A run's metrics: final and best value, where each was reached, how many values. */
function metricsView(metrics: readonly MetricSummary[]): View<MetricSummary> {
  return {
    records: metrics,
    columns: [
      { key: 'metric', value: (m) => m.key },
      // SQLite keeps no NaN: a recorded NaN (a diverged loss) reads back as null.
      { key: 'final', kind: 'metric', value: (m) => m.last.value ?? Number.NaN },
      { key: 'at step', kind: 'id', value: (m) => m.last.step },
      // A setting or a speed (learning rate, images/s) has no best.
      { key: 'best', kind: 'metric', value: (m) => (m.ranked ? (m.best?.value ?? null) : undefined), table: bestCell },
      { key: 'best at step', kind: 'id', value: (m) => (m.ranked ? (m.best?.step ?? null) : null) },
      { key: 'values', kind: 'id', value: (m) => m.count },
    ],
  };
}

/** `runs show --csv`: every metric's summary, as `runs show --json` has it (raw values). */
function metricsCsvView(run: RunDetail, keys: readonly string[]): View<MetricSummary> {
  const json = (m: MetricSummary) => metricsJson({ [m.key]: m })[m.key]!;
  return {
    records: keys.map((key) => run.metrics[key]!),
    columns: [
      { key: 'run_id', value: () => run.id },
      { key: 'metric', value: (m) => m.key },
      { key: 'final', value: (m) => json(m).final },
      { key: 'final_step', value: (m) => json(m).finalStep },
      { key: 'best', value: (m) => json(m).best },
      { key: 'best_step', value: (m) => json(m).bestStep },
      { key: 'goal', value: (m) => (m.ranked ? m.goal : null) },
      { key: 'count', value: (m) => m.count },
    ],
  };
}

/** The note as facts: its first line labelled, the others below it. */
function noteLines(note: string): [string, string][] {
  return note
    .trimEnd()
    .split('\n')
    .map((line, i): [string, string] => [i === 0 ? 'note' : '', line]);
}

/** A best value, or nothing at all (not a dash) where the metric has no best. */
function bestCell(value: unknown): string {
  return value === undefined ? '' : formatMetric(typeof value === 'number' ? value : null);
}
