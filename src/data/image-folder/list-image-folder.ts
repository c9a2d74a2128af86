import { readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { DatasetError } from '../../errors.js';

/** One file found in a class folder, with what the cache key needs. */
export interface FolderFile {
  /** Absolute path. */
  readonly path: string;
  /** `<class>/<file>`, relative to the split's folder: names the file in messages and the cache. */
  readonly name: string;
  readonly classIndex: number;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export interface FolderListing {
  readonly dir: string;
  /** Class folder names, sorted (code-point order, as Python's sorted()). */
  readonly classes: readonly string[];
  readonly files: readonly FolderFile[];
}

/**
 * The class folders of `dir` and the files in each (subfolders included),
 * sorted by name. Hidden entries (`.DS_Store`, `.git`) are ignored. A file
 * directly in `dir`, an empty class folder, or a folder without class
 * folders is a DatasetError naming it.
 */
export function listImageFolder(dir: string, key: string): FolderListing {
  const stats = statOrThrow(dir, key);
  if (!stats.isDirectory()) {
    throw new DatasetError(`${dir}: data.${key}.dir is not a folder`, {
      hint: 'give a folder with one subfolder of images per class',
    });
  }
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => compareNames(a.name, b.name));
  const stray = entries.find((e) => !e.isDirectory());
  if (stray !== undefined) {
    throw new DatasetError(
      `${join(dir, stray.name)}: a file directly in data.${key}.dir, outside any class folder`,
      { hint: 'put each image in the subfolder named after its class, or remove the file' },
    );
  }
  if (entries.length === 0) {
    throw new DatasetError(`${dir}: no class folders in data.${key}.dir`, {
      hint: 'make one subfolder per class (the folder name is the class) with its images inside',
    });
  }
  const classes = entries.map((e) => e.name);
  const files: FolderFile[] = [];
  classes.forEach((className, classIndex) => {
    const classDir = join(dir, className);
    const found = walkFiles(classDir);
    if (found.length === 0) {
      throw new DatasetError(`${classDir}: class folder "${className}" has no files`, {
        hint: 'add images of the class, or remove the empty folder',
      });
    }
    for (const path of found) {
      const fileStats = statOrThrow(path, key);
      files.push({
        path,
        name: relative(dir, path),
        classIndex,
        bytes: fileStats.size,
        mtimeMs: fileStats.mtimeMs,
      });
    }
  });
  return { dir, classes, files };
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(path));
    else out.push(path);
  }
  return out;
}

function statOrThrow(path: string, key: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(
      code === 'ENOENT'
        ? `${path}: no such folder (data.${key}.dir)`
        : `${path}: cannot read (${code ?? String(error)})`,
      { hint: 'check the path; relative paths are taken from the current directory', cause: error },
    );
  }
}

/** Code-point order, independent of the locale: the same class indices on every machine. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
