import type { Command } from 'commander';
import { outputFormat, parseTags } from '../../parse-flags.js';
import { DB_HELP, RUN_REF_HELP, resolveRunRef, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';

interface LabelOptions {
  db?: string;
  json?: boolean;
  csv?: boolean;
}

/** `runner runs tag ID TAG...`: labels that tell runs apart (`runs ls --where 'tag = "baseline"'`). */
export function registerRunsTag(runs: Command, context: CliContext): void {
  runs
    .command('tag')
    .description('add tags to a run, e.g. `runner runs tag 12 baseline`')
    .argument('<run>', RUN_REF_HELP)
    .argument('<tags...>', 'one word each: letters, digits, _ . : / + = @ -')
    .option('--json', 'print the run id and its tags as JSON')
    .option('--csv', 'print the run id and its tags as CSV (one row per tag)')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((ref: string, tags: string[], opts: LabelOptions) =>
        changeTags(context, ref, tags, opts, 'add'),
      ),
    );
}

/** `runner runs untag ID TAG...`. */
export function registerRunsUntag(runs: Command, context: CliContext): void {
  runs
    .command('untag')
    .description('take tags off a run (tags it does not have are ignored)')
    .argument('<run>', RUN_REF_HELP)
    .argument('<tags...>', 'the tags to take off')
    .option('--json', 'print the run id and its tags as JSON')
    .option('--csv', 'print the run id and its tags as CSV (one row per tag)')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((ref: string, tags: string[], opts: LabelOptions) =>
        changeTags(context, ref, tags, opts, 'remove'),
      ),
    );
}

async function changeTags(
  context: CliContext,
  ref: string,
  tagTexts: readonly string[],
  opts: LabelOptions,
  change: 'add' | 'remove',
): Promise<void> {
  const format = outputFormat(opts);
  const tags = await parseTags(tagTexts, change === 'add' ? 'runs tag' : 'runs untag');
  await withStore(context, opts.db, async (store) => {
    const runId = await resolveRunRef(store, ref);
    const after =
      change === 'add' ? await store.tagRun(runId, tags) : await store.untagRun(runId, tags);
    if (format !== 'table')
      context.out.view(
        {
          records: after.map((tag) => ({ runId, tag })),
          columns: [{ key: 'run_id', value: (r) => r.runId }, { key: 'tag' }],
          json: { runId, tags: after },
        },
        format,
      );
    else context.out.line(`run ${runId}: ${after.length > 0 ? `tags ${after.join(', ')}` : 'no tags'}`);
  }, { writes: true });
}

/** `runner runs note ID [TEXT]`: sets the run's note (empty text clears it), or prints it. */
export function registerRunsNote(runs: Command, context: CliContext): void {
  runs
    .command('note')
    .description('set a note on a run ("" clears it); without text, print the note')
    .argument('<run>', RUN_REF_HELP)
    .argument('[text]', 'the note, in quotes')
    .option('--json', 'print the run id and its note as JSON')
    .option('--csv', 'print the run id and its note as CSV')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((ref: string, text: string | undefined, opts: LabelOptions) =>
        noteRun(context, ref, text, opts),
      ),
    );
}

async function noteRun(
  context: CliContext,
  ref: string,
  text: string | undefined,
  opts: LabelOptions,
): Promise<void> {
  const format = outputFormat(opts);
  await withStore(context, opts.db, async (store) => {
    const runId = await resolveRunRef(store, ref);
    if (text !== undefined) await store.setRunNote(runId, text);
    const note = (await store.getRun(runId))!.note;
    if (format !== 'table')
      context.out.view(
        {
          records: [{ runId, note }],
          columns: [{ key: 'run_id', value: (r) => r.runId }, { key: 'note' }],
          json: { runId, note },
        },
        format,
      );
    else if (note === null) context.out.line(`run ${runId}: no note`);
    else context.out.line(`run ${runId}: ${note}`);
  }, { writes: true });
}
