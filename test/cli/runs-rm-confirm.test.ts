/**
 * `runner runs rm` asks the person at the terminal first. stdin and whether it is a
 * terminal come through the command context, so this runs in-process, without a
 * pseudo-terminal, on a real store.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';
import { runInProcess } from './cli-host.js';

let dir: string;
let cleanup: () => void;
let db: string;
let id: number;

beforeEach(async () => {
  ({ dir, remove: cleanup } = makeTempDir('rm-confirm'));
  db = join(dir, 'runs', 'runner.db');
  const store = await openStore(db);
  id = await store.createRun(newRun({ name: 'keep-or-not' }));
  const artifacts = join(dir, 'runs', String(id));
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, 'model.json'), '{}');
  await store.setRunFacts(id, { artifactsDir: artifacts });
  await store.finishRun(id, { status: 'completed' });
  await store.close();
});
afterEach(() => cleanup());

const runCount = (): number => {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare('SELECT count(*) FROM runs').pluck().get() as number;
  } finally {
    sql.close();
  }
};

const rm = (stdin: string, stdinTTY = true) =>
  runInProcess(['runs', 'rm', String(id), '--db', db], { cwd: dir, stdin, stdinTTY });

describe('runner runs rm at a terminal', () => {
  it('asks, and on "n" deletes nothing and exits 1', async () => {
    const { code, stdout, stderr } = await rm('n\n');
    expect(stderr).toBe(
      `delete run ${id} (keep-or-not, completed) from ${db}? [y/N]\nnothing deleted\n`,
    );
    expect(stdout).toBe('');
    expect(code).toBe(1);
    expect(runCount()).toBe(1);
    expect(existsSync(join(dir, 'runs', String(id)))).toBe(true);
  });

  it('on "yes" deletes the run and its artifacts folder and exits 0', async () => {
    const { code, stdout } = await rm('yes\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^deleted 1 run: ${id} \\(keep-or-not, completed\\); removed `),
    );
    expect(runCount()).toBe(0);
    expect(existsSync(join(dir, 'runs', String(id)))).toBe(false);
  });

  it('takes the end of input (Ctrl-D) as no, without hanging', async () => {
    const { code, stderr } = await rm('');
    expect(stderr).toMatch(/nothing deleted\n$/);
    expect(code).toBe(1);
    expect(runCount()).toBe(1);
  });

  it('refuses to ask when stdin is not a terminal, even with an answer waiting', async () => {
    const { code, stderr } = await rm('y\n', false);
    expect(stderr).toBe(
      'error: refusing to delete 1 run without confirmation (stdin is not a terminal)\n' +
        '  hint: add --yes to delete without asking\n',
    );
    expect(code).toBe(1);
    expect(runCount()).toBe(1);
  });
});
