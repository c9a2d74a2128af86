import { UsageError } from '../../errors.js';
import type { TableColumn } from '../render.js';
import type { CommandDefinition } from './command.js';
import {
  formatDuration,
  formatMetric,
  formatParam,
  parseRunIds,
  requireRuns,
  withStore,
} from './runs.js';

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
      .option('--db <path>', 'the run store (default: $RUNNER_DB, else runs/runner.db)')
      .action(async (idTexts: string[], opts: { db?: string; json?: boolean }) => {
        const ids = [...new Set(parseRunIds(idTexts))];
        if (ids.length < 2) {
          throw new UsageError('compare needs at least two different run ids', {
            hint: 'e.g. runner compare 12 13 14',
          });
        }
        await withStore(context, opts.db, (store) => {
          requireRuns(store, ids);
          const comparison = store.compareRuns(ids);
          if (opts.json) {
            context.out.json({
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
            });
            return;
          }
          const runColumn = (i: number): string => `run${i}`;
          const columns: TableColumn[] = [
            { key: 'field' },
            ...comparison.runs.map((r, i) => ({
              key: runColumn(i),
              title: `#${r.id} ${r.name}`,
              align: 'right' as const,
              format: String,
            })),
          ];
          const row = (field: string, values: readonly string[]): Record<string, unknown> =>
            Object.fromEntries([['field', field], ...values.map((v, i) => [runColumn(i), v])]);
          const rows: Record<string, unknown>[] = [
            row(
              'status',
              comparison.runs.map((r) => r.status),
            ),
            row(
              'duration',
              comparison.runs.map((r) => formatDuration(r.durationMs)),
            ),
          ];
          for (const p of comparison.params) rows.push(row(p.key, p.values.map(formatParam)));
          for (const m of comparison.metrics) {
            const mark = (values: readonly (number | null)[], winner: number | null): string[] =>
              values.map((v, i) =>
                v === null ? '—' : formatMetric(v) + (i === winner ? WINNER : ''),
              );
            rows.push(row(`${m.key} final`, mark(m.final, m.finalWinner)));
            rows.push(row(`${m.key} best`, mark(m.best, m.bestWinner)));
          }
          context.out.table(rows, columns);
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
