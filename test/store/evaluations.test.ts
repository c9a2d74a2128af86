import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

describe('evaluations', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  const open = () => {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    return openStore(join(temp.dir, 'runner.db'));
  };

  it('records evaluations linked to their run, oldest first, with the confusion matrix', async () => {
    const store = await open();
    const runId = await store.createRun(newRun());
    const other = await store.createRun(newRun({ name: 'other' }));
    const first = await store.addEvaluation({
      runId,
      kind: 'training',
      checkpoint: 'final',
      split: 'test',
      data: { dataset: 'synthetic' },
      count: 5,
      metrics: { loss: 0.5, accuracy: 0.8 },
      classes: ['cat', 'dog'],
      confusion: [
        [2, 1],
        [0, 2],
      ],
    });
    const second = await store.addEvaluation({
      runId,
      kind: 'eval',
      checkpoint: 'best',
      split: 'data',
      data: { dataset: 'images', test: { dir: 'x' } },
      count: 3,
      metrics: { loss: Number.NaN, rmse: 1.5 },
    });
    expect(second).toBeGreaterThan(first);
    const rows = await store.listEvaluations(runId);
    expect(rows.map((r) => r.id)).toEqual([first, second]);
    expect(rows[0]).toMatchObject({
      kind: 'training',
      count: 5,
      classes: ['cat', 'dog'],
      confusion: [
        [2, 1],
        [0, 2],
      ],
    });
    expect(rows[1]!.metrics).toEqual({ loss: null, rmse: 1.5 });
    expect(rows[1]!.confusion).toBeUndefined();
    expect(await store.listEvaluations(other)).toEqual([]);
    expect(
      (await store.query('select count(*) from evaluations where run_id = ?', [runId])).rows,
    ).toEqual([[2]]);
    await store.close();
  });

  it('refuses an evaluation of an unknown run, and deletes evaluations with their run', async () => {
    const store = await open();
    await expect(
      store.addEvaluation({
        runId: 42,
        kind: 'eval',
        checkpoint: 'final',
        split: 'test',
        data: null,
        count: 1,
        metrics: {},
      }),
    ).rejects.toThrow(/no run with id 42/);
    const runId = await store.createRun(newRun());
    await store.addEvaluation({
      runId,
      kind: 'eval',
      checkpoint: 'final',
      split: 'test',
      data: null,
      count: 1,
      metrics: { loss: 1 },
    });
    expect(await store.deleteRuns([runId])).toBe(1);
    expect((await store.query('select count(*) from evaluations')).rows).toEqual([[0]]);
    await store.close();
  });
});
