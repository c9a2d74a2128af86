import type { Command } from 'commander';
import { outputFormat } from '../../parse-flags.js';
import type { View } from '../../render.js';
import { DB_HELP, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';
import { bestTrial, sweepTrialRows } from './trial-rows.js';

interface SweepListRow {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly trials: string;
  readonly varied: string;
  readonly metric: string;
  readonly best: number | null;
  readonly bestRun: number | null;
  readonly started: number;
}

/** `runner sweeps ls`: every sweep, newest first, with its varied keys and best value. */
export function registerSweepsList(sweeps: Command, context: CliContext): void {
  sweeps
    .command('ls')
    .description('every sweep: status, trials run, what it varies, the best value')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((opts: { db?: string; json?: boolean; csv?: boolean }) =>
        withStore(
          context,
          opts.db,
          async (store) => {
            const records: SweepListRow[] = [];
            for (const sweep of await store.listSweeps()) {
              const { varied, rows } = sweepTrialRows(sweep, await store.listSweepTrials(sweep.id));
              const best = bestTrial(sweep, rows);
              const finished = rows.filter((r) => r.status !== 'pending').length;
              records.push({
                id: sweep.id,
                name: sweep.name,
                status: sweep.status,
                trials: `${finished}/${sweep.trialCount}`,
                varied: varied.join(' '),
                metric: sweep.metric,
                best: best?.metric ?? null,
                bestRun: best?.run ?? null,
                started: sweep.startedAt,
              });
            }
            const view: View<SweepListRow> = {
              records,
              columns: [
                { key: 'id', kind: 'id' },
                { key: 'name' },
                { key: 'status' },
                { key: 'trials', align: 'right' },
                { key: 'varied' },
                { key: 'metric' },
                { key: 'best', kind: 'metric' },
                { key: 'bestRun', title: 'best run', kind: 'id' },
                { key: 'started', kind: 'time' },
              ],
              empty:
                'no sweeps in this store yet (start one with: runner sweep FILE --set key=v1,v2)',
            };
            context.out.view(view, outputFormat(opts));
          },
          { readonly: true },
        ),
      ),
    );
}
