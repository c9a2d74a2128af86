/**
 * `runner validate --json`: every problem of every file as data an editor can place
 * (code, message, file, line, column, path, hint), and the usual exit code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticConfig } from '../e2e/cli-kit.js';
import { makeTempDir } from '../test-kit.js';
import { runInProcess } from './cli-host.js';

let dir: string;
let cleanup: () => void;
let badText = '';
/** 1-based line and column of `text` in the bad config. */
const where = (text: string): { line: number; column: number } => {
  const lines = badText.split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  return { line: line + 1, column: lines[line]!.indexOf(text) + 1 };
};

beforeAll(() => {
  ({ dir, remove: cleanup } = makeTempDir('validate-json'));
  writeFileSync(join(dir, 'good.yaml'), syntheticConfig());
  // `dataset` is misspelt, and a dense layer has a negative width.
  badText = syntheticConfig()
    .replace('  dataset: synthetic', '  datset: synthetic')
    .replace('dense: {units: 16, activation: relu}', 'dense: {units: -16, activation: relu}');
  writeFileSync(join(dir, 'bad.yaml'), badText);
});
afterAll(() => cleanup());

interface DiagnosticJson {
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  path: string;
  hint: string | null;
}
interface ValidationJson {
  valid: boolean;
  files: { file: string; valid: boolean; diagnostics: DiagnosticJson[] }[];
}

describe('runner validate --json', () => {
  it('prints each file with its located problems, and exits 2 when one is invalid', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['validate', 'good.yaml', 'bad.yaml', 'missing.yaml', '--json'],
      { cwd: dir },
    );
    expect(stderr).toBe('');
    expect(code).toBe(2);
    const result = JSON.parse(stdout) as ValidationJson;
    expect(result.valid).toBe(false);
    expect(result.files.map((f) => [f.file, f.valid])).toEqual([
      ['good.yaml', true],
      ['bad.yaml', false],
      ['missing.yaml', false],
    ]);
    expect(result.files[0]!.diagnostics).toEqual([]);

    const bad = result.files[1]!.diagnostics;
    for (const d of bad)
      expect(Object.keys(d).sort()).toEqual([
        'code',
        'column',
        'file',
        'hint',
        'line',
        'message',
        'path',
      ]);
    const unknown = bad.find((d) => d.code === 'unknown-key');
    expect(unknown).toMatchObject({ file: 'bad.yaml', ...where('datset'), path: 'data' });
    expect(unknown!.message).toContain('"datset"');
    expect(unknown!.hint).toContain('dataset');
    const units = bad.find((d) => d.path.endsWith('dense.units'));
    expect(units).toMatchObject({ file: 'bad.yaml', line: where('units: -16').line });
    expect(units!.column).toBeGreaterThan(where('dense:').column);

    const [missing] = result.files[2]!.diagnostics;
    expect(missing).toMatchObject({
      code: 'config-not-found',
      file: null,
      line: null,
      column: null,
    });
  });

  it('prints valid: true and exits 0 when every file is valid', async () => {
    const { code, stdout } = await runInProcess(['validate', 'good.yaml', '--json'], { cwd: dir });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      valid: true,
      files: [{ file: 'good.yaml', valid: true, diagnostics: [] }],
    });
  });

  it('prints the same problems compiler-style without --json', async () => {
    const { code, stdout, stderr } = await runInProcess(['validate', 'bad.yaml'], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const { line, column } = where('datset');
    expect(stderr).toMatch(
      new RegExp(`^bad\\.yaml:${line}:${column} error unknown-key: data: `, 'm'),
    );
  });
});
