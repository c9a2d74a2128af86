import { outputFormat } from '../parse-flags.js';
import { DB_HELP, withStore } from '../store-access.js';
import type { CommandDefinition } from './command.js';

/**
 * `runner query "SQL"`: read-only SQL over the store, on a connection opened read-only.
 * Statements that would write are refused with one line and change nothing.
 */
export const queryCommand: CommandDefinition = {
  name: 'query',
  register(program, context) {
    program
      .command('query')
      .description(
        'read-only SQL over the store; views run_summary, run_metrics, run_params, metric_points (see README)',
      )
      .argument('<sql>', 'one SELECT (or WITH / VALUES / EXPLAIN / read-only PRAGMA) statement')
      .option('--json', 'print JSON (an array of objects)')
      .option('--csv', 'print CSV')
      .option('--db <path>', DB_HELP)
      .action(async (sql: string, opts: { db?: string; json?: boolean; csv?: boolean }) => {
        const format = outputFormat(opts);
        await withStore(
          context,
          opts.db,
          async (store) => {
            const result = await store.queryRows(sql);
            const names = uniqueNames(result.columns);
            // CSV and JSON stream from SQLite's cursor; a table needs every row for its widths.
            if (format === 'json') await context.out.jsonRows(names, result.rows);
            else if (format === 'csv') await context.out.csvRows(names, result.rows);
            else {
              const rows: Record<string, unknown>[] = [];
              for await (const values of result.rows) {
                rows.push(Object.fromEntries(names.map((name, i) => [name, values[i] ?? null])));
              }
              // Values as SQLite returned them (no thousands separators in ids and epoch ms).
              context.out.view(
                { records: rows, columns: names.map((key) => ({ key, kind: 'sql' })) },
                'table',
              );
              context.out.note(
                `${rows.length.toLocaleString('en-US')} row${rows.length === 1 ? '' : 's'}`,
              );
            }
          },
          { readonly: true },
        );
      });
  },
};

/** `SELECT 1, 1` has two columns named "1": keep both. */
function uniqueNames(columns: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}
