import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli } from './cli-kit.js';
import { queueConfig, queueReader, until } from './queue-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

describe.skipIf(!pgStatus.available)('sweeps on workers through a PostgreSQL queue', () => {
  let server: PgServer;
  const temp = makeTempDir('pg-workers');
  let client: pg.Client;
  let url: string;

  beforeAll(async () => {
    server = await startPostgres();
    // A password in the URL (trust auth ignores it): it must never be printed.
    url = server.database('workers').replace('postgres@', 'postgres:hunter2@');
    client = new pg.Client({ connectionString: server.database('workers') });
    await client.connect();
    writeFileSync(join(temp.dir, 'quick.yaml'), queueConfig(1));
    // Long enough to be cancelled in the middle (a heartbeat interval is 10/3 s;
    // 150 epochs once ended first on a loaded machine).
    writeFileSync(join(temp.dir, 'long.yaml'), queueConfig(400));
    writeFileSync(
      join(temp.dir, 'no-data.yaml'),
      queueConfig(1)
        .replace(
          /data:\n(  .*\n)+/,
          'data:\n  dataset: csv\n  batchSize: 10\n  train: {file: data/not-there.csv}\n  test: {file: data/not-there.csv}\n  target: y\n',
        )
        .replace('  input: [4, 4, 1]\n', ''),
    );
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });

  const reader = () => queueReader(client);

  it('enqueues every trial with its resolved config, and two workers train them all once', async () => {
    const sweep = await runCli(
      [
        'sweep',
        'quick.yaml',
        '--set',
        'train.optimizer.learningRate=0.01,0.02,0.05',
        '--parallel',
        '0',
        '--db',
        url,
      ],
      temp.dir,
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stderr).toMatch(/sweep 1: 3 trials queued on postgres:\/\/postgres:\*\*\*@/);
    expect(sweep.stdout).toContain('runner worker');
    const jobs = await reader().jobs(1);
    expect(jobs.map((job) => job.state)).toEqual(['created', 'created', 'created']);
    for (const job of jobs) {
      // The resolved config travels in the job: no path of the enqueuing machine.
      expect(job.data.configYaml).toContain('learningRate');
      expect(job.data.configYaml).not.toContain(temp.dir);
      expect(job.data.configYaml).not.toContain('sweep:');
    }

    const workers = [0, 1].map(() =>
      startCli(['worker', '--exit-when-idle', '2', '--artifacts', 'shared'], temp.dir, {
        RUNNER_DB: url,
      }),
    );
    const results = await Promise.all(workers.map((worker) => worker.result));
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain('hunter2');
    }
    const taken = results.map((r) => Number(/(\d+) trials? taken/.exec(r.stdout)?.[1] ?? -1));
    expect(taken[0]! + taken[1]!).toBe(3);

    const runs = await reader().runs(1);
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(runs.map((run) => run.trial_index))).toEqual(new Set([0, 1, 2]));
    for (const run of runs) expect(run.losses).toBe(run.steps);
    // --artifacts: every trial's folder under the shared one, recorded with its host.
    const folders = await client.query<{ artifacts_dir: string; host: string }>(
      'SELECT artifacts_dir, host FROM runner.runs WHERE sweep_id = 1',
    );
    for (const row of folders.rows) {
      expect(row.artifacts_dir.startsWith(join(temp.dir, 'shared'))).toBe(true);
      expect(row.host).not.toBe('');
    }
    expect((await reader().jobs(1)).map((job) => job.state)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);

    const status = await runCli(['sweep', 'status', '1', '--db', url, '--json'], temp.dir);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      status: string;
      trials: { status: string; attempts: number; hosts: string; job: string }[];
    };
    expect(report.status).toBe('completed');
    expect(report.trials.map((t) => [t.status, t.attempts, t.job])).toEqual([
      ['completed', 1, 'completed'],
      ['completed', 1, 'completed'],
      ['completed', 1, 'completed'],
    ]);
    expect(report.trials[0]!.hosts).not.toBe('');
  }, 120_000);

  it('cancels a sweep everywhere, then retry-failed queues its unfinished trials again', async () => {
    const sweep = await runCli(
      [
        'sweep',
        'long.yaml',
        '--set',
        'train.optimizer.learningRate=0.01,0.02',
        '--parallel',
        '0',
        '--heartbeat',
        '10',
      ],
      temp.dir,
      { RUNNER_DB: url },
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    const id = Number(/sweep (\d+): 2 trials queued/.exec(sweep.stderr)?.[1]);
    const worker = startCli(['worker', '--exit-when-idle', '2'], temp.dir, { RUNNER_DB: url });
    await until(
      'a trial training',
      async () => (await reader().runs(id)).some((r) => r.status === 'running' && r.points > 0),
      60_000,
    );
    const cancel = await runCli(['sweep', 'cancel', String(id), '--db', url], temp.dir);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`sweep ${id} cancelled: 2 jobs \\(1 running`));
    // The worker stops the running trial at its next heartbeat and, idle, exits.
    const stopped = await worker.result;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/trial 1 cancelled/);
    expect((await reader().runs(id)).map((r) => r.status)).toEqual(['interrupted']);
    expect(await reader().sweepStatus(id)).toBe('interrupted');
    const cancelled = JSON.parse(
      (await runCli(['sweep', 'status', String(id), '--db', url, '--json'], temp.dir)).stdout,
    ) as { trials: { status: string }[] };
    expect(cancelled.trials.map((t) => t.status)).toEqual(['interrupted', 'cancelled']);

    const retry = await runCli(['sweep', 'retry-failed', String(id), '--db', url], temp.dir);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(/2 trials queued again \(1, 2\)/);
    const again = await runCli(['worker', '--parallel', '2', '--exit-when-idle', '2'], temp.dir, {
      RUNNER_DB: url,
    });
    expect(again.code, again.stderr).toBe(0);
    const status = JSON.parse(
      (await runCli(['sweep', 'status', String(id), '--db', url, '--json'], temp.dir)).stdout,
    ) as { status: string; trials: { status: string; attempts: number }[] };
    expect(status.status).toBe('completed');
    expect(status.trials.map((t) => [t.status, t.attempts])).toEqual([
      ['completed', 2],
      ['completed', 1],
    ]);
    const nothing = await runCli(['sweep', 'retry-failed', String(id), '--db', url], temp.dir);
    expect(nothing.stdout).toMatch(/no failed, lost or interrupted trial to retry/);
  }, 180_000);

  it('does not retry a trial that fails on its own (its data is missing), and says why', async () => {
    const sweep = await runCli(
      ['sweep', 'no-data.yaml', '--set', 'train.epochs=1,2', '--parallel', '1'],
      temp.dir,
      { RUNNER_DB: url },
    );
    expect(sweep.code).toBe(1);
    expect(sweep.stderr).toMatch(/trial 1 failed: /);
    expect(sweep.stderr).toMatch(/trial 2 failed: /);
    const id = Number(/sweep (\d+): 2 trials queued/.exec(sweep.stderr)?.[1]);
    expect((await reader().jobs(id)).map((j) => [j.state, j.retry_count])).toEqual([
      ['completed', 0],
      ['completed', 0],
    ]);
    expect(await reader().sweepStatus(id)).toBe('failed');
    expect(sweep.stdout).toMatch(/2 trials: 2 failed/);
  }, 120_000);

  it('refuses worker on a SQLite store and sweep actions without an id, in one line each', async () => {
    const sqlite = await runCli(['worker', '--db', 'runs/x.db'], temp.dir);
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr).toMatch(/workers take trials from a PostgreSQL store/);
    expect(sqlite.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    const noId = await runCli(['sweep', 'cancel', '--db', url], temp.dir);
    expect(noId.code).toBe(1);
    expect(noId.stderr).toMatch(/sweep cancel: give the sweep id/);
    const heartbeat = await runCli(
      ['sweep', 'quick.yaml', '--set', 'train.epochs=1,2', '--heartbeat', '5', '--db', url],
      temp.dir,
    );
    expect(heartbeat.code).toBe(1);
    expect(heartbeat.stderr).toMatch(/--heartbeat 5: expected whole seconds, at least 10/);
  }, 60_000);
});
