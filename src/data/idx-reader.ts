import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { DatasetError } from '../errors.js';
import { MAX_DATA_FILE_BYTES, readDataFile, tooLarge } from './data-file.js';

const gunzip = promisify(gunzipCallback);

/** IDX element types (the third byte of the magic number) we read. */
const IDX_TYPES = {
  0x08: { name: 'unsigned byte', size: 1 },
  0x09: { name: 'signed byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
} as const satisfies Record<number, { name: string; size: number }>;

type IdxTypeCode = keyof typeof IDX_TYPES;

/** A parsed IDX file: its dimensions and the bytes after the header (a view, not a copy). */
export interface IdxArray {
  readonly file: string;
  readonly type: IdxTypeCode;
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** The bytes of a file as stored and, when it is gzip, decompressed. */
export interface FileContent {
  readonly stored: Buffer;
  readonly raw: Buffer;
  readonly gzip: boolean;
}

/**
 * Reads a file that may be gzip-compressed (detected by its magic bytes, not its name).
 * Only regular files are read, and never more than the IDX header declares
 * (see `readDataFile` and `decompressIfGzip`). Errors name the file: missing,
 * not a regular file, unreadable, truncated gzip, too large.
 */
export async function readFileContent(file: string): Promise<FileContent> {
  const read = await readDataFile(file);
  if (read.missing) {
    throw new DatasetError(`${file}: no such file`, {
      hint: 'check the path (relative paths are resolved from the current directory)',
    });
  }
  return { stored: read.bytes, ...(await decompressIfGzip(read.bytes, file)) };
}

/** Deflate cannot compress better than 1032:1; a header that claims more than that is lying. */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes inflated at first to find the IDX header (doubled until it is out). */
const HEADER_PROBE_BYTES = 1024;

/** Total bytes (header + data) an IDX header declares, or undefined when `prefix` holds no IDX header. */
export function declaredIdxBytes(prefix: Uint8Array): number | 'short' | undefined {
  if (prefix.length < 4) return 'short';
  const type = (IDX_TYPES as Record<number, { size: number } | undefined>)[prefix[2]!];
  const ndims = prefix[3]!;
  if (prefix[0] !== 0 || prefix[1] !== 0 || type === undefined || ndims === 0) return undefined;
  const headerBytes = 4 + 4 * ndims;
  if (prefix.length < headerBytes) return 'short';
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let total = type.size;
  for (let i = 0; i < ndims; i++) total *= view.getUint32(4 + 4 * i);
  return headerBytes + total;
}

/**
 * Inflates gzip data, but first inflates only its start to read the IDX
 * header: the size it declares is checked against `MAX_DATA_FILE_BYTES` and
 * against what the compressed size can hold, and inflation then stops at the
 * declared size (a gzip bomb is refused before, or cut off at, that size).
 */
export async function decompressIfGzip(
  stored: Buffer,
  file: string,
): Promise<{ raw: Buffer; gzip: boolean }> {
  if (stored.length < 2 || stored[0] !== 0x1f || stored[1] !== 0x8b)
    return { raw: stored, gzip: false };
  const corrupt = (error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    return new DatasetError(`${file}: the gzip data is truncated or corrupt (${reason})`, {
      hint: 'replace the file with a complete copy (or delete it so it is fetched again)',
      cause: error,
    });
  };
  const canHold = stored.length * MAX_DEFLATE_RATIO;
  let declared: number | 'short' | undefined = 'short';
  for (let probe = HEADER_PROBE_BYTES; declared === 'short'; probe *= 2) {
    let prefix: Buffer;
    try {
      prefix = gunzipSync(stored.subarray(0, probe), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: HEADER_PROBE_BYTES,
      });
    } catch (error) {
      // The probe's output limit only means the header is surely out: read it from a smaller probe.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw corrupt(error);
      prefix = gunzipSync(stored.subarray(0, probe / 2), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
      });
    }
    declared = declaredIdxBytes(prefix);
    if (probe >= stored.length) break;
  }
  // Not IDX (or too short to say): inflate within what the file could hold; parsing names the problem.
  const limit = typeof declared === 'number' ? declared : Math.min(MAX_DATA_FILE_BYTES, canHold);
  if (typeof declared === 'number') {
    if (declared > MAX_DATA_FILE_BYTES) throw tooLarge(file, declared, 'declares');
    if (declared > canHold) {
      throw new DatasetError(
        `${file}: its IDX header declares ${declared.toLocaleString('en-US')} bytes, but ${stored.length.toLocaleString('en-US')} bytes of gzip data can hold at most ${canHold.toLocaleString('en-US')}`,
        { hint: 'the header does not match the data, or the file was cut short; replace it' },
      );
    }
  }
  try {
    return { raw: await gunzip(stored, { maxOutputLength: Math.max(limit, 1) }), gzip: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DatasetError(
        typeof declared === 'number'
          ? `${file}: the gzip data inflates to more than the ${declared.toLocaleString('en-US')} bytes its IDX header declares`
          : `${file}: the gzip data inflates to more than ${limit.toLocaleString('en-US')} bytes`,
        { hint: 'the header does not match the data; is this file really IDX?', cause: error },
      );
    }
    throw corrupt(error);
  }
}

/**
 * Parses the IDX header (magic 0x0000TTDD, DD big-endian uint32 dimensions) and
 * checks that the data is exactly as long as the dimensions say.
 */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  if (raw.length < 4) {
    throw new DatasetError(`${file}: not an IDX file (only ${raw.length} bytes)`, {
      hint: 'IDX files start with a 4-byte magic number 0x0000TTDD',
    });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const typeCode = raw[2]!;
  const ndims = raw[3]!;
  const type = (IDX_TYPES as Record<number, { name: string; size: number } | undefined>)[typeCode];
  if (raw[0] !== 0 || raw[1] !== 0 || type === undefined || ndims === 0) {
    throw new DatasetError(
      `${file}: wrong magic number 0x${magic.toString(16).padStart(8, '0')}, expected an IDX file (0x00000801 labels, 0x00000803 images)`,
      { hint: 'is this the right file? gzip and uncompressed IDX files are accepted' },
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw new DatasetError(
      `${file}: truncated: the header needs ${headerBytes} bytes, the file has ${raw.length}`,
    );
  }
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    elements *= d;
  }
  const expected = headerBytes + elements * type.size;
  if (raw.length < expected) {
    throw new DatasetError(
      `${file}: truncated: dimensions ${dims.join('x')} need ${expected.toLocaleString('en-US')} bytes, the file has ${raw.length.toLocaleString('en-US')}`,
      { hint: 'the file was cut short; replace it with a complete copy' },
    );
  }
  if (raw.length > expected) {
    throw new DatasetError(
      `${file}: ${(raw.length - expected).toLocaleString('en-US')} extra byte${raw.length - expected === 1 ? '' : 's'} after the data the header describes (${dims.join('x')} ${type.name})`,
      { hint: 'the header does not match the data; is this file really IDX?' },
    );
  }
  return { file, type: typeCode as IdxTypeCode, dims, data: raw.subarray(headerBytes) };
}

/** Images: unsigned bytes, dimensions [n, h, w] or [n, h, w, c]. */
export function idxImages(idx: IdxArray): {
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
} {
  if (idx.type !== 0x08) {
    throw new DatasetError(
      `${idx.file}: images must be unsigned bytes (IDX type 0x08), found ${IDX_TYPES[idx.type].name} (0x${idx.type.toString(16).padStart(2, '0')})`,
      { hint: 'is this a labels file given as images?' },
    );
  }
  const [count, height, width, channels = 1] = idx.dims;
  if (idx.dims.length < 3 || idx.dims.length > 4 || height === 0 || width === 0 || channels === 0) {
    const hint =
      idx.dims.length === 1
        ? 'this looks like a labels file given as images'
        : 'every dimension must be at least 1';
    throw new DatasetError(
      `${idx.file}: images must have dimensions [count, height, width] or [count, height, width, channels], found [${idx.dims.join(', ')}]`,
      { hint },
    );
  }
  return { images: idx.data, count: count!, height: height!, width: width!, channels };
}

/** Labels: one integer per example (dimensions [n]); unsigned or signed byte, short or int. */
export function idxLabels(idx: IdxArray): Uint8Array | Uint16Array {
  if (idx.dims.length !== 1) {
    throw new DatasetError(
      `${idx.file}: labels must have one dimension [count], found [${idx.dims.join(', ')}]`,
      { hint: 'is this an images file given as labels?' },
    );
  }
  const count = idx.dims[0]!;
  if (idx.type === 0x08) return idx.data;
  if (idx.type === 0x0d || idx.type === 0x0e) {
    throw new DatasetError(
      `${idx.file}: labels must be integers, found ${IDX_TYPES[idx.type].name} values`,
    );
  }
  const view = new DataView(idx.data.buffer, idx.data.byteOffset, idx.data.byteLength);
  const size = IDX_TYPES[idx.type].size;
  let max = 0;
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v =
      size === 1 ? view.getInt8(i) : size === 2 ? view.getInt16(i * 2) : view.getInt32(i * 4);
    if (v < 0) {
      throw new DatasetError(`${idx.file}: label ${v} at index ${i} is negative`, {
        hint: 'class labels are 0, 1, 2, ...',
      });
    }
    values[i] = v;
    if (v > max) max = v;
  }
  if (max > 0xffff) {
    throw new DatasetError(`${idx.file}: label ${max} is too large (at most 65,535 classes)`);
  }
  return max <= 0xff ? Uint8Array.from(values) : Uint16Array.from(values);
}
