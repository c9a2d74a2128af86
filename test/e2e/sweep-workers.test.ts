import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli } from './cli-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

/** A few hundred tiny steps: seconds per trial, long enough to be killed in the middle. */
const config = (epochs: number): string => `name: tiny
seed: 3
data:
  dataset: synthetic
  batchSize: 10
  synthetic: {train: 200, test: 20, classes: 3, shape: [4, 4, 1], noise: 0.1}
model:
  input: [4, 4, 1]
  layers:
    - flatten: {}
    - dense: {units: 3}
train:
  epochs: ${epochs}
  optimizer: {type: adam, learningRate: 0.01}
backend: cpu
`;

interface RunRow {
  id: number;
  status: string;
  trial_index: number;
  error: string | null;
  points: number;
  steps: number;
}

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
    writeFileSync(join(temp.dir, 'quick.yaml'), config(1));
    writeFileSync(join(temp.dir, 'slow.yaml'), config(40));
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });

  /** Every run of a sweep, with its metric rows and steps (from the documented views). */
  const runsOf = async (sweepId: number): Promise<RunRow[]> =>
    (
      await client.query<RunRow>(
        `SELECT r.id, r.status, r.trial_index, r.error,
           (SELECT count(*)::int FROM runner.metric_points m WHERE m.run_id = r.id) AS points,
           coalesce((SELECT max(step)::int FROM runner.metric_points m WHERE m.run_id = r.id AND m.key = 'train/loss'), 0) AS steps
         FROM runner.runs r WHERE r.sweep_id = $1 ORDER BY r.id`,
        [sweepId],
      )
    ).rows;

  const jobsOf = async (sweepId: number) =>
    (
      await client.query<{ state: string; retry_count: number; data: { configYaml: string } }>(
        `SELECT state, retry_count, data FROM runner_queue.job
         WHERE name = 'runner-trials' AND (data->>'sweepId')::int = $1`,
        [sweepId],
      )
    ).rows;

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
    const jobs = await jobsOf(1);
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

    const runs = await runsOf(1);
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(runs.map((run) => run.trial_index))).toEqual(new Set([0, 1, 2]));
    for (const run of runs) expect(run.points).toBeGreaterThanOrEqual(run.steps * 2);
    expect((await jobsOf(1)).map((job) => job.state)).toEqual([
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
