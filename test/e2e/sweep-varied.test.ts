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
