import { basename } from 'node:path';
import type { Command } from 'commander';
import { outputFormat } from '../parse-flags.js';
import type { FetchReport } from '../../data/dataset-admin.js';
import { createDownloadLines } from '../download-lines.js';
import type { View } from '../render.js';
import type { CliContext, CommandDefinition } from './command.js';

interface DataFlags {
  readonly root?: string;
  readonly json?: boolean;
  readonly csv?: boolean;
}

const ROOT_HELP = 'data directory to use instead of RUNNER_DATA_DIR or the per-user cache';

/** `runner data ls` and `runner data fetch NAME`. */
export const dataCommand: CommandDefinition = {
  name: 'data',
  register(program: Command, context: CliContext) {
    const data = program
      .command('data')
      .description('list the datasets and download them ahead of time');
    data
      .command('ls')
      .description('list the datasets: where each one is on this machine, and its sizes')
      .option('--root <dir>', ROOT_HELP)
      .option('--json', 'print the list as JSON')
      .option('--csv', 'print the list as CSV')
      .action(async (flags: DataFlags) => {
        await listDatasets(context, flags);
      });
    data
      .command('fetch')
      .description(
        'download a dataset into the data directory and verify it (useful before going offline)',
      )
      .argument('<name>', 'mnist or fashion-mnist')
      .option('--root <dir>', ROOT_HELP)
      .option('--json', 'print what was done as JSON (folder, files downloaded and replaced)')
      .option('--csv', 'print one row per official file: its state and where it is')
      .action(async (name: string, flags: DataFlags) => {
        await fetchOne(context, name, flags);
      });
  },
};

async function listDatasets(context: CliContext, flags: DataFlags): Promise<void> {
  // Lazy: `runner --help` must not load the data stage.
  const { datasetStatus } = await import('../../data/dataset-admin.js');
  const rows = await datasetStatus({
    env: context.env,
    cwd: context.cwd,
    ...(flags.root === undefined ? {} : { root: flags.root }),
  });
  const view: View<(typeof rows)[number]> = {
    records: rows,
    columns: [
      { key: 'dataset' },
      { key: 'status' },
      { key: 'trainCount', title: 'train', kind: 'count' },
      { key: 'testCount', title: 'test', kind: 'count' },
      { key: 'location', value: (r) => shortPath(r.location, context.env) },
    ],
  };
  const format = outputFormat(flags);
  context.out.view(view, format);
  if (format !== 'table') return;
  for (const row of rows) {
    if (row.detail !== undefined && row.status !== 'generated' && row.status !== 'user files') {
      context.out.line(`  ${row.dataset}: ${row.detail}`);
    }
  }
}

async function fetchOne(context: CliContext, name: string, flags: DataFlags): Promise<void> {
  const format = outputFormat(flags);
  const [{ fetchDataset }, { formatDownloadProgress }] = await Promise.all([
    import('../../data/dataset-admin.js'),
    import('../../data/download-progress.js'),
  ]);
  const report = await fetchDataset(name, {
    env: context.env,
    cwd: context.cwd,
    ...(flags.root === undefined ? {} : { root: flags.root }),
    onProgress: createDownloadLines(context.out, {
      format: formatDownloadProgress,
      finished: (progress) =>
        `${progress.dataset}: ${progress.file} downloaded (${(progress.receivedBytes / 1e6).toFixed(1)} MB, checksum verified)`,
    }),
  });
  if (format !== 'table') {
    context.out.view(fetchView(report), format);
    return;
  }
  const where = shortPath(report.dir, context.env);
  for (const path of report.replaced)
    context.out.note(`${name}: replaced damaged ${shortPath(path, context.env)}`);
  if (report.systemCopy !== undefined) {
    context.out.line(
      `${name}: already installed in ${report.systemCopy} (checksums verified); nothing to download`,
    );
    return;
  }
  context.out.line(
    report.downloaded.length === 0
      ? `${name}: already in ${where} (4 files, checksums verified); nothing to download`
      : `${name}: ${report.downloaded.length} file${report.downloaded.length === 1 ? '' : 's'} downloaded and verified; all 4 in ${where}`,
  );
}

/** One row per file the dataset has: downloaded now, replaced, or already there (verified). */
interface FetchedFile {
  readonly dataset: string;
  readonly file: string;
  readonly state: 'downloaded' | 'replaced' | 'verified' | 'system copy';
  readonly dir: string;
}

function fetchView(report: FetchReport): View<FetchedFile> {
  const dir = report.systemCopy ?? report.dir;
  const state = (file: string): FetchedFile['state'] =>
    report.systemCopy !== undefined
      ? 'system copy'
      : report.replaced.some((p) => basename(p).startsWith(file.replace(/\.gz$/, '')))
        ? 'replaced'
        : report.downloaded.includes(file)
          ? 'downloaded'
          : 'verified';
  return {
    records: report.files.map((file) => ({
      dataset: report.dataset,
      file,
      state: state(file),
      dir,
    })),
    columns: [{ key: 'dataset' }, { key: 'file' }, { key: 'state' }, { key: 'dir' }],
    json: {
      dataset: report.dataset,
      dir,
      systemCopy: report.systemCopy !== undefined,
      downloaded: report.downloaded,
      replaced: report.replaced,
      files: report.files,
    },
  };
}

function shortPath(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home !== undefined && home !== '' && home !== '/' && path.startsWith(`${home}/`)
    ? `~${path.slice(home.length)}`
    : path;
}
