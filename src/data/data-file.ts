import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { DatasetError } from '../errors.js';

/**
 * The largest data file (stored, or decompressed as its IDX header declares)
 * the runner reads: 4 GiB. Images are held as uint8 in memory, so a file past
 * this is a mistake (or an attack) long before it is a dataset.
 */
export const MAX_DATA_FILE_BYTES = 4 * 1024 ** 3;

/** What a path is when it is not a regular file, for the one-line refusal. */
function describeKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function notRegular(file: string, kind: string): DatasetError {
  return new DatasetError(`${file}: is ${kind}, expected a regular IDX file`, {
    hint: 'data paths must name regular files (gzip or uncompressed IDX)',
  });
}

/**
 * Reads a data file whole, but only a regular one: devices (`/dev/zero`),
 * FIFOs, sockets and folders are refused before they are opened (a FIFO
 * would block `open()` for ever), and again on the open descriptor (opened
 * non-blocking), so a path swapped in between cannot slip through. The read
 * is bounded by the size `fstat` reports and by `MAX_DATA_FILE_BYTES`.
 * Errors are `DatasetError`s naming the file; a missing file is
 * `{ missing: true }` so callers that look in several places can go on.
 */
export async function readDataFile(
  file: string,
): Promise<{ readonly missing: true } | { readonly missing: false; readonly bytes: Buffer }> {
  let before: Stats;
  try {
    before = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    throw readError(file, error);
  }
  const kind = describeKind(before);
  if (kind !== undefined) throw notRegular(file, kind);
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw readError(file, error);
  }
  try {
    const stats = await handle.stat();
    const kindNow = describeKind(stats);
    if (kindNow !== undefined) throw notRegular(file, kindNow);
    if (stats.size > MAX_DATA_FILE_BYTES) throw tooLarge(file, stats.size, 'is');
    const bytes = Buffer.allocUnsafe(stats.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { missing: false, bytes: offset === bytes.length ? bytes : bytes.subarray(0, offset) };
  } catch (error) {
    throw error instanceof DatasetError ? error : readError(file, error);
  } finally {
    await handle.close();
  }
}

export function tooLarge(file: string, bytes: number, verb: 'is' | 'declares'): DatasetError {
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return new DatasetError(
    `${file}: ${verb === 'is' ? 'the file is' : 'its IDX header declares'} ${bytes.toLocaleString('en-US')} bytes (${gib(bytes)}), more than the ${gib(MAX_DATA_FILE_BYTES)} the runner reads`,
    { hint: 'is this the right file? split a dataset this large, or limit it before converting' },
  );
}

function readError(file: string, error: unknown): DatasetError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EISDIR') return notRegular(file, 'a folder');
  const reason = error instanceof Error ? error.message : String(error);
  return new DatasetError(`${file}: cannot be read (${reason})`, { cause: error });
}
