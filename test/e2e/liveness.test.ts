import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { openStore, processStartedAt } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';
import {
  readStore,
  runCli,
  SLOW_EVAL_CONFIG,
  startCli,
  syntheticConfig,
  watchHeartbeat,
} from './cli-kit.js';

const ws = makeTempDir('liveness');
afterAll(() => ws.remove());

async function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await response.json()) as Record<string, unknown>;
}

function statuses(stdout: string): Record<number, string> {
  return Object.fromEntries(
    (JSON.parse(stdout) as { id: number; status: string }[]).map((r) => [r.id, r.status]),
  );
}

async function waitForSteps(db: string, name: string): Promise<number> {
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(db)) continue;
    const id = readStore(db, (sql) => {
      // The file may exist a moment before its tables do.
      if (!sql.prepare("select 1 from sqlite_master where name = 'runs'").get()) return undefined;
      const row = sql
        .prepare(
          "select r.id from runs r where r.name = ? and exists (select 1 from metrics m where m.run_id = r.id and m.key = 'train/loss')",
        )
        .get(name) as { id: number } | undefined;
      return row?.id;
    });
    if (id !== undefined) return id;
  }
  throw new Error(`run ${name} recorded no step in 60 s`);
}

describe('one liveness rule for the CLI and the API', () => {
  it('shows a kill -9ed run as lost, with its last step, in runs ls, runs show and the API', async () => {
    const db = `${ws.dir}/killed.db`;
    const file = ws.write(
      'long.yaml',
      syntheticConfig({ train: 20_000, batchSize: 16, epochs: 3 }),
    );
    const child = startCli(['exp', file, '--db', db, '--name', 'to-kill'], ws.dir);
    const id = await waitForSteps(db, 'to-kill');
    const dashboard = await startDashboard({ dbPath: db, port: 0 });
    try {
      // Alive: running everywhere, and rm refuses it.
      expect(
        statuses((await runCli(['runs', 'ls', '--db', db, '--json'], ws.dir)).stdout)[id],
      ).toBe('running');
      const listed = (await getJson(dashboard.port, '/api/runs')).runs as { status: string }[];
      expect(listed[0]!.status).toBe('running');
      const refused = await runCli(['runs', 'rm', String(id), '--yes', '--db', db], ws.dir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`error: run ${id} is still running (pid ${child.pid} on`);
      expect(refused.stderr).toContain('--force');

      child.kill('SIGKILL');
      await child.result;
      const lastStep = readStore(db, (sql) =>
        sql.prepare('select max(step) from metrics where run_id = ?').pluck().get(id),
      ) as number;
      expect(lastStep).toBeGreaterThan(0);
      // The row still says running: only the rule says lost.
      expect(
        readStore(db, (sql) => sql.prepare('select status from runs where id = ?').pluck().get(id)),
      ).toBe('running');
      expect(
        statuses((await runCli(['runs', 'ls', '--db', db, '--json'], ws.dir)).stdout)[id],
      ).toBe('lost');
      const shown = await runCli(['runs', 'show', String(id), '--db', db], ws.dir);
      expect(shown.stdout.split('\n')[0]).toMatch(
        new RegExp(
          `^run ${id} {2}to-kill {2}lost \\(its process is gone; last heartbeat .+, last step ${lastStep}\\)$`,
        ),
      );
      const api = (await getJson(dashboard.port, '/api/runs')).runs as Record<string, unknown>[];
      expect(api[0]).toMatchObject({ id, status: 'lost', recordedStatus: 'running', lastStep });
      const detail = (await getJson(dashboard.port, `/api/runs/${id}`)).run as Record<
        string,
        unknown
      >;
      expect(detail).toMatchObject({ status: 'lost', lastStep });
      // A lost run is deleted without --force.
      expect((await runCli(['runs', 'rm', String(id), '--yes', '--db', db], ws.dir)).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await dashboard.close();
    }
  });

  it('tells a pid reused by another process from the run, and rm --force deletes what looks alive', async () => {
    const db = `${ws.dir}/reused.db`;
    // A live process that is not the run: its pid, with the start time of an older process.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const started = processStartedAt(other.pid!);
      expect(typeof started).toBe('number');
      const store = await openStore(db);
      const base = { ...newRun({ name: 'x' }), host: hostname(), pid: other.pid! };
      const reused = await store.createRun({
        ...base,
        name: 'reused',
        pidStartedAt: started! - 3_600_000,
      });
      const alive = await store.createRun({ ...base, name: 'alive', pidStartedAt: started! });
      const elsewhereStale = await store.createRun({
        ...newRun({ name: 'elsewhere-stale' }),
        host: 'other-host',
      });
      const elsewhereFresh = await store.createRun({
        ...newRun({ name: 'elsewhere-fresh' }),
        host: 'other-host',
      });
      await store.close();
      // The last heartbeat of the other host's first run was 6 minutes ago.
      const sql = new (await import('better-sqlite3')).default(db);
      sql
        .prepare('update runs set updated_at = ? where id = ?')
        .run(Date.now() - 6 * 60_000, elsewhereStale);
      sql.close();

      expect(statuses((await runCli(['runs', 'ls', '--db', db, '--json'], ws.dir)).stdout)).toEqual(
        {
          [reused]: 'lost',
          [alive]: 'running',
          [elsewhereStale]: 'lost',
          [elsewhereFresh]: 'running',
        },
      );
      // --status filters by what the table shows, not by what the row says.
      const only = async (status: string): Promise<number[]> =>
        Object.keys(
          statuses(
            (await runCli(['runs', 'ls', '--status', status, '--db', db, '--json'], ws.dir)).stdout,
          ),
        )
          .map(Number)
          .sort((a, b) => a - b);
      expect(await only('lost')).toEqual([reused, elsewhereStale]);
      expect(await only('running')).toEqual([alive, elsewhereFresh]);
      expect(await only('lost,running')).toEqual([reused, alive, elsewhereStale, elsewhereFresh]);
      expect(await only('completed')).toEqual([]);
      const refused = await runCli(['runs', 'rm', String(alive), '--yes', '--db', db], ws.dir);
      expect(refused.code).toBe(1);
      const forced = await runCli(
        ['runs', 'rm', String(alive), String(reused), '--yes', '--force', '--db', db],
        ws.dir,
      );
      expect(forced.code).toBe(0);
      expect(forced.stdout).toContain('deleted 2 runs');
      expect(readStore(db, (s) => s.prepare('select count(*) from runs').pluck().get())).toBe(2);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('the heartbeat between flushes', () => {
  it('keeps beating while the run is busy in one long evaluation, where no metric is flushed', async () => {
    const db = `${ws.dir}/busy.db`;
    const file = ws.write('slow-eval.yaml', SLOW_EVAL_CONFIG);
    const child = startCli(['exp', file, '--db', db, '--quiet'], ws.dir, {
      RUNNER_HEARTBEAT_MS: '100',
    });
    const { busyMs, stalestMs, result } = await watchHeartbeat(child, () => {
      if (!existsSync(db)) return undefined;
      return readStore(db, (sql) => {
        try {
          const row = sql
            .prepare(
              `select r.status, r.updated_at, (select count(*) from metrics m where m.run_id = r.id) as points from runs r where r.id = 1`,
            )
            .get() as { status: string; updated_at: number; points: number } | undefined;
          return row && { status: row.status, updatedAt: row.updated_at, points: row.points };
        } catch {
          return undefined; // the schema is being made
        }
      });
    });
    expect(result.code).toBe(0);
    // The busy stretch lasted long enough for a missing heartbeat to show ...
    expect(busyMs).toBeGreaterThan(2500);
    // ... and the heartbeat never fell that far behind.
    expect(stalestMs).toBeLessThan(1200);
  }, 120_000);
});
