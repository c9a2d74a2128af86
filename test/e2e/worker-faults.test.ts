import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import type { SweepDetailResponse } from '../../src/dashboard/api-types.js';
import { getJson } from '../dashboard/http-client.js';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli } from './cli-kit.js';
import { processAlive, queueConfig, queueReader, until } from './queue-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

/** pg-boss's floor: a dead worker's job is failed this long after its last heartbeat. */
const HEARTBEAT_S = 10;
/** The workers' monitor interval (MONITOR_SECONDS) plus their poll, with room for a loaded machine. */
const RETRY_BOUND_MS = (HEARTBEAT_S + 2 + 1) * 1000 + 8_000;

/**
 * Real worker processes killed with real signals, on a real PostgreSQL. After each: every
 * trial has exactly one completed run (plus lost or interrupted attempts, marked), no metric
 * step missing or doubled in a completed run, no job left active, the sweep's status right.
 */
describe.skipIf(!pgStatus.available)('workers killed mid-trial', () => {
  let server: PgServer;
  const temp = makeTempDir('pg-faults');
  let client: pg.Client;
  let url: string;
  let sweeps = 0;

  beforeAll(async () => {
    server = await startPostgres();
    url = server.database('faults');
    client = new pg.Client({ connectionString: url });
    await client.connect();
    writeFileSync(join(temp.dir, 'slow.yaml'), queueConfig(30));
    writeFileSync(join(temp.dir, 'long.yaml'), queueConfig(120));
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });
  const reader = () => queueReader(client);

  /** Queues a 2-trial sweep of the slow config for workers; returns its id. */
  const enqueue = async (file = 'slow.yaml'): Promise<number> => {
    const sweep = await runCli(
      [
        'sweep',
        file,
        '--set',
        'train.optimizer.learningRate=0.01,0.02',
        '--parallel',
        '0',
        '--heartbeat',
        String(HEARTBEAT_S),
      ],
      temp.dir,
      { RUNNER_DB: url },
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    return ++sweeps;
  };

  const expectSettled = async (sweepId: number, epochs = 30): Promise<void> => {
    const runs = await reader().runs(sweepId);
    for (const trial of [0, 1]) {
      const completed = runs.filter((r) => r.trial_index === trial && r.status === 'completed');
      expect(completed, `trial ${trial}: ${JSON.stringify(runs)}`).toHaveLength(1);
      expect(completed[0]!.losses).toBe(completed[0]!.steps);
      expect(completed[0]!.steps).toBe(epochs * 20);
    }
    const jobs = await reader().jobs(sweepId);
    expect(jobs.filter((job) => job.state === 'active')).toEqual([]);
    expect(await reader().sweepStatus(sweepId)).toBe('completed');
  };

  it('kill -9 of a worker: its runs are marked lost with what they recorded, another worker retries the trials', async () => {
    const sweepId = await enqueue();
    const doomed = startCli(['worker', '--parallel', '2'], temp.dir, { RUNNER_DB: url });
    await until(
      'both trials training with metrics flushed',
      async () => {
        const runs = await reader().runs(sweepId);
        return runs.length === 2 && runs.every((r) => r.status === 'running' && r.points > 0);
      },
      60_000,
    );
    const trainers = (await reader().runs(sweepId)).map((r) => r.pid!);
    doomed.kill('SIGKILL');
    const killedAt = Date.now();
    await doomed.result;

    // The trial processes learn their worker is gone, record their runs lost and stop.
    await until(
      'runs marked lost',
      async () => (await reader().runs(sweepId)).every((r) => r.status === 'lost'),
      15_000,
    );
    await until(
      'trial processes gone',
      async () => trainers.every((pid) => !processAlive(pid)),
      15_000,
    );
    const lost = await reader().runs(sweepId);
    for (const run of lost) {
      expect(run.error).toMatch(/lost: its worker process went away/);
      expect(run.points).toBeGreaterThan(0);
    }

    // Idle for longer than the heartbeat: the dead worker's jobs come free only after it.
    const rescuer = startCli(['worker', '--parallel', '2', '--exit-when-idle', '20'], temp.dir, {
      RUNNER_DB: url,
    });
    await until(
      'jobs retried by the other worker',
      async () =>
        (await reader().jobs(sweepId)).every((j) => j.retry_count === 1 && j.state === 'active'),
      RETRY_BOUND_MS,
    );
    expect(Date.now() - killedAt).toBeLessThan(RETRY_BOUND_MS);
    const rescued = await rescuer.result;
    expect(rescued.code, rescued.stderr).toBe(0);
    expect(rescued.stderr).toMatch(/trial 1 \(attempt 2\) started/);

    const runs = await reader().runs(sweepId);
    expect(runs.map((r) => [r.trial_index, r.status])).toEqual([
      [0, 'lost'],
      [0, 'completed'],
      [1, 'lost'],
      [1, 'completed'],
    ]);
    // The lost attempts keep what they recorded.
    for (const run of lost)
      expect(runs.find((r) => r.id === run.id)!.points).toBeGreaterThanOrEqual(run.points);
    expect((await reader().jobs(sweepId)).map((j) => [j.state, j.retry_count])).toEqual([
      ['completed', 1],
      ['completed', 1],
    ]);
    await expectSettled(sweepId);

    // The dashboard's sweep shows each attempt of a trial, with its host.
    const dashboard = await startDashboard({ dbPath: url, port: 0 });
    try {
      const { body } = await getJson<SweepDetailResponse>(dashboard.port, `/api/sweeps/${sweepId}`);
      const shown = [...body.trials].sort((a, b) => a.trial! - b.trial! || a.runId - b.runId);
      expect(shown.map((t) => [t.trial, t.attempt, t.status])).toEqual([
        [1, 1, 'lost'],
        [1, 2, 'completed'],
        [2, 1, 'lost'],
        [2, 2, 'completed'],
      ]);
      for (const t of shown) expect(t.host).toBe(hostname());
    } finally {
      await dashboard.close();
    }
  }, 180_000);

  it('SIGTERM: the worker interrupts its trial, hands the job back and exits; another worker finishes it', async () => {
    const sweepId = await enqueue();
    const leaving = startCli(['worker', '--parallel', '1'], temp.dir, { RUNNER_DB: url });
    await until(
      'one trial training',
      async () =>
        (await reader().runs(sweepId)).some((r) => r.status === 'running' && r.points > 0),
      60_000,
    );
    leaving.kill('SIGTERM');
    const left = await leaving.result;
    expect(left.code).toBe(130);
    expect(left.stderr).toMatch(/SIGTERM: taking no more trials/);
    expect(left.stderr).toMatch(/handed back/);
    const [interrupted] = await reader().runs(sweepId);
    expect(interrupted!.status).toBe('interrupted');
    // Handed back at once (no heartbeat to wait out): queued for the next worker.
    expect((await reader().jobs(sweepId)).map((j) => j.state).sort()).toEqual(['created', 'retry']);

    const next = await runCli(['worker', '--parallel', '2', '--exit-when-idle', '3'], temp.dir, {
      RUNNER_DB: url,
    });
    expect(next.code, next.stderr).toBe(0);
    const runs = await reader().runs(sweepId);
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'completed', 'completed']);
    await expectSettled(sweepId);
  }, 180_000);

  it('PostgreSQL restarting mid-sweep: workers and trials carry on, nothing lost or doubled', async () => {
    const sweepId = await enqueue('long.yaml');
    const worker = startCli(['worker', '--parallel', '2', '--exit-when-idle', '20'], temp.dir, {
      RUNNER_DB: url,
    });
    await until(
      'both trials training',
      async () => {
        const runs = await reader().runs(sweepId);
        return runs.length === 2 && runs.every((r) => r.status === 'running' && r.points > 0);
      },
      60_000,
    );
    await client.end();
    await server.restart({ downMs: 3000 });
    client = new pg.Client({ connectionString: url });
    await client.connect();
    const done = await worker.result;
    expect(done.code, done.stderr).toBe(0);
    const runs = await reader().runs(sweepId);
    expect(
      runs.map((r) => r.status),
      JSON.stringify(runs.map((r) => r.error)),
    ).toEqual(['completed', 'completed']);
    await expectSettled(sweepId, 120);
  }, 240_000);

  it('ten workers started at once on an empty database install the queue once and share the trials', async () => {
    const empty = server.database('empty_start');
    const workers = Array.from({ length: 10 }, () =>
      startCli(['worker', '--exit-when-idle', '15', '--quiet'], temp.dir, { RUNNER_DB: empty }),
    );
    const sweep = await runCli(
      [
        'sweep',
        'slow.yaml',
        '--set',
        'train.optimizer.learningRate=0.01,0.02,0.03',
        '--parallel',
        '0',
        '--set',
        'train.epochs=1',
      ],
      temp.dir,
      { RUNNER_DB: empty },
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    const results = await Promise.all(workers.map((w) => w.result));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const taken = results.map((r) => Number(/(\d+) trials? taken/.exec(r.stdout)?.[1] ?? -1));
    expect(taken.reduce((a, b) => a + b, 0)).toBe(3);
    const other = new pg.Client({ connectionString: empty });
    await other.connect();
    try {
      const runs = await queueReader(other).runs(1);
      expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
      for (const run of runs) expect(run.losses).toBe(run.steps);
      expect((await queueReader(other).jobs(1)).map((j) => j.state)).toEqual([
        'completed',
        'completed',
        'completed',
      ]);
    } finally {
      await other.end();
    }
  }, 180_000);

  it('a worker stopped past its heartbeat (SIGSTOP) and resumed cannot complete or keep the trials handed on', async () => {
    const sweepId = await enqueue('long.yaml');
    const stale = startCli(['worker', '--parallel', '2', '--exit-when-idle', '5'], temp.dir, {
      RUNNER_DB: url,
    });
    await until(
      'both trials training',
      async () => {
        const runs = await reader().runs(sweepId);
        return runs.length === 2 && runs.every((r) => r.status === 'running' && r.points > 0);
      },
      60_000,
    );
    stale.kill('SIGSTOP');
    const other = startCli(['worker', '--parallel', '2', '--exit-when-idle', '20'], temp.dir, {
      RUNNER_DB: url,
    });
    try {
      await until(
        'jobs handed to the other worker',
        async () =>
          (await reader().jobs(sweepId)).every((j) => j.retry_count === 1 && j.state === 'active'),
        RETRY_BOUND_MS,
      );
    } finally {
      stale.kill('SIGCONT');
    }
    const [back, rescued] = await Promise.all([stale.result, other.result]);
    expect(back.code, back.stderr).toBe(0);
    // Its heartbeat refused, the resumed worker gives the trials up and marks its runs lost.
    expect(back.stderr).toMatch(/trial \d lost/);
    expect(rescued.code, rescued.stderr).toBe(0);
    const runs = await reader().runs(sweepId);
    expect(runs.map((r) => [r.trial_index, r.status])).toEqual([
      [0, 'lost'],
      [0, 'completed'],
      [1, 'lost'],
      [1, 'completed'],
    ]);
    expect((await reader().jobs(sweepId)).map((j) => [j.state, j.retry_count])).toEqual([
      ['completed', 1],
      ['completed', 1],
    ]);
    await expectSettled(sweepId, 120);
  }, 240_000);
});
