/**
 * `runner serve` as a user runs it: `node dist/cli/main.js serve` (npm test
 * builds first), stopped with SIGTERM as Ctrl-C would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStore, makeTempDir, recordRun } from '../test-kit.js';
import { getJson } from './http-client.js';

const MAIN = join(process.cwd(), 'dist/cli/main.js');

describe('runner serve', () => {
  const temp = makeTempDir('serve');
  let dbPath: string;

  beforeAll(async () => {
    if (!existsSync(MAIN))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const made = await makeStore(temp.dir);
    dbPath = made.path;
    await recordRun(made.store, { name: 'served', steps: 10 });
    await made.store.close();
  });
  afterAll(() => temp.remove());

  /** Starts `runner serve`, resolves with its first stdout line (the URL). */
  function serve(
    args: readonly string[],
  ): Promise<{ url: string; stop: () => Promise<{ code: number | null; stderr: string }> }> {
    const child = spawn(process.execPath, [MAIN, 'serve', ...args], {
      cwd: temp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (url) =>
        resolve({
          url,
          stop: async () => {
            child.kill('SIGTERM');
            return { code: await exited, stderr };
          },
        }),
      );
      void exited.then((code) =>
        reject(new Error(`serve exited (${code}) before printing its URL: ${stderr}`)),
      );
    });
  }

  function runSync(args: readonly string[]): {
    code: number | null;
    stdout: string;
    stderr: string;
  } {
    const r = spawnSync(process.execPath, [MAIN, 'serve', ...args], {
      cwd: temp.dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('prints the URL, serves the store read-only and stops cleanly on SIGTERM', async () => {
    const server = await serve(['--db', dbPath, '--port', '0']);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = Number(new URL(server.url).port);
    const runs = await getJson<{ runs: { name: string }[] }>(port, '/api/runs');
    expect(runs.body.runs.map((r) => r.name)).toEqual(['served']);
    const { code, stderr } = await server.stop();
    expect(code).toBe(0);
    expect(stderr).toContain(`store ${dbPath}, read-only`);
  });

  it('starts before the store exists and says so', async () => {
    const server = await serve(['--db', join(temp.dir, 'later.db'), '--port', '0']);
    const { code, stderr } = await server.stop();
    expect(code).toBe(0);
    expect(stderr).toMatch(/no store at .*later\.db yet/);
  });

  it('says when the port is taken and suggests --port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = runSync(['--db', dbPath, '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: port ${port} on 127.0.0.1 is already in use\n  hint: is another dashboard running? pick a free port with --port ${port + 1} (or --port 0 for any)\n`,
      );
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('refuses a file that is not a runner store, and a bad --port', async () => {
    const notes = join(temp.dir, 'notes.txt');
    writeFileSync(notes, 'not a database\n'.repeat(100));
    const r = runSync(['--db', notes, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*notes\.txt/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const bad = runSync(['--db', dbPath, '--port', 'http']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: --port: expected a port number from 0 to 65535, found "http"/,
    );
  });
});
