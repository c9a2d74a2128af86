import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ImageSplit } from '../dataset.js';

/** Bump when the layout or the decoding changes: old entries are then never read. */
const CACHE_VERSION = 1;
const MAGIC = 0x474d4952; // "RIMG" little-endian

/** What a cache entry holds besides the pixels. */
export interface CachedFacts {
  readonly classes: readonly string[];
  /** Per example, its file relative to the split folder. */
  readonly files: readonly string[];
  /** Files skipped as bad (with `skipBadFiles`), `name: reason`. */
  readonly skipped: readonly string[];
}

export interface CacheEntry extends CachedFacts {
  readonly split: ImageSplit;
}

/**
 * The cache key: every input that decides the decoded bytes (file paths,
 * sizes and modification times, the decoding target, the cache version).
 * A changed, added or removed file gives another key, so it is decoded again.
 */
export function cacheKey(parts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: CACHE_VERSION, parts }))
    .digest('hex')
    .slice(0, 32);
}

/** The cached entry for `key`, or undefined when there is none (or it is unreadable). */
export function readCache(dir: string, key: string): CacheEntry | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(join(dir, `${key}.bin`));
  } catch {
    return undefined;
  }
  if (raw.length < 8 || raw.readUInt32LE(0) !== MAGIC) return undefined;
  const headerLength = raw.readUInt32LE(4);
  const header = JSON.parse(raw.subarray(8, 8 + headerLength).toString('utf8')) as CachedFacts & {
    count: number;
    height: number;
    width: number;
    channels: number;
    labelBytes: 1 | 2;
  };
  const pixelsStart = 8 + headerLength;
  const pixelBytes = header.count * header.height * header.width * header.channels;
  const labelsStart = pixelsStart + pixelBytes;
  if (raw.length !== labelsStart + header.count * header.labelBytes) return undefined;
  // One copy into aligned, owned memory (the file buffer may be a pooled slice).
  const images = new Uint8Array(raw.subarray(pixelsStart, labelsStart));
  const labelBytes = raw.subarray(labelsStart);
  const labels =
    header.labelBytes === 1
      ? new Uint8Array(labelBytes)
      : new Uint16Array(new Uint8Array(labelBytes).buffer);
  return {
    split: {
      images,
      labels,
      count: header.count,
      height: header.height,
      width: header.width,
      channels: header.channels,
    },
    classes: header.classes,
    files: header.files,
    skipped: header.skipped,
  };
}

/** Writes the entry (to a temporary file, then renamed: a reader never sees half an entry). */
export function writeCache(dir: string, key: string, entry: CacheEntry): void {
  mkdirSync(dir, { recursive: true });
  const { split } = entry;
  const labelBytes = split.labels instanceof Uint8Array ? 1 : 2;
  const header = Buffer.from(
    JSON.stringify({
      count: split.count,
      height: split.height,
      width: split.width,
      channels: split.channels,
      labelBytes,
      classes: entry.classes,
      files: entry.files,
      skipped: entry.skipped,
    }),
    'utf8',
  );
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(header.length, 4);
  const labels = new Uint8Array(
    split.labels.buffer,
    split.labels.byteOffset,
    split.labels.byteLength,
  );
  const path = join(dir, `${key}.bin`);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    // Piece by piece: no second copy of the pixels in memory.
    const fd = openSync(temporary, 'w');
    try {
      for (const piece of [prefix, header, split.images, labels]) writeAll(fd, piece);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
