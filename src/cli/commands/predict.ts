import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Prediction, RunPredictions } from '../../train/index.js';
import type { View } from '../render.js';
import { DB_HELP, withStore } from '../store-access.js';
import type { CliContext, CommandDefinition } from './command.js';

interface PredictFlags {
  readonly checkpoint?: 'final' | 'best';
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly db?: string;
}

/** `runner predict RUN_ID FILE...`: the run's model on image files or CSV rows. */
export const predictCommand: CommandDefinition = {
  name: 'predict',
  register(program, context) {
    program
      .command('predict')
      .description(
        "predict with a run's saved model: the class (probability, top 3) of each image, or each CSV row's (a CSV in, a CSV out)",
      )
      .argument('<run-id>', 'the run whose model predicts')
      .argument('<files...>', 'image files (PNG, JPEG, ...) or CSV files with the run’s columns')
      .addOption(
        new Option('--checkpoint <which>', 'the saved model: final or the best epoch’s')
          .choices(['final', 'best'])
          .default('final'),
      )
      .option('--json', 'print the predictions as JSON')
      .option(
        '--csv',
        'print the predictions as CSV (CSV input: its rows with a prediction column)',
      )
      .option('--db <path>', DB_HELP)
      .action(
        context.action((idText: string, files: string[], flags: PredictFlags) =>
          runPredict(idText, files, flags, context),
        ),
      );
  },
};

async function runPredict(
  idText: string,
  files: readonly string[],
  flags: PredictFlags,
  context: CliContext,
): Promise<void> {
  if (!/^\d+$/.test(idText)) {
    throw new UsageError(`predict: ${idText}: expected a run id, e.g. runner predict 12 photo.jpg`);
  }
  if (flags.json && flags.csv) throw new UsageError('predict: --json or --csv, not both');
  const [{ predictRun }, { REGISTRIES }] = await Promise.all([
    import('../../train/index.js'),
    import('../../registries.js'),
  ]);
  const { out } = context;
  const result = await withStore(
    context,
    flags.db,
    (store) =>
      predictRun({
        store,
        runId: Number(idText),
        files,
        checkpoint: flags.checkpoint ?? 'final',
        registries: REGISTRIES,
        cwd: context.cwd,
        env: context.env,
      }),
    { writes: true },
  );
  for (const notice of result.notices) out.note(notice);
  if (result.tables.length > 0 && !flags.json) {
    writeTablesWithPredictions(context, result);
    return;
  }
  out.view(predictionsView(result), flags.json ? 'json' : flags.csv ? 'csv' : 'table');
}

function predictionsView(result: RunPredictions): View<Prediction> {
  const input = { key: 'input', value: (p: Prediction) => p.input };
  if (result.task === 'regression') {
    return {
      records: result.predictions,
      columns: [input, { key: 'value', kind: 'metric', value: (p) => p.value }],
    };
  }
  return {
    records: result.predictions,
    columns: [
      input,
      { key: 'class', value: (p) => p.class },
      { key: 'probability', kind: 'metric', value: (p) => p.probability },
      {
        key: 'top 3',
        value: (p) => p.top?.map((t) => `${t.class} ${t.probability.toFixed(3)}`).join(', '),
      },
    ],
  };
}

/**
 * CSV in, CSV out: every row of the input as written, with `prediction` (and
 * `probability` for classes) added; a row dropped for a missing value
 * (data.missing: drop) gets empty cells. Several files need the same header.
 */
function writeTablesWithPredictions(context: CliContext, result: RunPredictions): void {
  const first = result.tables[0]!.table.text.header;
  for (const { file, table } of result.tables) {
    if (table.text.header.join('\u0000') !== first.join('\u0000')) {
      throw new UsageError(
        `predict: ${file} has other columns than ${result.tables[0]!.file}; one CSV out needs one header`,
        { hint: 'predict each file on its own, or use --json' },
      );
    }
  }
  const byInput = new Map(result.predictions.map((p) => [p.input, p]));
  const classes = result.task === 'classification';
  const added = classes ? ['prediction', 'probability'] : ['prediction'];
  const taken = new Set(first);
  const names = added.map((name) => (taken.has(name) ? `predicted_${name}` : name));
  const several = result.tables.length > 1;
  const columns = [...(several ? ['file'] : []), ...first, ...names];
  const rows: Record<string, unknown>[] = [];
  for (const { file, table } of result.tables) {
    const { text } = table;
    text.lines.forEach((line, r) => {
      const row: Record<string, unknown> = several ? { file } : {};
      for (const name of text.header) row[name] = text.columns.get(name)![r];
      const p = byInput.get(`${file}:${line}`);
      if (classes) {
        row[names[0]!] = p?.class ?? '';
        row[names[1]!] = p?.probability ?? '';
      } else row[names[0]!] = p?.value ?? '';
      rows.push(row);
    });
  }
  context.out.csv(rows, columns);
}
