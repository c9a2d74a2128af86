import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import type { DatasetContext, DataSourceKind, ImageSplit } from './dataset.js';
import { displayPath, resolveDataDir, type DataDir } from './data-dir.js';
import { downloadFile } from './download.js';
import { readDataFile } from './data-file.js';
import { decompressIfGzip, parseIdx } from './idx-reader.js';
import { splitFromIdx } from './image-split.js';

/** One of the four files of an MNIST-style dataset, with its published checksums. */
export interface OfficialFile {
  /** The official name without `.gz`, e.g. `train-images-idx3-ubyte`. */
  readonly name: string;
  /** MD5 of the published `.gz` file (what the mirrors serve). */
  readonly gzMd5: string;
  /** Size of the published `.gz`; a file of another size cannot match `gzMd5`, so it is not hashed for it. */
  readonly gzBytes: number;
  /** MD5 of the decompressed IDX data: accepts uncompressed and re-compressed copies (Debian's). */
  readonly rawMd5: string;
}

/** An MNIST-style dataset: four official IDX files, mirrors, known places on disk. */
export interface OfficialDataset {
  readonly name: string;
  /** Folder under the data directory: `<data dir>/<folder>/`. */
  readonly folder: string;
  readonly files: {
    readonly trainImages: OfficialFile;
    readonly trainLabels: OfficialFile;
    readonly testImages: OfficialFile;
    readonly testLabels: OfficialFile;
  };
  readonly numClasses: number;
  readonly trainCount: number;
  readonly testCount: number;
  /** Base URLs tried in order; each file is `<base><name>.gz`. */
  readonly mirrors: readonly string[];
  /** Read-only folders where a system package installs the files (checked after the data dir). */
  readonly systemDirs: readonly { readonly path: string; readonly kind: DataSourceKind }[];
}

type FileRole = keyof OfficialDataset['files'];
const ROLES: readonly FileRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** The state of one file in one folder. */
export type FileCheck =
  | { readonly state: 'ok'; readonly path: string; readonly raw: Buffer }
  | { readonly state: 'missing'; readonly path: string }
  | { readonly state: 'bad'; readonly path: string; readonly problem: string };

/** The state of all four files in one folder. */
export interface FolderCheck {
  readonly dir: string;
  readonly files: Readonly<Record<FileRole, FileCheck>>;
  readonly complete: boolean;
}

/**
 * Looks for `<name>.gz`, then `<name>`, in `dir`, and verifies its checksum.
 * A `.gz` is accepted by its published MD5 or, when re-compressed, by the MD5 of its content.
 */
export async function checkOfficialFile(dir: string, file: OfficialFile): Promise<FileCheck> {
  let firstBad: FileCheck | undefined;
  for (const path of [join(dir, `${file.name}.gz`), join(dir, file.name)]) {
    let stored: Buffer;
    try {
      const read = await readDataFile(path);
      if (read.missing) continue;
      stored = read.bytes;
    } catch (error) {
      firstBad ??= {
        state: 'bad',
        path,
        problem: error instanceof DatasetError ? problemOf(error, path) : String(error),
      };
      continue;
    }
    const check = await verifyContent(path, stored, file);
    if (check.state === 'ok') return check;
    firstBad ??= check;
  }
  return firstBad ?? { state: 'missing', path: join(dir, `${file.name}.gz`) };
}

async function verifyContent(path: string, stored: Buffer, file: OfficialFile): Promise<FileCheck> {
  let decoded: { raw: Buffer; gzip: boolean };
  try {
    decoded = await decompressIfGzip(stored, path);
  } catch {
    return {
      state: 'bad',
      path,
      problem: `truncated or corrupt gzip data (${stored.length.toLocaleString('en-US')} bytes, MD5 ${md5(stored)}; expected ${file.gzBytes.toLocaleString('en-US')} bytes, MD5 ${file.gzMd5})`,
    };
  }
  // The published .gz verifies by its own MD5; anything else (re-compressed, uncompressed) by the MD5 of the IDX data.
  if (decoded.gzip && stored.length === file.gzBytes && md5(stored) === file.gzMd5) {
    return { state: 'ok', path, raw: decoded.raw };
  }
  const rawMd5 = md5(decoded.raw);
  if (rawMd5 === file.rawMd5) return { state: 'ok', path, raw: decoded.raw };
  return {
    state: 'bad',
    path,
    problem: `checksum mismatch: MD5 ${rawMd5}${decoded.gzip ? ' (of the decompressed data)' : ''}, expected ${file.rawMd5}`,
  };
}

/** A DatasetError's message without the leading `PATH: `, as a file check's problem. */
function problemOf(error: DatasetError, path: string): string {
  return error.message.startsWith(`${path}: `)
    ? error.message.slice(path.length + 2)
    : error.message;
}

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

export async function checkFolder(dataset: OfficialDataset, dir: string): Promise<FolderCheck> {
  const checks = await Promise.all(
    ROLES.map((role) => checkOfficialFile(dir, dataset.files[role])),
  );
  const files = Object.fromEntries(ROLES.map((role, i) => [role, checks[i]!])) as Record<
    FileRole,
    FileCheck
  >;
  return { dir, files, complete: checks.every((c) => c.state === 'ok') };
}

/** Decodes a complete, verified folder into train and test splits. */
export function splitsFromFolder(
  dataset: OfficialDataset,
  folder: FolderCheck,
): { train: ImageSplit; test: ImageSplit } {
  const idx = (role: FileRole) => {
    const check = folder.files[role];
    if (check.state !== 'ok') throw new DatasetError(`${check.path}: not verified`);
    return parseIdx(check.raw, check.path);
  };
  return {
    train: splitFromIdx(idx('trainImages'), idx('trainLabels'), dataset.numClasses),
    test: splitFromIdx(idx('testImages'), idx('testLabels'), dataset.numClasses),
  };
}

/** `data.root` folder, else RUNNER_DATA_DIR, else the cache: `<dir>/<dataset folder>`. */
export function datasetDir(
  dataset: OfficialDataset,
  context: DatasetContext,
): { dir: string; dataDir: DataDir } {
  const dataDir = resolveDataDir(context.spec.root, context.env, context.cwd);
  return { dir: join(dataDir.path, dataset.folder), dataDir };
}

/** Mirrors by precedence: injected option, `RUNNER_<NAME>_MIRRORS` (comma or space separated), built-in list. */
export function resolveMirrors(
  dataset: OfficialDataset,
  context: Pick<DatasetContext, 'mirrors' | 'env'>,
): string[] {
  const injected = context.mirrors?.[dataset.name];
  const envName = `RUNNER_${dataset.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_MIRRORS`;
  const fromEnv = context.env[envName]?.split(/[\s,]+/).filter((s) => s !== '');
  const list =
    injected ?? (fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : dataset.mirrors);
  return list.map((base) => (base.endsWith('/') ? base : `${base}/`));
}

export interface FetchAttempt {
  readonly file: string;
  readonly url: string;
  readonly reason: string;
  /** Refused, host not found, timed out, connection lost: the host, not the file, is the problem. */
  readonly network: boolean;
  /** Not tried: the mirror was unreachable for an earlier file. */
  readonly skipped: boolean;
}

export type FetchResult =
  | { readonly ok: true; readonly downloaded: readonly string[] }
  | {
      readonly ok: false;
      readonly attempts: readonly FetchAttempt[];
      /** Every failure was a network one (refused, DNS, timeout): the machine looks offline. */
      readonly unreachable: boolean;
      readonly failedFile: string;
    };

/**
 * Downloads every file of `folder` that is not `ok` into `folder.dir`, each
 * mirror in order. A mirror that fails at the network level (refused, DNS,
 * timeout) is not tried again for the other files, so an offline machine
 * gives up quickly.
 */
export async function fetchMissing(
  dataset: OfficialDataset,
  folder: FolderCheck,
  context: DatasetContext,
): Promise<FetchResult> {
  const mirrors = resolveMirrors(dataset, context);
  const unreachable = new Set<string>();
  const attempts: FetchAttempt[] = [];
  const downloaded: string[] = [];
  for (const role of ROLES) {
    if (folder.files[role].state === 'ok') continue;
    const file = dataset.files[role];
    const fileName = `${file.name}.gz`;
    let done = false;
    for (const mirror of mirrors) {
      if (unreachable.has(mirror)) {
        attempts.push({
          file: fileName,
          url: `${mirror}${fileName}`,
          reason: 'skipped: unreachable for an earlier file',
          network: true,
          skipped: true,
        });
        continue;
      }
      const url = `${mirror}${fileName}`;
      context.logger?.info({ dataset: dataset.name, url }, 'downloading');
      const onProgress = context.onProgress;
      const result = await downloadFile({
        url,
        dest: join(folder.dir, fileName),
        expectedMd5: file.gzMd5,
        timeouts: context.timeouts,
        ...(onProgress === undefined
          ? {}
          : {
              onProgress: (
                receivedBytes: number,
                totalBytes: number | undefined,
                isDone: boolean,
              ) =>
                onProgress({
                  dataset: dataset.name,
                  file: fileName,
                  url,
                  receivedBytes,
                  totalBytes,
                  done: isDone,
                }),
            }),
      });
      if (result.ok) {
        context.logger?.info(
          { dataset: dataset.name, url, bytes: result.bytes },
          'downloaded and verified',
        );
        downloaded.push(fileName);
        done = true;
        break;
      }
      context.logger?.warn(
        { dataset: dataset.name, url, reason: result.reason },
        'download failed',
      );
      attempts.push({
        file: fileName,
        url,
        reason: result.reason,
        network: result.network,
        skipped: false,
      });
      if (result.network) unreachable.add(mirror);
    }
    if (!done) {
      const tried = attempts.filter((a) => !a.skipped);
      return {
        ok: false,
        attempts,
        unreachable: tried.length > 0 && tried.every((a) => a.network),
        failedFile: fileName,
      };
    }
  }
  return { ok: true, downloaded };
}

/** One line: which mirrors were tried for the file that could not be fetched, and why each failed. */
export function describeAttempts(result: Extract<FetchResult, { ok: false }>): string {
  return result.attempts
    .filter((a) => a.file === result.failedFile)
    .map((a) => `${a.url} (${a.reason})`)
    .join('; ');
}

/** The error for a failed download: mirrors tried and where to put the files by hand. */
export function downloadError(
  dataset: OfficialDataset,
  dir: string,
  result: Extract<FetchResult, { ok: false }>,
  env: NodeJS.ProcessEnv,
): DatasetError {
  const names = ROLES.map((r) => `${dataset.files[r].name}.gz`).join(', ');
  return new DatasetError(
    `${dataset.name}: could not download ${result.failedFile}: tried ${describeAttempts(result)}`,
    {
      hint: `put the official files (${names}) in ${displayPath(dir, env)}/ by hand, or point data.root or RUNNER_DATA_DIR at a folder holding ${dataset.folder}/; mirrors can be set with RUNNER_${dataset.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_MIRRORS`,
    },
  );
}

/** One line per file that is present but fails its check. */
export function describeBadFiles(folder: FolderCheck, env: NodeJS.ProcessEnv): string[] {
  return ROLES.flatMap((role) => {
    const check = folder.files[role];
    return check.state === 'bad' ? [`${displayPath(check.path, env)}: ${check.problem}`] : [];
  });
}

export const OFFICIAL_ROLES = ROLES;
