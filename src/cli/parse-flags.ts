import { UsageError } from '../errors.js';
import type { OutputFormat } from './render.js';

/** `12 13 14` → ids; anything but a positive integer is a usage error naming it. */
export function parseRunIds(values: readonly string[], what = 'run id'): number[] {
  return values.map((value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
      throw new UsageError(`"${value}" is not a ${what}: expected a positive integer such as 12`, {
        hint: 'see the ids with `runner runs ls`',
      });
    }
    return n;
  });
}

/** A commander parser for a whole-number flag. */
export function parsePositiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw new UsageError(`${flag}: expected a whole number, found "${value}"`);
    }
    return n;
  };
}

/** `--json` / `--csv` / neither; both is a usage error. */
export function outputFormat(opts: { json?: boolean; csv?: boolean }): OutputFormat {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: choose one output format');
  return opts.json ? 'json' : opts.csv ? 'csv' : 'table';
}

/** `--port`: 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new UsageError(`--port: expected a port number from 0 to 65535, found "${text}"`, {
      hint: 'e.g. --port 6007, or --port 0 for any free port',
    });
  }
  return port;
}

/**
 * Tags from the command line, each checked (one word) and deduplicated; a bad one is one
 * line naming where it came from (`--tag`, `runs tag`).
 */
export async function parseTags(tags: readonly string[], where: string): Promise<string[]> {
  const { tagProblem } = await import('../store/index.js');
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem !== undefined) {
      throw new UsageError(`${where} "${tag}": ${problem}`, {
        hint: 'e.g. baseline, lr-sweep, bn/fix-2',
      });
    }
  }
  return [...new Set(tags)];
}
