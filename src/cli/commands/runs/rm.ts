import { existsSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../../errors.js';
import type { RunDetail } from '../../../store/index.js';
import { confirm } from '../../confirm.js';
import { OK, outcome, type Outcome } from '../../outcome.js';
import { parseRunIds } from '../../parse-flags.js';
import { DB_HELP, requireRuns, withStore } from '../../store-access.js';
import type { CliContext } from '../command.js';

interface RemoveOptions {
  db?: string;
  yes?: boolean;
  keepArtifacts?: boolean;
  force?: boolean;
}

/** `runner runs rm ID...`: deletes runs after asking the person at the terminal (or `--yes`). */
export function registerRunsRemove(runs: Command, context: CliContext): void {
  runs
    .command('rm')
    .description(
      'delete runs with their params, metrics and artifacts folder (asks first; --yes to skip)',
    )
    .argument('<ids...>', 'run ids')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--keep-artifacts', "keep each run's artifacts folder on disk")
    .option('--force', 'delete runs that still look alive (their process may not be the run)')
    .option('--db <path>', DB_HELP)
    .action(
      context.action((idTexts: string[], opts: RemoveOptions) =>
        removeRuns(context, idTexts, opts),
      ),
    );
}

async function removeRuns(
  context: CliContext,
  idTexts: readonly string[],
  opts: RemoveOptions,
): Promise<Outcome> {
  const ids = [...new Set(parseRunIds(idTexts))];
  return withStore(context, opts.db, async (store) => {
    await requireRuns(store, ids);
    const targets = await Promise.all(ids.map(async (id) => (await store.getRun(id))!));
    const { isRunAlive, localLivenessProbe } = await import('../../../store/index.js');
    const probe = localLivenessProbe();
    for (const run of opts.force ? [] : targets) {
      if (isRunAlive(run, probe)) {
        throw new UsageError(
          `run ${run.id} is still running (pid ${run.pid ?? '?'} on ${run.host}); stop it before deleting it`,
          { hint: 'if that process is not the run, delete it anyway with --force' },
        );
      }
    }
    const plural = ids.length > 1 ? 's' : '';
    const list = targets.map((r) => `${r.id} (${r.name}, ${r.status})`).join(', ');
    if (!opts.yes) {
      if (!context.stdin.isTTY) {
        throw new UsageError(
          `refusing to delete ${ids.length} run${plural} without confirmation (stdin is not a terminal)`,
          { hint: 'add --yes to delete without asking' },
        );
      }
      if (!(await confirm(context, `delete run${plural} ${list} from ${store.path}? [y/N]`))) {
        context.out.note('nothing deleted');
        return outcome('declined');
      }
    }
    const deleted = await store.deleteRuns(ids);
    const removedDirs = opts.keepArtifacts ? [] : removeArtifacts(targets);
    context.out.line(
      `deleted ${deleted} run${deleted === 1 ? '' : 's'}: ${list}${
        removedDirs.length > 0 ? `; removed ${removedDirs.join(', ')}` : ''
      }`,
    );
    return OK;
  }, { writes: true });
}

/** Removes `runs/<id>/` folders; only a folder named after its run id, so a bad record cannot aim elsewhere. */
function removeArtifacts(runs: readonly RunDetail[]): string[] {
  const removed: string[] = [];
  for (const run of runs) {
    const dir = run.artifactsDir;
    if (!dir || basename(dir) !== String(run.id) || !existsSync(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
