import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli } from './cli-kit.js';
import { queueConfig, queueReader } from './queue-kit.js';

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
      startCli(['worker', '--exit-when-idle', '2'], temp.dir, { RUNNER_DB: url }),
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
});
