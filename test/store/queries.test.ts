import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { downsample, flattenConfig, metricGoal, openStore } from '../../src/store/index.js';
import type { CurvePoint, Store } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

let store: Store;
let cleanup: () => void;
let path: string;
beforeEach(async () => {
  const temp = makeTempDir('store');
  cleanup = temp.remove;
  path = join(temp.dir, 'runner.db');
  store = await openStore(path);
});
afterEach(async () => {
  await store.close();
  cleanup();
});

async function recordRun(steps: number, name = 'lenet'): Promise<number> {
  const id = await store.createRun(newRun({ name }));
  const writer = await store.createMetricWriter(id);
  for (let step = 1; step <= steps; step++) {
    writer.add('train/loss', step, Math.floor((step - 1) / 10), 1 / step);
    if (step % 10 === 0) writer.add('test/accuracy', step, step / 10 - 1, step / (steps + 1));
  }
  await writer.close();
  return id;
}

const runCount = async (): Promise<number> =>
  (await store.query('SELECT count(*) FROM runs')).rows[0]![0] as number;

describe('query (read-only SQL)', () => {
  it('answers SELECTs over the documented views', async () => {
    const id = await recordRun(20);
    await store.finishRun(id, { status: 'completed' });
    const result = await store.query(
      `SELECT id, status, steps, final_train_loss, final_test_accuracy, best_test_accuracy FROM run_summary`,
    );
    expect(result.columns).toEqual([
      'id',
      'status',
      'steps',
      'final_train_loss',
      'final_test_accuracy',
      'best_test_accuracy',
    ]);
    expect(result.rows).toEqual([[id, 'completed', 20, 1 / 20, 20 / 21, 20 / 21]]);
    expect(
      (await store.query(`SELECT count(*) FROM metric_points WHERE key = 'train/loss'`)).rows,
    ).toEqual([[20]]);
    expect(
      (await store.query(`SELECT value FROM run_params WHERE key = 'train.optimizer.learningRate'`))
        .rows,
    ).toEqual([[0.001]]);
    expect(
      (await store.query(`SELECT key, best, best_step FROM run_metrics ORDER BY key`)).rows,
    ).toEqual([
      ['test/accuracy', 20 / 21, 20],
      ['train/loss', 1 / 20, 20],
    ]);
    expect((await store.query('SELECT * FROM params LIMIT 1')).columns).toEqual([
      'run_id',
      'key',
      'value',
    ]);
    expect((await store.query('SELECT * FROM metrics LIMIT 1')).columns).toEqual([
      'run_id',
      'key',
      'step',
      'epoch',
      'value',
      'time',
    ]);
  });

  it.each([
    ['DELETE FROM runs', /refused: DELETE statements/],
    ['  delete from metric_values', /refused: DELETE/],
    ['UPDATE runs SET name = 1', /refused: UPDATE/],
    ["INSERT INTO params VALUES (1, 'x', 1)", /refused: INSERT/],
    ['DROP TABLE runs', /refused: DROP/],
    ["ATTACH DATABASE '/tmp/x.db' AS x", /refused: ATTACH/],
    ['PRAGMA user_version = 99', /refused: PRAGMA assignments/],
    ['VACUUM', /refused: VACUUM/],
    ['-- sneaky\nDELETE FROM runs', /refused: DELETE/],
    [
      'WITH doomed AS (SELECT id FROM runs) DELETE FROM runs WHERE id IN doomed',
      /refused: this statement writes/,
    ],
    ['SELECT 1; DELETE FROM runs', /invalid SQL: .*more than one statement/],
  ])('refuses %j and changes nothing', async (sql, message) => {
    await recordRun(5);
    await expect(store.query(sql)).rejects.toThrow(message);
    await expect(store.query(sql)).rejects.toThrow(StoreError);
    expect(await runCount()).toBe(1);
    expect((await store.query('SELECT count(*) FROM metric_values')).rows[0]![0]).toBe(5);
    expect((await store.query('PRAGMA user_version')).rows[0]![0]).toBe(store.schemaVersion);
  });

  it('explains invalid SQL in one line', async () => {
    await expect(store.query('SELEC * FROM runs')).rejects.toThrow(
      /invalid SQL: "SELEC" does not start a query/,
    );
    await expect(store.query('SELECT * FROM nope')).rejects.toThrow(
      'invalid SQL: no such table: nope',
    );
    await expect(store.query('   ')).rejects.toThrow('the query is empty');
  });
});

describe('runs, curves and sweeps', () => {
  it('records facts learnt later and how the run ended', async () => {
    const id = await store.createRun(newRun());
    await store.setRunFacts(id, {
      backend: 'wasm',
      backendReason: 'tfjs-node is not installed',
      artifactsDir: '/tmp/runs/1',
      parameterCount: 61706,
      notices: ['using the offline MNIST sample'],
    });
    await store.setRunFacts(id, { notices: ['second notice'] });
    await store.finishRun(id, { status: 'diverged', error: 'loss is NaN', divergedAtStep: 17 });
    expect(await store.getRun(id)).toMatchObject({
      status: 'diverged',
      backend: 'wasm',
      backendReason: 'tfjs-node is not installed',
      artifactsDir: '/tmp/runs/1',
      parameterCount: 61706,
      notices: ['using the offline MNIST sample', 'second notice'],
      error: 'loss is NaN',
      divergedAtStep: 17,
      params: expect.objectContaining({
        'data.shuffle': true,
        'train.optimizer.type': 'adam',
      }) as unknown,
    });
    expect((await store.getRun(id))!.endedAt).not.toBeNull();
    await expect(store.finishRun(404, { status: 'failed' })).rejects.toThrow(/no run with id 404/);
    await expect(store.setRunFacts(404, { backend: 'cpu' })).rejects.toThrow(/no run with id 404/);
  });

  it('reads a curve in step order, incrementally, or downsampled keeping extremes', async () => {
    const id = await recordRun(1000);
    const curve = await store.getCurve(id, 'train/loss');
    expect(curve).toHaveLength(1000);
    expect(curve.map((p) => p.step)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect((await store.getCurve(id, 'train/loss', { afterStep: 995 })).map((p) => p.step)).toEqual(
      [996, 997, 998, 999, 1000],
    );
    const small = await store.getCurve(id, 'train/loss', { maxPoints: 100 });
    expect(small.length).toBeLessThanOrEqual(100);
    expect(small[0]).toEqual(curve[0]);
    expect(small.at(-1)).toEqual(curve.at(-1));
    expect(await store.getCurve(id, 'no/such')).toEqual([]);
    expect(await store.metricKeys(id)).toEqual(['test/accuracy', 'train/loss']);
  });

  it('downsampling keeps a spike', async () => {
    const points: CurvePoint[] = Array.from({ length: 10_000 }, (_, i) => ({
      step: i + 1,
      epoch: 0,
      value: i === 5_432 ? 99 : 1,
      time: i,
    }));
    const kept = downsample(points, 300);
    expect(kept.length).toBeLessThanOrEqual(300);
    expect(kept.some((p) => p.value === 99)).toBe(true);
    expect(kept.map((p) => p.step)).toEqual([...kept.map((p) => p.step)].sort((a, b) => a - b));
  });

  it('deletes runs with all their rows, leaving others intact', async () => {
    const a = await recordRun(50, 'a');
    const b = await recordRun(50, 'b');
    expect(await store.deleteRuns([a, 12345])).toBe(1);
    for (const table of ['metric_values', 'run_metric_summary', 'params']) {
      expect(
        (await store.query(`SELECT count(*) FROM ${table} WHERE run_id = ?`, [a])).rows[0]![0],
      ).toBe(0);
      expect(
        (await store.query(`SELECT count(*) FROM ${table} WHERE run_id = ?`, [b])).rows[0]![0],
      ).not.toBe(0);
    }
    expect(await store.missingRuns([a, b])).toEqual([a]);
  });

  it('links trials to their sweep and answers the metric at an epoch', async () => {
    const sweepId = await store.createSweep({
      name: 'lr-sweep',
      configYaml: 'name: lenet\n',
      definition: { grid: { 'train.optimizer.learningRate': [0.1, 0.01] } },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 2,
      host: 'h',
    });
    const trials = [];
    for (const trialIndex of [1, 0])
      trials.push(await store.createRun(newRun({ sweepId, trialIndex })));
    for (const [i, id] of trials.entries()) {
      const writer = await store.createMetricWriter(id);
      writer.add('test/accuracy', 10, 0, 0.5 + i / 10);
      writer.add('test/accuracy', 20, 1, [0.7, 0.8][i]!);
      await writer.close();
    }
    expect((await store.listSweepTrials(sweepId)).map((r) => r.trialIndex)).toEqual([0, 1]);
    expect(await store.metricAtEpoch(trials, 'test/accuracy', 1)).toEqual(
      new Map([
        [trials[0]!, 0.7],
        [trials[1]!, 0.8],
      ]),
    );
    await store.setSweepStatus(sweepId, 'interrupted');
    expect(await store.getSweep(sweepId)).toMatchObject({
      status: 'interrupted',
      goal: 'maximize',
      trialCount: 2,
    });
    await store.setSweepStatus(sweepId, 'running');
    expect((await store.getSweep(sweepId))!.endedAt).toBeNull();
    expect((await store.listSweeps()).map((s) => s.id)).toEqual([sweepId]);
    await expect(store.createRun(newRun({ sweepId: 77 }))).rejects.toThrow(/no sweep with id 77/);
    await expect(store.listSweepTrials(77)).rejects.toThrow(/no sweep with id 77/);
  });
});

describe('helpers', () => {
  it('flattens a config into dotted params', async () => {
    expect(
      flattenConfig({
        seed: 1,
        train: { optimizer: { learningRate: 0.001 } },
        model: { layers: [{ dense: { units: 10 } }], input: [] },
        sweep: { grid: { 'train.epochs': [1, 2] } },
        x: null,
      }),
    ).toEqual([
      ['seed', 1],
      ['train.optimizer.learningRate', 0.001],
      ['model.layers[0].dense.units', 10],
      ['model.input', '[]'],
      // A key with a dot in it is quoted, as --set takes it back.
      ['sweep.grid["train.epochs"][0]', 1],
      ['sweep.grid["train.epochs"][1]', 2],
      ['x', null],
    ]);
  });

  it('knows that losses are minimized and accuracies maximized', async () => {
    expect(metricGoal('test/loss')).toBe('minimize');
    expect(metricGoal('val/error_rate')).toBe('minimize');
    expect(metricGoal('test/accuracy')).toBe('maximize');
    expect(metricGoal('perf/images_per_sec')).toBe('maximize');
  });
});

describe('comparing settings', () => {
  it('marks no winner for a learning rate, which is a setting, not a result', async () => {
    const ids: number[] = [];
    for (const lr of [0.01, 0.001]) {
      const id = await store.createRun(newRun({ learningRate: lr }));
      const writer = await store.createMetricWriter(id);
      writer.add('train/learning_rate', 10, 0, lr);
      writer.add('test/accuracy', 10, 0, lr * 10);
      await writer.close();
      ids.push(id);
    }
    const { metrics } = await store.compareRuns(ids);
    expect(metrics.find((m) => m.key === 'train/learning_rate')).toMatchObject({
      finalWinner: null,
      bestWinner: null,
    });
    expect(metrics.find((m) => m.key === 'test/accuracy')).toMatchObject({
      finalWinner: 0,
      bestWinner: 0,
    });
  });
});

describe('key params of a listing', () => {
  it('names the params that differ among the listed runs, or that some lack', async () => {
    const a = await store.createRun(newRun({ learningRate: 0.1, batchSize: 64 }));
    const b = await store.createRun(newRun({ learningRate: 0.01, batchSize: 64 }));
    const c = await store.createRun({
      ...newRun({ learningRate: 0.01 }),
      params: [['extra.flag', true]],
    });
    expect(await store.varyingParamKeys([a, b])).toEqual(['train.optimizer.learningRate']);
    expect(await store.varyingParamKeys([a])).toEqual([]);
    expect(await store.varyingParamKeys([b, c])).toContain('extra.flag');
    expect(await store.getParams([a, b], ['data.batchSize'])).toEqual(
      new Map([
        [a, { 'data.batchSize': 64 }],
        [b, { 'data.batchSize': 64 }],
      ]),
    );
  });
});
