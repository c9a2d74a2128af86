import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

// A real full file system: a tiny tmpfs, which only root (or CAP_SYS_ADMIN) can mount.
const ws = makeTempDir('disk-full');
const mounts: string[] = [];
afterAll(() => {
  for (const point of mounts) spawnSync('umount', [point]);
  ws.remove();
});

function mountTmpfs(name: string, kilobytes: number): string {
  const point = join(ws.dir, name);
  mkdirSync(point, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'none', point], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`mount failed: ${result.stderr}`);
  mounts.push(point);
  return point;
}

const missing = (() => {
  if (process.platform !== 'linux') return 'Linux, to mount a tiny tmpfs';
  try {
    mountTmpfs('probe', 64);
    return undefined;
  } catch {
    return 'root (or CAP_SYS_ADMIN), to mount a tiny tmpfs that fills up';
  }
})();
if (missing && process.env['CI'] === 'true') throw new Error(`CI=true but missing: ${missing}`);
if (missing) console.warn(`skipped: disk-full tests need ${missing}`);

/** Every file and folder under `dir`, relative. */
function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

/** Fills the file system of `dir` but for about `leaveKb` kilobytes. */
function fill(dir: string, leaveKb: number): void {
  const free = spawnSync('df', ['-k', '--output=avail', dir], { encoding: 'utf8' });
  const availKb = Number(free.stdout.trim().split('\n').at(-1));
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, availKb - leaveKb) * 1024));
}

/** A dense layer of 512 on 144 inputs: weights of about 300 KB, more than the tmpfs holds. */
const BIG_WEIGHTS = syntheticConfig({ train: 512, test: 64, epochs: 2 }).replace(
  '    - dense: {units: 16, activation: relu}',
  '    - dense: {units: 512, activation: relu}',
);

function runRow(db: string): { status: string; error: string | null; points: number } {
  return readStore(db, (sql) => ({
    ...(sql.prepare('SELECT status, error FROM runs WHERE id = 1').get() as {
      status: string;
      error: string | null;
    }),
    points: (
      sql.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = 1').get() as { n: number }
    ).n,
  }));
}

function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toContain('internal error');
  expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // the line and its hint
}

describe.skipIf(missing !== undefined)('a full disk', () => {
  it('while the best checkpoint is written: one line naming it, the run failed, its metrics kept, no temporary folder', async () => {
    const artifacts = mountTmpfs('artifacts', 200);
    const file = ws.write('big.yaml', BIG_WEIGHTS);
    const db = join(ws.dir, 'a', 'runs.db');
    const result = await runCli(['exp', file, '--db', db, '--quiet'], ws.dir, {
      RUNNER_ARTIFACTS: artifacts,
    });
    expect(result.code).toBe(1);
    const line = result.stderr.split('\n')[0]!;
    expect(line).toMatch(
      new RegExp(
        `^error: disk full at ${artifacts}/[0-9a-f]+/1/checkpoint-best: run 1 stopped; the run is marked failed, with the metrics it wrote before$`,
      ),
    );
    expect(result.stderr).toContain('runner exp --resume 1');
    expectOneLine(result.stderr);
    const row = runRow(db);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^disk full at .*checkpoint-best$/);
    // The first epoch's steps (512 / 32) and its evaluation reached the store before the save.
    expect(row.points).toBeGreaterThanOrEqual(16);
    expect(listAll(artifacts).filter((f) => f.includes('.tmp'))).toEqual([]);
    const ls = await runCli(['runs', 'ls', '--db', db], ws.dir);
    expect(ls.stdout).toMatch(/ 1 .* failed /);
  }, 120_000);

  it('under the store itself while it trains: one line naming the store, the metrics before it kept', async () => {
    const disk = mountTmpfs('store', 256);
    // A small model and many steps: the store's log of points, not a weights file, fills the disk.
    const file = ws.write(
      'long.yaml',
      syntheticConfig({ train: 4096, test: 32, batchSize: 4, epochs: 20 }),
    );
    const db = join(disk, 'runs.db');
    // Checkpoints and logs on another disk: only the store fills this one (else whichever write
    // came first, a checkpoint's or the store's, met the full disk).
    const result = await runCli(['exp', file, '--db', db, '--quiet'], ws.dir, {
      RUNNER_ARTIFACTS: join(ws.dir, 'artifacts-of-full-store'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(
      new RegExp(`^error: disk full at ${db.replace(/[.]/g, '\\.')}: run 1 stopped; `),
    );
    expectOneLine(result.stderr);
    expect(listAll(disk).filter((f) => f.includes('.tmp'))).toEqual([]);
    const row = runRow(db);
    expect(row.points).toBeGreaterThan(100);
    // Marked failed if the store took that last write, else found lost (its process is gone).
    const ls = await runCli(['runs', 'ls', '--db', db], ws.dir);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/ 1 .* (failed|lost) /);
    if (row.status === 'failed') expect(row.error).toBe(`disk full at ${db}`);
  }, 180_000);

  it('when the run is created: one line naming the store, no run left behind', async () => {
    const disk = mountTmpfs('create', 512);
    const file = ws.write('tiny.yaml', syntheticConfig({ train: 64, test: 32, epochs: 1 }));
    const db = join(disk, 'runs.db');
    expect((await runCli(['exp', file, '--db', db, '--quiet'], ws.dir)).code).toBe(0);
    fill(disk, 0);
    const result = await runCli(['exp', file, '--db', db, '--quiet'], ws.dir);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: disk full at ${db}: the run store cannot be written`,
    );
    expect(result.stderr).toContain('hint: free space on that disk');
    expectOneLine(result.stderr);
    rmSync(join(disk, 'filler')); // room again: the store is as it was
    const runs = readStore(db, (sql) => sql.prepare('SELECT id, status FROM runs').all());
    expect(runs).toEqual([{ id: 1, status: 'completed' }]);
  }, 120_000);
});
