import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, startCli, syntheticConfig } from './cli-kit.js';

/**
 * `runner exp --resume` on a PostgreSQL store (a real server started by the
 * test): a run stopped by SIGTERM in the middle of epoch 2 and resumed has
 * every recorded value of the uninterrupted run, in the same run row.
 */
const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

// 640 examples at batch 32: 20 steps an epoch, 3 epochs, a checkpoint every 7 steps.
const CONFIG = syntheticConfig({
  name: 'resume-pg',
  train: 640,
  epochs: 3,
  extra: '  checkpointEvery: 7\n',
}).replace('  synthetic:', '  augment: {shift: 1, flip: true}\n  synthetic:');

describe.skipIf(!pgStatus.available)('runner exp --resume on a PostgreSQL store', () => {
  let server: PgServer;
  let url: string;
  let client: pg.Client;
  const ws = makeTempDir('resume-pg');
  beforeAll(async () => {
    server = await startPostgres();
    url = server.database('resume');
    ws.write('resume.yaml', CONFIG);
    const init = await runCli(['store', 'init', '--db', url], ws.dir);
    expect(init.code, init.stderr).toBe(0);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    ws.remove();
  });

  const metrics = async (runId: number) =>
    (
      await client.query<{ key: string; step: number; value: number }>(
        `SELECT key, step, value FROM runner.metrics WHERE run_id = $1 AND key NOT LIKE 'perf/%'
         ORDER BY key, step`,
        [runId],
      )
    ).rows;
  const trainSteps = async (runId: number): Promise<number> =>
    Number(
      (
        await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM runner.metrics WHERE run_id = $1 AND key = 'train/loss'`,
          [runId],
        )
      ).rows[0]!.n,
    );

  it('continues a run stopped mid-epoch with the same values step for step, in the same row', async () => {
    const full = await runCli(['exp', 'resume.yaml', '--db', url, '--json'], ws.dir);
    expect(full.code, full.stderr).toBe(0);
    const reference = await metrics((JSON.parse(full.stdout) as { runId: number }).runId);
    expect(reference.filter((m) => m.key === 'train/loss')).toHaveLength(60);

    const runId = (await client.query<{ id: number }>('SELECT max(id) AS id FROM runner.runs'))
      .rows[0]!.id;
    const child = startCli(['exp', 'resume.yaml', '--db', url, '--quiet'], ws.dir);
    // Wait for a new row, then for its checkpoint at step 21 or 28 (metrics are flushed before each).
    let id = runId;
    for (let i = 0; i < 3000; i++) {
      const latest = (await client.query<{ id: number }>('SELECT max(id) AS id FROM runner.runs'))
        .rows[0]!.id;
      if (latest > runId && (await trainSteps(latest)) >= 21) {
        id = latest;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(id).toBeGreaterThan(runId);
    child.kill('SIGTERM');
    const stopped = await child.result;
    expect(stopped.code).toBe(130);
    const cut = await trainSteps(id);
    expect(cut).toBeGreaterThan(20);
    expect(cut).toBeLessThan(60);

    const resumed = await runCli(['exp', '--resume', String(id), '--db', url, '--json'], ws.dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: id, status: 'completed', steps: 60 });
    expect(await metrics(id)).toEqual(reference);
    const runs = await client.query<{ status: string; notices: string }>(
      'SELECT status, notices FROM runner.runs ORDER BY id',
    );
    expect(runs.rows.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(JSON.stringify(runs.rows[1]!.notices)).toMatch(/resumed at step \d+ \(epoch 2\)/);
  }, 240_000);
});
