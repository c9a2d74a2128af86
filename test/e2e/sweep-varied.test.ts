import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { getJson } from '../dashboard/http-client.js';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('sweep-varied');
afterAll(() => ws.remove());

interface SweepBody {
  varied: string[];
  trials: { trial: number; name: string; params: Record<string, unknown> }[];
}

describe('a sweep with fixed --set overrides (the README command)', () => {
  it('varies only the --set list: the API, the run names and the trial lines say so, trials 1-based', async () => {
    const file = ws.write(
      'lenet.yaml',
      syntheticConfig({ name: 'lenet5-mnist', train: 64, test: 32 }),
    );
    const db = `${ws.dir}/varied.db`;
    const { code, stderr } = await runCli(
      [
        'sweep',
        file,
        '--set',
        'train.optimizer.learningRate=1e-2,1e-3,1e-4',
        '--set',
        'train.epochs=1',
        '--set',
        'data.batchSize=16',
        '--parallel',
        '2',
        '--db',
        db,
      ],
      ws.dir,
    );
    expect(code).toBe(0);
    // The completed-trial line carries the metric.
    expect(stderr).toMatch(/trial [123]\/3 completed test\/accuracy \d\.\d{4} \(run \d+\)/);
    const names = readStore(db, (sql) =>
      (sql.prepare('select name from runs order by trial_index').all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    expect(names).toEqual([
      'lenet5-mnist lr=0.01',
      'lenet5-mnist lr=0.001',
      'lenet5-mnist lr=0.0001',
    ]);

    const ls = await runCli(['sweeps', 'ls', '--db', db, '--json'], ws.dir);
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as { id: number; varied: string; trials: string }[];
    expect(listed.map((s) => [s.id, s.varied, s.trials])).toEqual([
      [1, 'train.optimizer.learningRate', '3/3'],
    ]);
    const show = await runCli(['sweeps', 'show', '1', '--db', db, '--json'], ws.dir);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as {
      varied: string[];
      overrides: string[];
      trials: { trial: number; status: string; values: Record<string, unknown>; metric: number }[];
      best: { trial: number; metric: number };
    };
    expect(shown.varied).toEqual(['train.optimizer.learningRate']);
    expect(shown.overrides).toEqual(['train.epochs=1', 'data.batchSize=16']);
    expect(shown.trials.map((t) => [t.trial, t.status, t.values])).toEqual([
      [1, 'completed', { 'train.optimizer.learningRate': 0.01 }],
      [2, 'completed', { 'train.optimizer.learningRate': 0.001 }],
      [3, 'completed', { 'train.optimizer.learningRate': 0.0001 }],
    ]);
    expect(shown.best.metric).toBe(Math.max(...shown.trials.map((t) => t.metric)));
    const table = await runCli(['sweeps', 'show', '1', '--db', db], ws.dir);
    expect(table.stdout).toContain('varied: train.optimizer.learningRate');
    expect(table.stdout).toContain(`best: trial ${shown.best.trial} (run `);
    expect((await runCli(['sweeps', 'show', '9', '--db', db], ws.dir)).stderr).toContain(
      'there is no sweep 9',
    );

    const dashboard = await startDashboard({ dbPath: db, port: 0 });
    try {
      const { status, body } = await getJson<SweepBody>(dashboard.port, '/api/sweeps/1');
      expect(status).toBe(200);
      expect(body.varied).toEqual(['train.optimizer.learningRate']);
      const byTrial = [...body.trials].sort((a, b) => a.trial - b.trial);
      expect(byTrial.map((t) => [t.trial, t.params])).toEqual([
        [1, { 'train.optimizer.learningRate': 0.01 }],
        [2, { 'train.optimizer.learningRate': 0.001 }],
        [3, { 'train.optimizer.learningRate': 0.0001 }],
      ]);
    } finally {
      await dashboard.close();
    }
  }, 120_000);
});
