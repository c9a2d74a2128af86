/**
 * One exit point: `runner --help` and the README document the exit codes, and no
 * file but `src/cli/main.ts` ends the process or touches its streams and signals.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from './cli-host.js';

const ROOT = join(import.meta.dirname, '../..');
const CODES = ['0', '1', '2', '70', '130'];

describe('exit codes', () => {
  it('lists every exit code and its meaning in runner --help', async () => {
    const { code, stdout } = await runInProcess(['--help'], { cwd: ROOT });
    expect(code).toBe(0);
    const section = stdout.slice(stdout.indexOf('\nExit codes:\n'));
    expect(section.length).toBeGreaterThan(0);
    const listed = [...section.matchAll(/^ {2}(\d+) +\S.*$/gm)].map((m) => m[1]);
    expect(listed).toEqual(CODES);
  });

  it('documents the same codes in the README', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Exit codes\n');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const rows = [...section.matchAll(/^- `(\d+)`: \S.*$/gm)].map((m) => m[1]);
    expect(rows).toEqual(CODES);
  });
});

describe('the process belongs to src/cli/main.ts', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(join(dir, entry.name))
        : /\.[cm]?[jt]s$/.test(entry.name)
          ? [join(dir, entry.name)]
          : [],
    );
  // What only the entry point may do: end the process, set its exit code, read its
  // stdin or TTY, or handle its signals.
  const OWNED = /process\.(exit\b|exitCode|stdin|on\(\s*'SIG|once\(\s*'SIG)/;

  it('has no process.exit, exit code, stdin or signal handler anywhere else in src/', async () => {
    const offenders = files(join(ROOT, 'src'))
      .filter((file) => relative(ROOT, file) !== join('src', 'cli', 'main.ts'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(ROOT, file)}:${i + 1}` }))
          .filter(({ line }) => OWNED.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});
