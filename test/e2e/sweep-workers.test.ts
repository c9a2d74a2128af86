import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parse as parseCsv } from 'csv-parse/sync';
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

  it('sweep --tag on PostgreSQL: the jobs carry the tags to the workers, planned and TPE trials alike; status --csv', async () => {
    writeFileSync(
      join(temp.dir, 'tpe.yaml'),
      `${queueConfig(1)}sweep:
  sampler: tpe
  trials: 2
  tpe: {startupTrials: 1, candidates: 4}
  space:
    train.optimizer.learningRate: {logUniform: [1.0e-3, 1.0e-1]}
  metric: test/accuracy
  goal: maximize
`,
    );
    const queue = async (args: string[]): Promise<{ id: number; stdout: string }> => {
      const queued = await runCli([...args, '--parallel', '0', '--db', url], temp.dir);
      expect(queued.code, queued.stderr).toBe(0);
      // The worker command to start goes to stderr: stdout holds only the data.
      expect(queued.stderr).toContain('runner worker');
      const id = Number(/sweep (\d+): 2 trials queued/.exec(queued.stderr)?.[1]);
      return { id, stdout: queued.stdout };
    };
    const { id: grid, stdout: gridCsv } = await queue([
      'sweep',
      'quick.yaml',
      '--set',
      'train.optimizer.learningRate=0.01,0.02',
      '--tag',
      'nightly',
      '--tag',
      'grid-pg',
      '--csv',
    ]);
    const { id: tpe, stdout: tpeJson } = await queue([
      'sweep',
      'tpe.yaml',
      '--tag',
      'tpe-pg',
      '--json',
    ]);
    expect(
      (parseCsv(gridCsv, { columns: true }) as Record<string, string>[]).map((r) => [
        r.trial,
        r.status,
        r['train.optimizer.learningRate'],
      ]),
    ).toEqual([
      ['1', 'queued', '0.01'],
      ['2', 'queued', '0.02'],
    ]);
    const queuedTpe = JSON.parse(tpeJson) as { id: number; trials: { status: string }[] };
    expect(queuedTpe.id).toBe(tpe);
    expect(queuedTpe.trials.map((t) => t.status)).toEqual(['queued', 'queued']);
    const carried = async (id: number) =>
      (await reader().jobs(id)).map((job) => (job.data as { tags?: string[] }).tags);
    expect(await carried(grid)).toEqual([
      ['nightly', 'grid-pg'],
      ['nightly', 'grid-pg'],
    ]);
    expect(await carried(tpe)).toEqual([['tpe-pg'], ['tpe-pg']]);

    const worker = await runCli(['worker', '--exit-when-idle', '2'], temp.dir, {
      RUNNER_DB: url,
    });
    expect(worker.code, worker.stderr).toBe(0);
    const tagsOf = async (id: number) =>
      (
        await client.query<{ status: string; tags: string | null }>(
          `SELECT r.status, (SELECT string_agg(t.tag, ',' ORDER BY t.tag) FROM runner.tags t
             WHERE t.run_id = r.id) AS tags
           FROM runner.runs r WHERE r.sweep_id = $1 ORDER BY r.trial_index`,
          [id],
        )
      ).rows.map((row) => `${row.status}:${row.tags}`);
    expect(await tagsOf(grid)).toEqual(['completed:grid-pg,nightly', 'completed:grid-pg,nightly']);
    expect(await tagsOf(tpe)).toEqual(['completed:tpe-pg', 'completed:tpe-pg']);
    const listed = await runCli(['runs', 'ls', '--tag', 'tpe-pg', '--json', '--db', url], temp.dir);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(2);

    // `sweep status --csv`: a row per trial, the same as --json, and only the data.
    const csv = await runCli(['sweep', 'status', String(grid), '--db', url, '--csv'], temp.dir);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe(
      'trial,run,status,attempts,hosts,train.optimizer.learningRate,test/accuracy',
    );
    const json = JSON.parse(
      (await runCli(['sweep', 'status', String(grid), '--db', url, '--json'], temp.dir)).stdout,
    ) as {
      trials: {
        trial: number;
        run: number;
        status: string;
        attempts: number;
        hosts: string;
        values: Record<string, number>;
        metric: number;
      }[];
    };
    const rows = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(
      rows.map((r) => [
        Number(r.trial),
        Number(r.run),
        r.status,
        Number(r.attempts),
        r.hosts,
        Number(r['train.optimizer.learningRate']),
        Number(r['test/accuracy']),
      ]),
    ).toEqual(
      json.trials.map((t) => [
        t.trial,
        t.run,
        t.status,
        t.attempts,
        t.hosts,
        t.values['train.optimizer.learningRate'],
        t.metric,
      ]),
    );
    expect(json.trials.map((t) => t.status)).toEqual(['completed', 'completed']);

    const retag = await runCli(
      ['sweep', '--resume', String(grid), '--tag', 'more', '--db', url],
      temp.dir,
    );
    expect(retag.code).toBe(1);
    expect(retag.stderr.trim()).toMatch(
      /^error: --tag: a resumed sweep tags its trials with the tags it was started with/,
    );
    const cancelCsv = await runCli(
      ['sweep', 'cancel', String(grid), '--csv', '--db', url],
      temp.dir,
    );
    expect(cancelCsv.code).toBe(1);
    expect(cancelCsv.stderr).toMatch(/sweep cancel: --json and --csv are for sweep status/);
  }, 180_000);

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
