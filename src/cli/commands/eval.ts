import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { formatDuration, formatMetric } from '../../format/index.js';
import { confusionLines } from '../confusion-lines.js';
import { outputFormat } from '../parse-flags.js';
import { createProgressTicker } from '../progress-ticker.js';
import { DB_HELP, withStore } from '../store-access.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';

/** Misclassified images named on the terminal (the run page shows the whole grid). */
const MISCLASSIFIED_SHOWN = 5;

interface EvalFlags {
  readonly data?: string;
  readonly set?: string[];
  readonly checkpoint?: 'final' | 'best';
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly db?: string;
}

/** `runner eval RUN_ID`: a run's saved model on its test split or other data, recorded with the run. */
export const evalCommand: CommandDefinition = {
  name: 'eval',
  register(program, context) {
    program
      .command('eval')
      .description(
        "evaluate a run's saved model on its test split or on other data; recorded as an evaluation of the run",
      )
      .argument('<run-id>', 'the run whose model to evaluate')
      .option(
        '--data <file>',
        "a YAML file with a data: section (e.g. data: {test: {dir: other/test}}), over the run's own",
      )
      .option('--set <key=value>', 'override a data.* value (repeatable)', collect, [])
      .addOption(
        new Option('--checkpoint <which>', 'the saved model: final or the best epoch’s')
          .choices(['final', 'best'])
          .default('final'),
      )
      .option('--json', 'print the evaluation as JSON')
      .option('--csv', 'print the evaluation as CSV (one row per metric)')
      .option('--db <path>', DB_HELP)
      .action(
        context.action((idText: string, flags: EvalFlags) => runEval(idText, flags, context)),
      );
  },
};

async function runEval(idText: string, flags: EvalFlags, context: CliContext): Promise<void> {
  const format = outputFormat(flags);
  if (!/^\d+$/.test(idText)) {
    throw new UsageError(`eval: ${idText}: expected a run id, e.g. runner eval 12`);
  }
  const runId = Number(idText);
  const [{ evaluateRun }, { REGISTRIES }] = await Promise.all([
    import('../../train/index.js'),
    import('../../registries.js'),
  ]);
  const { out } = context;
  // Evaluation may take minutes on a big split: the status line on a terminal; where stderr
  // is piped (a CI log), a plain line every tenth of the examples or every 30 s, as exp does.
  const ticker = createProgressTicker();
  const onProgress = (done: number, total: number): void => {
    const fraction = total > 0 ? done / total : 1;
    const text = `run ${runId}: evaluating ${Math.floor(fraction * 100)}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} examples)`;
    if (out.liveStatus) out.status(text);
    else if (ticker.due(fraction)) out.note(text);
  };
  const result = await withStore(
    context,
    flags.db,
    (store) =>
      evaluateRun({
        store,
        runId,
        checkpoint: flags.checkpoint ?? 'final',
        ...(flags.data !== undefined ? { dataFile: flags.data } : {}),
        set: flags.set ?? [],
        registries: REGISTRIES,
        cwd: context.cwd,
        env: context.env,
        // --json and --csv are for programs: only their result, as exp's.
        ...(format === 'table' ? { onProgress } : {}),
      }),
    { writes: true },
  );
  for (const notice of result.notices) out.note(notice);
  if (format === 'json') {
    out.json(result);
    return;
  }
  if (format === 'csv') {
    out.csv(
      Object.entries(result.metrics).map(([metric, value]) => ({
        run_id: result.runId,
        evaluation_id: result.evaluationId,
        checkpoint: result.checkpoint,
        split: result.split,
        count: result.count,
        metric,
        value,
      })),
      ['run_id', 'evaluation_id', 'checkpoint', 'split', 'count', 'metric', 'value'],
    );
    return;
  }
  const metrics = Object.entries(result.metrics)
    .map(([k, v]) => `${k} ${formatMetric(v)}`)
    .join('  ');
  out.line(
    `run ${result.runId}, ${result.checkpoint} model on ${result.split} (${result.count.toLocaleString('en-US')} examples): ${metrics}`,
  );
  if (result.confusion)
    for (const line of confusionLines(result.classes, result.confusion)) out.line(line);
  const grid = result.misclassified;
  if (grid !== undefined && grid.examples.length > 0) {
    const shown = grid.examples.slice(0, MISCLASSIFIED_SHOWN);
    out.line(
      `${grid.wrong} of ${grid.count} wrong; the ${shown.length} most confidently misclassified (all ${grid.examples.length} on the run page):`,
    );
    for (const e of shown) {
      out.line(
        `  ${e.file ?? `#${e.index}`}: ${e.predictedClass} ${(e.probability * 100).toFixed(1)}% (true ${e.trueClass}, ${(e.trueProbability * 100).toFixed(1)}%)`,
      );
    }
  }
  out.line(
    `recorded as evaluation ${result.evaluationId} of run ${result.runId} (${result.backend}, ${formatDuration(result.durationMs)}); runner runs show ${result.runId}`,
  );
}
