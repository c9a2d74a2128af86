import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, startCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('exp-workers');
afterAll(() => ws.remove());

function metricCount(runId: number, key: string): number {
  return readStore(ws.db, (sql) => {
    const row = sql
      .prepare('select count(*) as n from metrics where run_id = ? and key = ?')
      .get(runId, key) as { n: number };
    return row.n;
  });
}

describe('runner exp with train.workers', () => {
  it('prints and records the workers it trained with', async () => {
    const file = ws.write(
      'two.yaml',
      syntheticConfig({ name: 'two', epochs: 1, extra: '  workers: 2\n' }),
    );
    const { code, stderr, stdout } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(code).toBe(0);
    const out = stdout + stderr;
    expect(out).toMatch(/workers\s+2 \(train\.workers: 2\)/);
    expect(out).toMatch(/notice\s+data-parallel: 2 replicas/);
    const runId = Number(/run (\d+) two completed/.exec(out)?.[1]);
    const workers = readStore(ws.db, (sql) =>
      sql.prepare("select value from metrics where run_id = ? and key = 'perf/workers'").all(runId),
    );
    expect(workers).toEqual([{ value: 2 }]);
  });

  it('stops on SIGINT after the current step, keeping every step, as with one worker', async () => {
    const file = ws.write(
      'long.yaml',
      syntheticConfig({
        name: 'to-interrupt',
        train: 20_000,
        batchSize: 32,
        epochs: 3,
        extra: '  workers: 2\n',
      }),
    );
    const child = startCli(['exp', file, '--db', ws.db], ws.dir);
    let runId: number | undefined;
    for (let i = 0; i < 600 && runId === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(ws.db)) continue;
      runId = readStore(ws.db, (sql) => {
        const row = sql
          .prepare(
            "select r.id from runs r where r.name = 'to-interrupt' and exists (select 1 from metrics m where m.run_id = r.id and m.key = 'train/loss')",
          )
          .get() as { id: number } | undefined;
        return row?.id;
      });
    }
    expect(runId).toBeDefined();
    child.kill('SIGINT');
    const { code, stdout } = await child.result;
    expect(code).toBe(130);
    const status = readStore(ws.db, (sql) =>
      sql.prepare('select status from runs where id = ?').get(runId),
    );
    expect(status).toEqual({ status: 'interrupted' });
    const steps = Number(/after (\d+) steps/.exec(stdout)?.[1]);
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(625); // stopped in epoch 1
    expect(metricCount(runId!, 'train/loss')).toBe(steps);
    expect(metricCount(runId!, 'train/accuracy')).toBe(steps);
  });
});
