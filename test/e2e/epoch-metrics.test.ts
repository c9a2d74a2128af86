import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

/**
 * The epoch's mean train loss and accuracy (each batch by its size) are recorded and are
 * what summaries show; a last partial batch is no run's result. Settings and speeds get no best.
 */
describe('epoch mean train metrics', () => {
  const ws = makeTempDir('epoch-metrics');
  afterAll(() => ws.remove());
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    // 250 examples at batch 32: 7 full batches and a last one of 26 per epoch.
    const file = ws.write('partial.yaml', syntheticConfig({ train: 250, test: 60, epochs: 2 }));
    const result = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(result.code, result.stderr).toBe(0);
    ({ stdout, stderr } = result);
  }, 120_000);

  const values = (key: string): { step: number; epoch: number; value: number }[] =>
    readStore(
      ws.db,
      (sql) =>
        sql
          .prepare(
            'SELECT step, epoch, value FROM metrics WHERE run_id = 1 AND key = ? ORDER BY step',
          )
          .all(key) as { step: number; epoch: number; value: number }[],
    );

  it('records train/epoch_loss and train/epoch_accuracy as the size-weighted means of the steps', () => {
    const sizes = [32, 32, 32, 32, 32, 32, 32, 26];
    const loss = values('train/loss');
    const accuracy = values('train/accuracy');
    const epochLoss = values('train/epoch_loss');
    const epochAccuracy = values('train/epoch_accuracy');
    expect(epochLoss.map((p) => p.step)).toEqual([8, 16]);
    for (const epoch of [1, 2]) {
      const steps = loss.filter((p) => p.epoch === epoch);
      const correct = accuracy.filter((p) => p.epoch === epoch);
      expect(steps).toHaveLength(8);
      const mean = steps.reduce((sum, p, i) => sum + p.value * sizes[i]!, 0) / 250;
      const right = correct.reduce((sum, p, i) => sum + p.value * sizes[i]!, 0);
      expect(epochLoss[epoch - 1]!.value).toBeCloseTo(mean, 9);
      expect(epochAccuracy[epoch - 1]!.value).toBeCloseTo(right / 250, 9);
      // Right predictions are whole examples.
      expect(Math.abs(right - Math.round(right))).toBeLessThan(1e-6);
    }
    expect(stderr).toMatch(
      new RegExp(
        `^epoch 2/2  train loss ${epochLoss[1]!.value.toFixed(4)}  acc ${epochAccuracy[1]!.value.toFixed(4)}  test loss`,
        'm',
      ),
    );
  });

  it('summarises training by the epoch means in runs show, and gives settings and speeds no best', async () => {
    const show = await runCli(['runs', 'show', '1', '--db', ws.db], ws.dir);
    const table = show.stdout.split('\n\n')[1]!.split('\n');
    const row = (key: string) => table.find((line) => line.startsWith(`${key} `));
    expect(row('train/epoch_accuracy')).toBeDefined();
    expect(row('train/epoch_loss')).toBeDefined();
    expect(row('train/accuracy')).toBeUndefined();
    expect(row('train/loss')).toBeUndefined();
    // Curves keep the per-step values.
    expect(show.stdout).toMatch(/^ {2}train\/accuracy +\S+ .* \(16 points\)$/m);
    const columns = table[0]!.indexOf('best at step');
    for (const key of ['train/learning_rate', 'perf/images_per_sec', 'perf/workers']) {
      const line = row(key)!;
      expect(line.slice(table[0]!.indexOf('best') - 4, columns + 12).trim(), key).toBe('');
    }
    const json = JSON.parse(
      (await runCli(['runs', 'show', '1', '--json', '--db', ws.db], ws.dir)).stdout,
    ) as {
      metrics: Record<string, { best: number | null; ranked: boolean }>;
    };
    expect(json.metrics['train/learning_rate']).toMatchObject({ best: null, ranked: false });
    expect(json.metrics['perf/images_per_sec']).toMatchObject({ best: null, ranked: false });
    expect(json.metrics['test/accuracy']!.ranked).toBe(true);
  });

  it('compares runs by the epoch means and marks no winner for a setting', async () => {
    const again = await runCli(
      [
        'exp',
        ws.write(
          'b.yaml',
          syntheticConfig({ train: 250, test: 60, epochs: 2, learningRate: 0.003 }),
        ),
        '--db',
        ws.db,
        '--quiet',
      ],
      ws.dir,
    );
    expect(again.code, again.stderr).toBe(0);
    const compare = JSON.parse(
      (await runCli(['compare', '1', '2', '--json', '--db', ws.db], ws.dir)).stdout,
    ) as {
      metrics: { key: string; finalWinner: number | null; bestWinner: number | null }[];
    };
    const keys = compare.metrics.map((m) => m.key);
    expect(keys).toContain('train/epoch_accuracy');
    expect(keys).not.toContain('train/accuracy');
    expect(compare.metrics.find((m) => m.key === 'perf/images_per_sec')).toMatchObject({
      finalWinner: null,
      bestWinner: null,
    });
    expect(stdout).toMatch(
      /^ {2}runner runs show 1 {2}details and curves\n {2}runner runs ls {6}all runs\n {2}runner serve {8}live dashboard$/m,
    );
  });
});
