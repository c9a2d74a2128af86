import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../../errors.js';
import type { CurvePoint, RunDetail, Store } from '../../../store/index.js';
import { parseRunIds } from '../../parse-flags.js';
import { renderView, type View } from '../../render.js';
import { DB_HELP, requireRuns, withStore } from '../../store-access.js';
import { collect, type CliContext } from '../command.js';

interface ExportOptions {
  db?: string;
  format: 'csv' | 'json' | 'tfevents';
  key?: string[];
  output?: string;
}

/** One recorded value, as a CSV row. */
interface ExportedValue extends CurvePoint {
  readonly runId: number;
  readonly key: string;
}

interface ExportedRun {
  readonly run: RunDetail;
  readonly curves: readonly { readonly key: string; readonly points: readonly CurvePoint[] }[];
}

/**
 * `runner runs export ID...`: every recorded metric value, as CSV or JSON (to stdout or a
 * file), or as TensorBoard event files (one folder per run under `-o DIR`).
 */
export function registerRunsExport(runs: Command, context: CliContext): void {
  runs
    .command('export')
    .description(
      'every recorded metric value of runs, as CSV (one row per value), JSON (run record + curves) or TensorBoard event files (--format tfevents -o DIR)',
    )
    .argument('<ids...>', 'run ids')
    .addOption(
      new Option('--format <format>', 'output format').choices(['csv', 'json', 'tfevents']).default('csv'),
    )
    .option('--key <metric>', 'only this metric (repeatable)', collect)
    .option(
      '-o, --output <path>',
      'write to this file instead of stdout (tfevents: the folder, one subfolder per run)',
    )
    .option('--db <path>', DB_HELP)
    .action(
      context.action((idTexts: string[], opts: ExportOptions) =>
        exportRuns(context, idTexts, opts),
      ),
    );
}

async function exportRuns(
  context: CliContext,
  idTexts: readonly string[],
  opts: ExportOptions,
): Promise<void> {
  const ids = [...new Set(parseRunIds(idTexts))];
  if (opts.format === 'tfevents' && !opts.output) {
    throw new UsageError('--format tfevents writes event files: give the folder with -o DIR', {
      hint: 'e.g. runner runs export 3 --format tfevents -o tb && tensorboard --logdir tb',
    });
  }
  await withStore(context, opts.db, async (store) => {
    await requireRuns(store, ids);
    const exported: ExportedRun[] = [];
    for (const id of ids) exported.push(await readRun(store, id, opts.key));
    if (opts.format === 'tfevents') {
      await writeTfEvents(context, exported, resolve(context.cwd, opts.output!));
      return;
    }
    const text = renderView(exportView(exported), opts.format);
    if (!opts.output) {
      context.out.line(text.endsWith('\n') ? text.slice(0, -1) : text);
      return;
    }
    const target = resolve(context.cwd, opts.output);
    try {
      writeFileSync(target, text);
    } catch (error) {
      throw new UsageError(`--output: cannot write ${target}: ${(error as Error).message}`);
    }
    context.out.note(
      `wrote ${countValues(exported).toLocaleString('en-US')} metric values of ${ids.length} run(s) to ${target}`,
    );
  });
}

/** One folder per run (`<id>-<name>`, TensorBoard's run name) holding its event file. */
async function writeTfEvents(
  context: CliContext,
  exported: readonly ExportedRun[],
  folder: string,
): Promise<void> {
  const { encodeTfEvents, tfEventsFileName } = await import('../../../export/index.js');
  for (const { run, curves } of exported) {
    const runFolder = join(folder, `${run.id}-${run.name.replace(/[^\w.-]+/g, '_')}`);
    const file = join(runFolder, tfEventsFileName(run.startedAt, run.host, run.id));
    try {
      mkdirSync(runFolder, { recursive: true });
      writeFileSync(file, encodeTfEvents({ ...run, curves }));
    } catch (error) {
      throw new UsageError(`--output: cannot write ${file}: ${(error as Error).message}`);
    }
  }
  context.out.note(
    `wrote ${countValues(exported).toLocaleString('en-US')} metric values of ${exported.length} run(s) as TensorBoard event files under ${folder} (view: tensorboard --logdir ${folder})`,
  );
}

function countValues(exported: readonly ExportedRun[]): number {
  return exported.reduce((n, e) => n + e.curves.reduce((m, c) => m + c.points.length, 0), 0);
}

/** A run and its curves; a `--key` the run never recorded is a usage error naming its metrics. */
async function readRun(
  store: Store,
  id: number,
  keys: readonly string[] | undefined,
): Promise<ExportedRun> {
  const run = (await store.getRun(id))!;
  const curves = [];
  for (const key of keys ?? (await store.metricKeys(id))) {
    curves.push({ key, points: await store.getCurve(id, key) });
  }
  const absent = curves.filter((c) => c.points.length === 0).map((c) => c.key);
  if (absent.length > 0) {
    throw new UsageError(`--key: run ${run.id} has no metric ${absent.join(', ')}`, {
      hint: `its metrics: ${(await store.metricKeys(run.id)).join(', ') || 'none'}`,
    });
  }
  return { run, curves };
}

/** CSV: one row per value. JSON: the run record with its curves (one object for one run). */
function exportView(exported: readonly ExportedRun[]): View<ExportedValue> {
  const records = exported.map(({ run, curves }) => ({
    run,
    metrics: Object.fromEntries(curves.map((c) => [c.key, c.points])),
  }));
  return {
    records: exported.flatMap(({ run, curves }) =>
      curves.flatMap((c) => c.points.map((p) => ({ ...p, runId: run.id, key: c.key }))),
    ),
    columns: [
      { key: 'run_id', kind: 'id', value: (v) => v.runId },
      { key: 'key' },
      { key: 'step', kind: 'id' },
      { key: 'epoch', kind: 'id' },
      { key: 'value', kind: 'metric' },
      { key: 'time', kind: 'id' },
    ],
    json: exported.length === 1 ? records[0] : records,
  };
}
