import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
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
    const tag = asReader(['runs', 'tag', '1', 'kept', '--db', db]);
    expect(tag.code).toBe(1);
    expect(tag.stderr.split('\n')[0]).toMatch(/is read-only .*, and this command writes to it$/);
    for (const r of [exp, tag]) {
      expect(r.stderr).not.toContain('not a runner store');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('is read by the reading commands, which say it is read-only', () => {
    const db = join(ws.dir, 'store', 'runs.db');
    const said = `note: the run store ${db} is read-only (the file is not writable by this user): read from a copy in memory`;
    const ls = asReader(['runs', 'ls', '--db', db]);
    expect(ls.stderr).toBe(''.concat(said, '\n'));
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^\s*1 +synthetic-e2e +completed /m);
    const show = asReader(['runs', 'show', '1', '--db', db]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('completed');
    const query = asReader(['query', 'select count(*) as n from runs', '--db', db, '--json']);
    expect(query.code).toBe(0);
    expect(query.stdout).toContain('"n":2');
    const compare = asReader(['compare', '1', '2', '--db', db]);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/synthetic-e2e/);
    for (const r of [ls, show, query, compare]) expect(r.stderr).toContain(said);
    // Nothing was written beside it.
    expect(readdirSync(join(ws.dir, 'store')).filter((f) => f.startsWith('runs.db'))).toEqual([
      'runs.db',
    ]);
  });

  it('is served by the dashboard, which says it is read-only and serves its runs', async () => {
    const db = join(ws.dir, 'store', 'runs.db');
    const args = [BIN, 'serve', '--db', db, '--port', '0'];
    const child = setpriv
      ? spawn(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args],
          {
            cwd: ws.dir,
            env: { ...process.env, RUNNER_DB: '' },
          },
        )
      : spawn(process.execPath, args, { cwd: ws.dir, env: { ...process.env, RUNNER_DB: '' } });
    let stderr = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = /^dashboard: (http:\/\/\S+)/m.exec(stderr);
          if (found && stderr.includes('press Ctrl-C')) resolve(found[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited (${code}):\n${stderr}`)));
      });
      expect(stderr).toContain(
        `note: the run store ${db} is read-only (the file is not writable by this user): read from a copy in memory`,
      );
      const runs = (await (await fetch(`${url}api/runs`)).json()) as { runs: unknown[] };
      expect(runs.runs).toHaveLength(2);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
