import { UsageError } from '../../errors.js';
import type { RunComparison } from '../../store/index.js';
import { formatDuration, formatMetric, formatParam } from '../../format/index.js';
import { outputFormat, parseRunIds } from '../parse-flags.js';
import type { View, ViewColumn } from '../render.js';
import { DB_HELP, requireRuns, withStore } from '../store-access.js';
import type { CommandDefinition } from './command.js';
import { trialPlaces, type TrialPlace } from './sweeps/trial-rows.js';

const WINNER = ' *';

/**
 * `runner compare ID ID ...`: the config values that differ, side by side, then each
 * metric's final and best value with the winner marked.
 */
export const compareCommand: CommandDefinition = {
  name: 'compare',
  register(program, context) {
    program
      .command('compare')
      .description(
        'runs side by side: only the config values that differ, final and best metrics, winner marked',
      )
      .argument('<ids...>', 'two or more run ids')
      .option('--json', 'print JSON')
      .option('--csv', 'print CSV: a row per field, a column per run, raw values, no marks')
      .option('--db <path>', DB_HELP)
      .action(async (idTexts: string[], opts: { db?: string; json?: boolean; csv?: boolean }) => {
        const format = outputFormat(opts);
        const ids = [...new Set(parseRunIds(idTexts))];
        if (ids.length < 2) {
          throw new UsageError('compare needs at least two different run ids', {
            hint: 'e.g. runner compare 12 13 14',
          });
        }
        await withStore(context, opts.db, async (store) => {
          await requireRuns(store, ids);
          const comparison = await store.compareRuns(ids);
          if (format === 'csv') {
            context.out.view(comparisonCsvView(comparison), 'csv');
            return;
          }
          const places = await trialPlaces(store, await store.listRuns({ ids, limit: 0 }));
          context.out.view(
            comparisonView(
              comparison,
              comparison.runs.map((r) => places.get(r.id)),
            ),
            format,
          );
          if (format === 'json') return;
          const notes = [
            `* best among these runs (${comparison.metrics.length > 0 ? 'lower loss, higher accuracy' : 'no metrics'})`,
          ];
          if (comparison.params.length === 0) notes.unshift('the configs are identical');
          else
            notes.unshift(
              `${comparison.params.length} config value(s) differ; identical ones are hidden`,
            );
          for (const n of notes) context.out.note(n);
        });
      });
  },
};

/** One line of the side-by-side table: a field and its value in each run. */
interface ComparisonRow {
  readonly field: string;
  readonly values: readonly string[];
}

/**
 * The table is fields by runs, winners marked; `--json` prints the comparison itself.
 * Sweep trials get their trial, and with repeats their configuration's mean and std over
 * its seeds (the winner is the best mean, by the sweep's goal, among runs of one sweep).
 */
function comparisonView(
  comparison: RunComparison,
  places: readonly (TrialPlace | undefined)[],
): View<ComparisonRow> {
  const mark = (values: readonly (number | null)[], winner: number | null): string[] =>
    values.map((v, i) => (v === null ? '—' : formatMetric(v) + (i === winner ? WINNER : '')));
  const records: ComparisonRow[] = [
    { field: 'status', values: comparison.runs.map((r) => r.status) },
    { field: 'duration', values: comparison.runs.map((r) => formatDuration(r.durationMs)) },
    ...trialRows(places, mark),
    ...comparison.params.map((p) => ({ field: p.key, values: p.values.map(formatParam) })),
    ...comparison.metrics.flatMap((m) => [
      { field: `${m.key} final`, values: mark(m.final, m.finalWinner) },
      { field: `${m.key} best`, values: mark(m.best, m.bestWinner) },
    ]),
  ];
  const columns: ViewColumn<ComparisonRow>[] = [
    { key: 'field' },
    ...comparison.runs.map((r, i): ViewColumn<ComparisonRow> => ({
      key: `run${i}`,
      title: `#${r.id} ${r.name}`,
      align: 'right',
      value: (row) => row.values[i],
    })),
  ];
  return {
    records,
    columns,
    json: {
      runs: comparison.runs.map((r) => ({
        id: r.id,
        name: r.name,
        status: r.status,
        started: new Date(r.startedAt).toISOString(),
        durationS: r.durationMs / 1000,
      })),
      params: comparison.params.map((p) => ({
        key: p.key,
        values: p.values.map((v) => (v === undefined ? null : v)),
      })),
      metrics: comparison.metrics,
      trials: places.map((p) =>
        p === undefined
          ? null
          : {
              sweepId: p.sweep.id,
              trial: p.row.trial,
              configuration: p.row.configuration,
              repeat: p.row.repeat,
              rung: p.row.rung,
              ...(p.configuration
                ? {
                    metric: p.sweep.metric,
                    mean: p.configuration.mean,
                    std: p.configuration.std,
                    completed: p.configuration.completed,
                    seeds: p.configuration.trials.length,
                  }
                : {}),
            },
      ),
    },
  };
}

/** `compare --csv`: the table's fields with raw values (seconds, full numbers; null as empty). */
function comparisonCsvView(
  comparison: RunComparison,
): View<{ readonly field: string; readonly values: readonly unknown[] }> {
  return {
    records: [
      { field: 'name', values: comparison.runs.map((r) => r.name) },
      { field: 'status', values: comparison.runs.map((r) => r.status) },
      { field: 'duration_s', values: comparison.runs.map((r) => r.durationMs / 1000) },
      ...comparison.params.map((p) => ({ field: p.key, values: p.values })),
      ...comparison.metrics.flatMap((m) => [
        { field: `${m.key} final`, values: m.final },
        { field: `${m.key} best`, values: m.best },
      ]),
    ],
    columns: [
      { key: 'field' },
      ...comparison.runs.map((r, i) => ({
        key: `run_${r.id}`,
        value: (row: { readonly values: readonly unknown[] }) => row.values[i],
      })),
    ],
  };
}

/** Rows for sweep trials: sweep and trial, then with repeats the configuration's mean and std. */
function trialRows(
  places: readonly (TrialPlace | undefined)[],
  mark: (values: readonly (number | null)[], winner: number | null) => string[],
): ComparisonRow[] {
  if (places.every((p) => p === undefined)) return [];
  const rows: ComparisonRow[] = [
    {
      field: 'sweep trial',
      values: places.map((p) => (p ? `${p.sweep.id}:${p.row.trial}` : '—')),
    },
  ];
  const metrics = new Set(places.flatMap((p) => (p?.configuration ? [p.sweep.metric] : [])));
  if (metrics.size === 0) return rows;
  const sweeps = new Set(places.map((p) => p?.sweep.id));
  const means = places.map((p) => p?.configuration?.mean ?? null);
  // A winner only among configurations of one sweep: other sweeps measure other things.
  const goal = places.find((p) => p !== undefined)?.sweep.goal;
  let winner: number | null = null;
  if (sweeps.size === 1 && goal !== undefined)
    means.forEach((m, i) => {
      const w = winner === null ? null : means[winner]!;
      if (m !== null && (w === null || (goal === 'maximize' ? m > w : m < w))) winner = i;
    });
  const metric = [...metrics].join(', ');
  rows.push(
    {
      field: 'configuration',
      values: places.map((p) => (p?.configuration ? String(p.row.configuration) : '—')),
    },
    { field: `${metric} mean (config)`, values: mark(means, winner) },
    {
      field: `${metric} std (config)`,
      values: mark(
        places.map((p) => p?.configuration?.std ?? null),
        null,
      ),
    },
    {
      field: 'seeds (config)',
      values: places.map((p) =>
        p?.configuration ? `${p.configuration.completed}/${p.configuration.trials.length}` : '—',
      ),
    },
  );
  return rows;
}
