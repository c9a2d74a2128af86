import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli } from './cli-kit.js';
import { processAlive, queueConfig, queueReader, until } from './queue-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

/**
 * How queued sweeps end and who may read them: a trial out of retries ends its sweep, and
 * the reader role sees the queue in `sweep status`. Real workers, signals and PostgreSQL.
 */
describe.skipIf(!pgStatus.available)('queued sweeps: ending and reading', () => {
  let server: PgServer;
  const temp = makeTempDir('pg-ending');
  let client: pg.Client;
  let url: string;

  beforeAll(async () => {
    server = await startPostgres();
    url = server.database('ending');
    client = new pg.Client({ connectionString: url });
    await client.connect();
    writeFileSync(join(temp.dir, 'long.yaml'), queueConfig(400));
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });
  const reader = () => queueReader(client);

  it('the reader role reads the queue in sweep status (each trial with its job)', async () => {
    const init = await runCli(['store', 'init', '--db', url], temp.dir);
    expect(init.code, init.stderr).toBe(0);
    await client.query('CREATE USER alice LOGIN IN ROLE runner_reader');
    const sweep = await runCli(
      ['sweep', 'long.yaml', '--set', 'seed=1,2', '--parallel', '0', '--db', url],
      temp.dir,
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    const asAlice = url.replace('postgres@', 'alice@');
    try {
      await expectReaderSeesQueue(asAlice);
    } finally {
      const cancel = await runCli(['sweep', 'cancel', '1', '--db', url], temp.dir);
      expect(cancel.code, cancel.stderr).toBe(0);
    }
  }, 120_000);

  const expectReaderSeesQueue = async (asAlice: string): Promise<void> => {
    const status = await runCli(['sweep', 'status', '1', '--db', asAlice, '--json'], temp.dir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).not.toMatch(/not readable/);
    const shown = JSON.parse(status.stdout) as { trials: { job: string; status: string }[] };
    expect(shown.trials.map((t) => [t.job, t.status])).toEqual([
      ['created', 'queued'],
      ['created', 'queued'],
    ]);
    // The reader reads; it cannot change the queue.
    const reading = new pg.Client({ connectionString: asAlice });
    await reading.connect();
    try {
      await expect(reading.query('DELETE FROM runner_queue.job')).rejects.toThrow(
        /read-only|permission denied/,
      );
    } finally {
      await reading.end();
    }
  };

  it('a trial out of retries ends its sweep: runs lost, sweep failed, not running for ever', async () => {
    const sweep = await runCli(
      [
        'sweep',
        'long.yaml',
        '--set',
        'seed=3,4',
        '--parallel',
        '0',
        '--heartbeat',
        '10',
        '--retries',
        '0',
        '--db',
        url,
      ],
      temp.dir,
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    const sweepId = 2;
    // A machine that vanishes: its worker and trials frozen, nothing of them settles a job.
    const frozen = startCli(['worker', '--parallel', '2'], temp.dir, { RUNNER_DB: url });
    await until(
      'both trials training',
      async () => {
        const runs = await reader().runs(sweepId);
        return runs.length === 2 && runs.every((r) => r.status === 'running' && r.points > 0);
      },
      60_000,
    );
    const trainers = (await reader().runs(sweepId)).map((r) => r.pid!);
    for (const pid of [frozen.pid!, ...trainers]) process.kill(pid, 'SIGSTOP');
    try {
      // Another worker with nothing to do: pg-boss's monitor fails the jobs for good after
      // the heartbeat; the worker sees it and ends the sweep.
      const other = startCli(['worker', '--exit-when-idle', '30'], temp.dir, { RUNNER_DB: url });
      await until(
        'sweep ended',
        async () => (await reader().sweepStatus(sweepId)) !== 'running',
        60_000,
      );
      expect(await reader().sweepStatus(sweepId)).toBe('failed');
      const runs = await reader().runs(sweepId);
      expect(runs.map((r) => r.status)).toEqual(['lost', 'lost']);
      for (const run of runs) expect(run.error).toMatch(/no retry left/);
      expect((await reader().jobs(sweepId)).map((j) => j.state)).toEqual(['failed', 'failed']);
      const status = await runCli(['sweep', 'status', String(sweepId), '--db', url], temp.dir);
      expect(status.stdout).toMatch(/sweep 2 .*: failed/);
      expect(status.stdout).toMatch(/2 trials: 2 lost/);
      other.kill('SIGTERM');
      await other.result;
    } finally {
      for (const pid of [frozen.pid!, ...trainers])
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      await frozen.result;
    }
  }, 180_000);
});
