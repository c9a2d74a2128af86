import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { declaredIdxBytes } from './idx-reader.js';
import { listImageFolder } from './image-folder/list-image-folder.js';

// What a dataset of the user's files will hold in memory, told from the files without decoding
// them: for the memory estimate of `runner plan` and `validate` (`exp` measures the loaded data).
// Anything that cannot be told (a missing file, not a regular one, not IDX) is undefined:
// loading the data then says what is wrong, in its own line.

/** Compressed bytes read to find a gzip IDX header: inflates to at most about 1 MB. */
const GZIP_HEADER_PROBE = 1024;

/** The first `max` bytes of a regular file; undefined when missing, not regular or unreadable. */
async function readPrefix(file: string, max: number): Promise<Buffer | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined; // a FIFO would block open() for ever
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      const bytes = Buffer.alloc(max);
      const { bytesRead } = await handle.read(bytes, 0, max, 0);
      return bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The bytes an IDX file (gzip or raw) holds once read, header included, as its header declares
 * (the loader keeps the decompressed file whole and views into it).
 */
export async function idxFileBytes(file: string): Promise<number | undefined> {
  const prefix = await readPrefix(file, GZIP_HEADER_PROBE);
  if (prefix === undefined) return undefined;
  let header: Uint8Array = prefix;
  if (prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b) {
    try {
      header = new Uint8Array(gunzipSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    } catch {
      return undefined;
    }
  }
  const declared = declaredIdxBytes(header);
  return typeof declared === 'number' ? declared : undefined;
}

/**
 * The data rows of a CSV file: its line count less the header. A quoted field across lines
 * counts once per line, so this is an upper bound, as an estimate of memory should be.
 */
export async function countCsvRows(file: string): Promise<number | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined; // a FIFO would block open() for ever
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      let lines = 0;
      let last = 0x0a;
      for await (const chunk of handle.createReadStream({ autoClose: false })) {
        const bytes = chunk as Buffer;
        for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lines++;
        if (bytes.length > 0) last = bytes[bytes.length - 1]!;
      }
      return Math.max(0, lines + (last === 0x0a ? 0 : 1) - 1);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** The image files of a class-folder split (as the loader lists them), or undefined. */
export function countImageFiles(dir: string, key: string): number | undefined {
  try {
    return listImageFolder(dir, key).files.length;
  } catch {
    return undefined;
  }
}
