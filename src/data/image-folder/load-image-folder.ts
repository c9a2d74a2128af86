import { DatasetError } from '../../errors.js';
import type { ImageSplit } from '../dataset.js';
import { createRandom, shuffleInPlace } from '../random.js';
import { BadImage, decodeImageInto, readImageHeader, type DecodeTarget } from './decode-image.js';
import { cacheKey, readCache, writeCache } from './image-cache.js';
import { listImageFolder, type FolderFile } from './list-image-folder.js';

/** How to turn a folder of images into a split. */
export interface ImageFolderOptions {
  /** `train` or `test`: the config key, for messages (`data.train.dir`). */
  readonly key: 'train' | 'test';
  /** [height, width] to resize to; undefined: every image must have the same size. */
  readonly size: readonly [number, number] | undefined;
  /**
   * With no `size`: the size every image must already have (a test folder
   * must match the training images). Undefined: the first file's.
   */
  readonly requireSize?: readonly [number, number];
  /** undefined: 1 when every image is grey, else 3. */
  readonly channels: 1 | 3 | 4 | undefined;
  /** Skip unreadable, non-image and wrong-size files (counted), instead of failing. */
  readonly skipBadFiles: boolean;
  /**
   * The training split's classes, for a test folder: its class folders must be
   * among them and get their indices. Undefined for the training folder.
   */
  readonly classes: readonly string[] | undefined;
  /** Folder of decoded caches; undefined: no cache. */
  readonly cacheDir: string | undefined;
  /** Files decoded at the same time. */
  readonly concurrency?: number;
}

export interface ImageFolderSplit {
  readonly split: ImageSplit;
  /** The class names by index (the training split's, for a test folder). */
  readonly classes: readonly string[];
  /** Per example, its file relative to the folder (`cat/001.png`). */
  readonly files: readonly string[];
  /** Bad files skipped (`name: reason`), when `skipBadFiles`. */
  readonly skipped: readonly string[];
  readonly fromCache: boolean;
  /** Set when the cache could not be written: the caller says so. */
  readonly cacheProblem: string | undefined;
}

/** How many bad files a message lists before "and N more". */
const LISTED = 10;

/**
 * Loads a folder with one subfolder per class into uint8 NHWC images, in a
 * fixed pseudo-random order (so a validation split drawn from the end holds
 * every class), decoded once and cached on disk by paths, sizes and times.
 *
 * @example
 * const train = await loadImageFolder('data/pets/train', { key: 'train', size: [64, 64], channels: 3,
 *   skipBadFiles: false, classes: undefined, cacheDir: '/home/me/.cache/runner/image-folders' });
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions,
): Promise<ImageFolderSplit> {
  const listing = listImageFolder(dir, options.key);
  const classes = options.classes ?? listing.classes;
  const classIndex = mapClasses(dir, listing.classes, options.classes);
  const key = cacheKey({
    dir,
    size: options.size ?? null,
    channels: options.channels ?? null,
    skipBadFiles: options.skipBadFiles,
    classes,
    files: listing.files.map((f) => [f.name, f.bytes, f.mtimeMs]),
  });
  if (options.cacheDir !== undefined) {
    const cached = readCache(options.cacheDir, key);
    if (cached !== undefined) {
      return { ...cached, classes, fromCache: true, cacheProblem: undefined };
    }
  }
  const files = shuffled(listing.files);
  const { target, bad } = await chooseTarget(files, options);
  const decoded = await decodeAll(files, target, options, bad);
  const problems = [...bad.entries()].map(([file, reason]) => `${file.path}: ${reason}`);
  if (problems.length > 0 && !options.skipBadFiles) throw badFilesError(problems, options.key);
  const kept = files.filter((f) => !bad.has(f));
  checkClassesKept(dir, listing.classes, kept);
  const split = compact(decoded, files, kept, target, classIndex, classes.length);
  const entry = {
    split,
    classes,
    files: kept.map((f) => f.name),
    skipped: problems,
  };
  let cacheProblem: string | undefined;
  if (options.cacheDir !== undefined) {
    try {
      writeCache(options.cacheDir, key, entry);
    } catch (error) {
      cacheProblem = `could not write the decoded-image cache in ${options.cacheDir} (${(error as Error).message}); the folder will be decoded again next time`;
    }
  }
  return { ...entry, fromCache: false, cacheProblem };
}

/** Folder class index → the split's class index. */
function mapClasses(
  dir: string,
  found: readonly string[],
  trainClasses: readonly string[] | undefined,
): readonly number[] {
  if (trainClasses === undefined) return found.map((_, i) => i);
  return found.map((name) => {
    const index = trainClasses.indexOf(name);
    if (index < 0) {
      throw new DatasetError(
        `${dir}/${name}: class "${name}" is in the test folder but not in the training folder`,
        { hint: `the training classes are: ${trainClasses.join(', ')}` },
      );
    }
    return index;
  });
}

/** A fixed order, the same on every machine and for every seed: decoded caches stay valid. */
function shuffled(files: readonly FolderFile[]): FolderFile[] {
  const order = new Uint32Array(files.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  shuffleInPlace(order, createRandom(0x1f01de5));
  return Array.from(order, (i) => files[i]!);
}

/**
 * The size and channels every image is decoded to: the options where given;
 * otherwise read from the headers (one size for all, else the odd files are bad;
 * 1 channel when every image is grey, else 3).
 */
async function chooseTarget(
  files: readonly FolderFile[],
  options: ImageFolderOptions,
): Promise<{ target: DecodeTarget; bad: Map<FolderFile, string> }> {
  const bad = new Map<FolderFile, string>();
  const size = options.size;
  const channels = options.channels;
  if (size !== undefined && channels !== undefined) {
    // Known target: no header pass; decoding finds the bad files.
    return {
      target: { height: size[0], width: size[1], channels, resize: true },
      bad,
    };
  }
  const headers = await mapLimited(files, options.concurrency ?? 8, async (file) => {
    try {
      return await readImageHeader(file.path);
    } catch (error) {
      if (!(error instanceof BadImage)) throw error;
      bad.set(file, error.message);
      return undefined;
    }
  });
  // Sorted by name, the first readable file sets the size: messages then name the odd ones.
  const byName = files
    .map((file, i) => ({ file, header: headers[i] }))
    .sort((a, b) => (a.file.path < b.file.path ? -1 : 1));
  const first = byName.find((e) => e.header !== undefined);
  if (first === undefined) {
    throw badFilesError(
      [...bad.entries()].map(([f, r]) => `${f.path}: ${r}`),
      options.key,
    );
  }
  const required = options.requireSize;
  const height = size?.[0] ?? required?.[0] ?? first.header!.height;
  const width = size?.[1] ?? required?.[1] ?? first.header!.width;
  if (size === undefined) {
    const other = required === undefined ? `${first.file.name} is` : 'the training images are';
    for (const { file, header } of byName) {
      if (header === undefined) continue;
      if (header.height !== height || header.width !== width) {
        bad.set(
          file,
          `the image is ${header.height}x${header.width} (height x width), but ${other} ${height}x${width}; set data.image.size to resize them all`,
        );
      }
    }
  }
  const colour = byName.some((e) => e.header !== undefined && e.header.colours > 1);
  return {
    target: { height, width, channels: channels ?? (colour ? 3 : 1), resize: size !== undefined },
    bad,
  };
}

async function decodeAll(
  files: readonly FolderFile[],
  target: DecodeTarget,
  options: ImageFolderOptions,
  bad: Map<FolderFile, string>,
): Promise<Uint8Array> {
  const size = target.height * target.width * target.channels;
  const pixels = new Uint8Array(files.length * size);
  await mapLimited(files, options.concurrency ?? 8, async (file, i) => {
    if (bad.has(file)) return;
    try {
      await decodeImageInto(file.path, target, pixels.subarray(i * size, (i + 1) * size));
    } catch (error) {
      if (!(error instanceof BadImage)) throw error;
      bad.set(file, error.message);
    }
  });
  return pixels;
}

function checkClassesKept(
  dir: string,
  found: readonly string[],
  kept: readonly FolderFile[],
): void {
  const counts = new Array<number>(found.length).fill(0);
  for (const file of kept) counts[file.classIndex]! += 1;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) {
    throw new DatasetError(
      `${dir}/${found[empty]}: every file of class "${found[empty]}" was skipped as bad`,
      { hint: 'fix the files of this class, or remove its folder' },
    );
  }
}

/** The kept images, packed; labels as class indices. */
function compact(
  pixels: Uint8Array,
  files: readonly FolderFile[],
  kept: readonly FolderFile[],
  target: DecodeTarget,
  classIndex: readonly number[],
  numClasses: number,
): ImageSplit {
  const size = target.height * target.width * target.channels;
  const labels = numClasses <= 256 ? new Uint8Array(kept.length) : new Uint16Array(kept.length);
  let images = pixels;
  if (kept.length !== files.length) {
    images = new Uint8Array(kept.length * size);
    const keptSet = new Set(kept);
    let out = 0;
    files.forEach((file, i) => {
      if (!keptSet.has(file)) return;
      images.set(pixels.subarray(i * size, (i + 1) * size), out * size);
      out++;
    });
  }
  kept.forEach((file, i) => {
    labels[i] = classIndex[file.classIndex]!;
  });
  return {
    images,
    labels,
    count: kept.length,
    height: target.height,
    width: target.width,
    channels: target.channels,
  };
}

function badFilesError(problems: readonly string[], key: string): DatasetError {
  const hint = 'fix or remove them, or set data.skipBadFiles: true to train without them';
  if (problems.length === 1) {
    return new DatasetError(`${problems[0]} (in data.${key}.dir; nothing trained)`, { hint });
  }
  const listed = problems.slice(0, LISTED);
  const more = problems.length - listed.length;
  return new DatasetError(
    `${problems.length} bad files in data.${key}.dir, nothing trained:\n  ${listed.join('\n  ')}${more > 0 ? `\n  ... and ${more} more` : ''}`,
    { hint },
  );
}

/** Runs `work` over `items` with at most `limit` at a time; results in item order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
