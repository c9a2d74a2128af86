import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { BIN, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('read-only-store');
afterAll(() => {
  chmodSync(join(ws.dir, 'store'), 0o755);
  ws.remove();
});

// Root writes through any mode: as root the CLI runs as user nobody (setpriv), else as we are.
const root = process.getuid?.() === 0;
const setpriv = root && spawnSync('setpriv', ['--version']).status === 0;
const missing =
  root && !setpriv ? 'setpriv (util-linux), to run as a user without write access' : undefined;
if (missing && process.env['CI'] === 'true') throw new Error(`CI=true but missing: ${missing}`);
if (missing) console.warn(`skipped: read-only store tests need ${missing}`);

function asReader(args: readonly string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const command = setpriv
    ? [
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args],
      ]
    : [process.execPath, [BIN, ...args]];
  const result = spawnSync(command[0] as string, command[1] as string[], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { ...process.env, RUNNER_DB: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(missing !== undefined)('a store on a read-only path', () => {
  it('is refused in one line that says read-only, not "not a runner store", before training', async () => {
    const file = ws.write('tiny.yaml', syntheticConfig({ train: 64, test: 32, epochs: 1 }));
    const db = join(ws.dir, 'store', 'runs.db');
    expect((await runCli(['exp', file, '--db', db, '--quiet'], ws.dir)).code).toBe(0);
    chmodSync(ws.dir, 0o755); // the reader may read the config and see the store
    chmodSync(db, 0o444);
    chmodSync(join(ws.dir, 'store'), 0o555);
    const exp = asReader(['exp', file, '--db', db]);
    expect(exp.code).toBe(1);
    expect(exp.stderr.split('\n')[0]).toBe(
      `error: the run store ${db} is read-only (the file is not writable by this user), and this command writes to it`,
    );
    expect(exp.stdout).not.toMatch(/epoch/);
    const query = asReader(['query', 'select count(*) from runs', '--db', db]);
    expect(query.code).toBe(1);
    expect(query.stderr.split('\n')[0]).toMatch(
      new RegExp(`^error: cannot read the run store ${db.replace(/[.]/g, '\\.')}: it is read-only`),
    );
    for (const r of [exp, query]) {
      expect(r.stderr).not.toContain('not a runner store');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
