import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { planTrials, sweepTrialContext } from '../../src/train/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

const SWEEP_DEFAULTS = {
  sampler: 'grid' as const,
  tpe: { startupTrials: 10, gamma: 0.1, candidates: 24 },
  pruner: undefined,
  repeats: 1,
};

describe('planTrials', () => {
  it('crosses the YAML grid with --set lists, in order', async () => {
    const trials = planTrials(
      {
        grid: { 'train.optimizer.learningRate': [0.1, 0.01] },
        random: undefined,
        metric: 'test/accuracy',
        goal: 'maximize',
        ...SWEEP_DEFAULTS,
      },
      [{ path: 'data.batchSize', values: [32, 64] }],
      1,
    );
    expect(trials.map((t) => t.overrides)).toEqual([
      ['train.optimizer.learningRate=0.1', 'data.batchSize=32'],
      ['train.optimizer.learningRate=0.1', 'data.batchSize=64'],
      ['train.optimizer.learningRate=0.01', 'data.batchSize=32'],
      ['train.optimizer.learningRate=0.01', 'data.batchSize=64'],
    ]);
    expect(trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
  });

  it('samples a random space reproducibly within its bounds', async () => {
    const sweep = {
      grid: undefined,
      random: {
        trials: 20,
        space: {
          'train.optimizer.learningRate': { logUniform: [1e-5, 1e-1] as const },
          'data.batchSize': { choice: [32, 64, 128] },
          'train.epochs': { intUniform: [1, 3] as const },
        },
      },
      metric: 'test/loss',
      goal: 'minimize' as const,
      ...SWEEP_DEFAULTS,
      sampler: 'random' as const,
    };
    const a = planTrials(sweep, [], 7);
    expect(planTrials(sweep, [], 7)).toEqual(a);
    expect(planTrials(sweep, [], 8)).not.toEqual(a);
    for (const trial of a) {
      const lr = trial.assignments['train.optimizer.learningRate'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThanOrEqual(1e-1);
      expect([32, 64, 128]).toContain(trial.assignments['data.batchSize']);
      expect([1, 2, 3]).toContain(trial.assignments['train.epochs']);
    }
    expect(new Set(a.map((t) => t.assignments['train.epochs'])).size).toBe(3);
  });

  it('refuses an empty axis and a sweep with nothing to vary', async () => {
    expect(() => planTrials(undefined, [{ path: 'data.batchSize', values: [] }], 1)).toThrow(
      /data\.batchSize has no values/,
    );
    expect(() => planTrials(undefined, [], 1)).toThrow(/nothing to vary/);
  });
});

describe('median stopping', () => {
  let store: Store | undefined;
  let cleanup = (): void => {};
  afterEach(async () => {
    store?.close();
    cleanup();
  });

  it('prunes a trial worse than the median of finished trials at the same epoch', async () => {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    store = await openStore(join(temp.dir, 'runner.db'));
    const sweepId = await store.createSweep({
      name: 's',
      configYaml: '',
      definition: { sweep: { earlyStop: { type: 'median', minEpochs: 2 } } },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 4,
      host: 'h',
    });
    // Three finished trials: accuracy at epoch 2 of 0.6, 0.8, 0.9 (median 0.8).
    for (const [index, accuracy] of [0.6, 0.8, 0.9].entries()) {
      const id = await store!.createRun(newRun({ sweepId, trialIndex: index }));
      const writer = await store!.createMetricWriter(id);
      writer.add('test/accuracy', 10, 1, accuracy - 0.1);
      writer.add('test/accuracy', 20, 2, accuracy);
      await writer.close();
      await store!.finishRun(id, { status: 'completed' });
    }
    const context = await sweepTrialContext(store, { sweepId, trialIndex: 3 }, { maxEpochs: 5 });
    expect(await context.shouldPrune?.(2, { 'test/accuracy': 0.7 })).toEqual({
      reason: expect.stringMatching(
        /^pruned at epoch 2: test\/accuracy 0.7 is worse than the median 0.8 of 3 completed trials there$/,
      ),
      // Median stopping has no rungs: it stopped at epoch 2.
      prunedAt: { rung: null, epoch: 2 },
    });
    expect(await context.shouldPrune?.(2, { 'test/accuracy': 0.85 })).toBe(false);
    // Before minEpochs nothing is pruned.
    expect(await context.shouldPrune?.(1, { 'test/accuracy': 0.1 })).toBe(false);
  });

  it('never prunes when the sweep did not ask for it', async () => {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    store = await openStore(join(temp.dir, 'runner.db'));
    const sweepId = await store.createSweep({
      name: 's',
      configYaml: '',
      definition: {},
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 1,
      host: 'h',
    });
    expect(
      (await sweepTrialContext(store, { sweepId, trialIndex: 0 }, { maxEpochs: 5 })).shouldPrune,
    ).toBeUndefined();
  });
});
