import type { Command } from 'commander';
import { UsageError } from '../../../errors.js';
import { formatMetric } from '../../../format/index.js';
import { outputFormat } from '../../parse-flags.js';
import type { View, ViewColumn } from '../../render.js';
import { DB_HELP, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';
import { bestConfiguration, type ConfigurationSummary } from '../../../train/sweep-values.js';
import { formatPrunedRung } from '../../../train/sweep-pruners.js';
import {
  bestTrial,
  configurationRows,
  prunedTrials,
  loadSweepTrials,
  repeatsOf,
  type SweepTrialRow,
} from './trial-rows.js';

/** `runner sweeps show ID`: a sweep's definition, status, every trial with its values, the best. */
export function registerSweepsShow(sweeps: Command, context: CliContext): void {
  sweeps
    .command('show')
    .description('one sweep: its definition, status, trials with their varied values, the best')
    .argument('<id>', 'sweep id')
    .option('--json', 'print JSON')
    .option('--csv', 'print the trials as CSV (one row per trial)')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((idText: string, opts: { db?: string; json?: boolean; csv?: boolean }) => {
        const format = outputFormat(opts);
        const id = Number(idText);
        if (!Number.isInteger(id) || id < 1)
          throw new UsageError(`sweeps show ${idText}: expected a sweep id (a whole number)`);
        return withStore(
          context,
          opts.db,
          async (store) => {
            const sweep = await store.getSweep(id);
            if (sweep === undefined)
              throw new UsageError(`sweeps show ${id}: there is no sweep ${id} in this store`, {
                hint: 'list sweeps with: runner sweeps ls',
              });
            const { varied, rows, notices } = await loadSweepTrials(store, sweep);
            const best = bestTrial(sweep, rows);
            const repeats = repeatsOf(sweep);
            const configurations = repeats > 1 ? configurationRows(rows) : [];
            const bestConfig = bestConfiguration(configurations, sweep.goal);
            const pruned = prunedTrials(rows, notices);
            const definition = sweep.definition as { overrides?: unknown; sweep?: unknown } | null;
            const view: View<SweepTrialRow> = {
              records: rows,
              columns: [
                { key: 'trial', kind: 'id' },
                ...(repeats > 1
                  ? ([
                      {
                        key: 'config',
                        kind: 'id',
                        value: (row: SweepTrialRow) => row.configuration,
                      },
                      { key: 'seed', kind: 'id', value: (row: SweepTrialRow) => row.repeat },
                    ] satisfies ViewColumn<SweepTrialRow>[])
                  : []),
                { key: 'run', kind: 'id' },
                { key: 'status' },
                ...varied.map((key): ViewColumn<SweepTrialRow> => ({
                  key,
                  kind: 'param',
                  value: (row) => row.values[key] ?? null,
                })),
                { key: sweep.metric, kind: 'metric', value: (row) => row.metric },
                ...(pruned.length > 0
                  ? [
                      {
                        key: 'rung',
                        value: (row: SweepTrialRow) =>
                          row.rung ? formatPrunedRung(row.rung) : null,
                      },
                    ]
                  : []),
              ],
              json: {
                id: sweep.id,
                name: sweep.name,
                status: sweep.status,
                metric: sweep.metric,
                goal: sweep.goal,
                trialCount: sweep.trialCount,
                started: new Date(sweep.startedAt).toISOString(),
                ended: sweep.endedAt === null ? null : new Date(sweep.endedAt).toISOString(),
                varied,
                overrides: definition?.overrides ?? [],
                sweep: definition?.sweep ?? null,
                trials: rows,
                best: best ?? null,
                pruned,
                ...(repeats > 1
                  ? { repeats, configurations, bestConfiguration: bestConfig ?? null }
                  : {}),
              },
            };
            const { out } = context;
            if (format === 'table') {
              out.line(
                `sweep ${sweep.id} ${sweep.name}: ${sweep.status}, ${sweep.goal} ${sweep.metric}`,
              );
              out.line(`varied: ${varied.join(' ') || '(nothing)'}`);
              const fixed = Array.isArray(definition?.overrides) ? definition.overrides : [];
              if (fixed.length > 0) out.line(`fixed: ${fixed.join(' ')}`);
            }
            out.view(view, format);
            if (format !== 'table') return;
            if (repeats > 1) {
              out.line(`\nconfigurations (${repeats} seeds each; best = best mean):`);
              out.view(configurationView(configurations, varied, sweep.metric), 'table');
              out.line(
                bestConfig
                  ? `best: configuration ${bestConfig.configuration} ${sweep.metric} mean ${formatMetric(bestConfig.mean)}` +
                      (bestConfig.std === null ? '' : ` ± ${formatMetric(bestConfig.std)} (std)`) +
                      ` over ${bestConfig.completed} seeds (trials ${bestConfig.trials.join(', ')})`
                  : 'best: no configuration has finished yet',
              );
            } else {
              out.line(
                best
                  ? `best: trial ${best.trial} (run ${best.run}) ${sweep.metric} ${formatMetric(best.metric)}`
                  : 'best: no completed trial yet',
              );
            }
            if (pruned.length > 0) {
              out.line(`pruned (${pruned.length}):`);
              for (const p of pruned) out.line(`  trial ${p.trial} (run ${p.run}): ${p.why}`);
            }
          },
          { readonly: true },
        );
      }),
    );
}

function configurationView(
  configurations: readonly ConfigurationSummary[],
  varied: readonly string[],
  metric: string,
): View<ConfigurationSummary> {
  return {
    records: configurations,
    columns: [
      { key: 'config', kind: 'id', value: (c) => c.configuration },
      ...varied.map((key): ViewColumn<ConfigurationSummary> => ({
        key,
        kind: 'param',
        value: (c) => (c.values[key] as string | number | undefined) ?? null,
      })),
      { key: 'seeds', value: (c) => `${c.completed}/${c.trials.length}` },
      { key: `${metric} mean`, kind: 'metric', value: (c) => c.mean },
      { key: 'std', kind: 'metric', value: (c) => c.std },
    ],
    json: configurations,
  };
}
