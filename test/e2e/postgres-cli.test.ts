import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import pg from 'pg';
import { runCli, SLOW_EVAL_CONFIG, startCli, watchHeartbeat } from './cli-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

const CONFIG = `name: tiny
seed: 2
data:
  dataset: synthetic
  batchSize: 20
  synthetic: {train: 60, test: 20, classes: 3, shape: [4, 4, 1], noise: 0.1}
model:
  input: [4, 4, 1]
  layers:
    - flatten: {}
    - dense: {units: 3}
train:
  epochs: 1
  optimizer: {type: adam, learningRate: 0.01}
backend: cpu
`;

describe.skipIf(!pgStatus.available)('the CLI on a PostgreSQL store', () => {
  let server: PgServer;
  const temp = makeTempDir('pg-cli');
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    // A password in the URL (trust auth ignores it): it must never be printed.
    url = server.database('cli').replace('postgres@', 'postgres:hunter2@');
    writeFileSync(join(temp.dir, 'tiny.yaml'), CONFIG);
  }, 60_000);
  afterAll(() => {
    server?.stop();
    temp.remove();
  });

  it('inits the store with a reader role, trains into it, lists, compares and queries it read-only', async () => {
    const init = await runCli(['store', 'init', '--db', url], temp.dir);
    expect(init.stderr).toBe('');
    expect(init.stdout).toMatch(/reader role runner_reader created/);
    const again = await runCli(['store', 'init', '--db', url], temp.dir);
    expect(again.stdout).toMatch(/reader role runner_reader already there/);

    for (const lr of ['0.01', '0.05']) {
      const exp = await runCli(
        ['exp', 'tiny.yaml', '--set', `train.optimizer.learningRate=${lr}`, '--quiet'],
        temp.dir,
        { RUNNER_DB: url },
      );
      expect(exp.code, exp.stderr).toBe(0);
    }
    const ls = await runCli(['runs', 'ls', '--db', url, '--json'], temp.dir);
    expect(ls.code, ls.stderr).toBe(0);
    const runs = JSON.parse(ls.stdout) as { id: number; status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);

    const compare = await runCli(
      ['compare', ...runs.map((r) => String(r.id)), '--db', url],
      temp.dir,
    );
    expect(compare.code, compare.stderr).toBe(0);
    expect(compare.stdout).toContain('train.optimizer.learningRate');

    const query = await runCli(
      [
        'query',
        'SELECT (SELECT count(*) FROM metric_points) AS n, (SELECT sum(count) FROM run_metrics) AS summed, (SELECT count(*) FROM metric_points WHERE key = $$train/loss$$) AS losses',
        '--db',
        url,
        '--json',
      ],
      temp.dir,
    );
    expect(query.code, query.stderr).toBe(0);
    // Every value written once: the points equal the summaries' counts; 3 steps per run.
    const [counts] = JSON.parse(query.stdout) as { n: number; summed: number; losses: number }[];
    expect(counts!.n).toBe(counts!.summed);
    expect(counts!.losses).toBe(2 * 3);

    const write = await runCli(['query', 'DELETE FROM runs', '--db', url], temp.dir);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/refused/);
    for (const output of [init, again, ls, compare, query, write]) {
      expect(output.stdout + output.stderr).not.toContain('hunter2');
    }
    expect(init.stdout).toContain('postgres:***@');
  }, 120_000);

  it('keeps the heartbeat of a run busy in one long evaluation, from a thread of its own', async () => {
    // One step, then one evaluation over 24,000 images: seconds without a flush, during which a
    // run on another machine would drift toward lost without the heartbeat thread.
    writeFileSync(join(temp.dir, 'slow-eval.yaml'), SLOW_EVAL_CONFIG);
    const child = startCli(['exp', 'slow-eval.yaml', '--db', url, '--quiet'], temp.dir, {
      RUNNER_HEARTBEAT_MS: '100',
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { busyMs, stalestMs, result } = await watchHeartbeat(child, async () => {
        const { rows } = await client.query<{ status: string; updated_at: string; points: string }>(
          `select r.status, r.updated_at, (select count(*) from runner.metrics m where m.run_id = r.id) as points
             from runner.runs r where r.name = 'slow-eval'`,
        );
        const row = rows[0];
        return (
          row && {
            status: row.status,
            updatedAt: Number(row.updated_at),
            points: Number(row.points),
          }
        );
      });
      expect(result.code, result.stderr).toBe(0);
      // The busy stretch was long enough for a missing heartbeat to show, and it never did.
      expect(busyMs).toBeGreaterThan(2500);
      expect(stalestMs).toBeLessThan(1200);
    } finally {
      await client.end();
    }
  }, 120_000);
});
