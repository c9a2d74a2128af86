import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SweepDistribution, SweepSpec } from '../../src/config/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import {
  bracketOf,
  openTrialSource,
  planTrials,
  searchHistory,
  type SweepDefinition,
  type TrialPlan,
} from '../../src/train/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

const SPACE: Record<string, SweepDistribution> = {
  'train.optimizer.learningRate': { logUniform: [1e-5, 1] },
  'model.layers[0].conv2d.filters': { intUniform: [1, 16] },
};

function spec(
  sampler: 'random' | 'tpe',
  trials: number,
  extra: Partial<SweepSpec> = {},
): SweepSpec {
  return {
    sampler,
    grid: undefined,
    random: { trials, space: SPACE },
    tpe: { startupTrials: 4, gamma: 0.1, candidates: 24, constantLiar: true },
    metric: 'test/accuracy',
    goal: 'maximize',
    pruner: undefined,
    repeats: 1,
    ...extra,
  };
}

function definition(sweep: SweepSpec, trials: readonly TrialPlan[], epochs = 1): SweepDefinition {
  return { file: '/x.yaml', overrides: [], axes: [], sweep, trials, seed: 7, epochs };
}

const trialOf = (index: number, assignments: Record<string, unknown>): TrialPlan => ({
  index,
  configuration: index,
  repeat: 0,
  assignments,
  overrides: [],
});

describe('sweep search (TPE over the store)', () => {
  let store: Store | undefined;
  let cleanup = (): void => {};
  afterEach(async () => {
    await store?.close();
    cleanup();
  });

  async function open(def: SweepDefinition): Promise<number> {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    store = await openStore(join(temp.dir, 'runner.db'));
    return store.createSweep({
      name: 's',
      configYaml: '',
      definition: def,
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 10,
      host: 'h',
    });
  }

  async function finish(sweepId: number, trialIndex: number, value: number): Promise<void> {
    const runId = await store!.createRun(newRun({ sweepId, trialIndex }));
    const writer = await store!.createMetricWriter(runId);
    writer.add('test/accuracy', 10, 1, value);
    await writer.close();
    await store!.finishRun(runId, { status: 'completed' });
  }

  it("starts a tpe sweep from the random sweep's own trials for the seed", async () => {
    const sweepId = await open(definition(spec('tpe', 10), []));
    const source = await openTrialSource(store!, sweepId);
    const handed = [];
    for (let i = 0; i < 4; i++) handed.push((await source.next())!.assignments);
    const random = planTrials(spec('random', 10), [], 7).map((t) => t.assignments);
    expect(handed).toEqual(random.slice(0, 4));
    // Recorded before they run, so a resume hands out the same.
    const recorded = (await store!.getSweep(sweepId))!.definition as SweepDefinition;
    expect(recorded.trials.map((t) => t.assignments)).toEqual(handed);
  });

  it('learns from configurations handed out and not finished as running (constant liar), unless turned off', async () => {
    const trials = [0, 1, 2].map((i) => trialOf(i, { 'train.optimizer.learningRate': 10 ** -i }));
    const sweepId = await open(definition(spec('tpe', 10), trials));
    await finish(sweepId, 0, 0.9);
    // Trial 1 runs (a run, not ended); trial 2 was handed out and has not started.
    await store!.createRun(newRun({ sweepId, trialIndex: 1 }));
    const runs = await store!.listSweepTrials(sweepId);
    const history = searchHistory(definition(spec('tpe', 10), trials), runs, 'test/accuracy', 3);
    expect(history.map((c) => c.status)).toEqual(['completed', 'running', 'running']);
    expect(history.map((c) => c.assignments['train.optimizer.learningRate'])).toEqual([
      1, 0.1, 0.01,
    ]);
    const off = spec('tpe', 10, {
      tpe: { startupTrials: 4, gamma: 0.1, candidates: 24, constantLiar: false },
    });
    expect(
      searchHistory(definition(off, trials), runs, 'test/accuracy', 3).map((c) => c.status),
    ).toEqual(['completed']);
  });

  it("keeps hyperband's brackets apart: a configuration learns from its own bracket only", async () => {
    const pruner = { type: 'hyperband', minEpochs: 1, reductionFactor: 3, brackets: 3 } as const;
    const sweep = spec('tpe', 20, { pruner });
    const trials = Array.from({ length: 17 }, (_, i) =>
      trialOf(i, { 'train.optimizer.learningRate': (i + 1) / 100 }),
    );
    const sweepId = await open(definition(sweep, trials, 9));
    for (const trial of trials) await finish(sweepId, trial.index, trial.index / 20);
    const runs = await store!.listSweepTrials(sweepId);
    for (const next of [17, 26, 31]) {
      const history = searchHistory(definition(sweep, trials, 9), runs, 'test/accuracy', next);
      const expected = trials
        .filter((t) => bracketOf(pruner, t.index, 9) === bracketOf(pruner, next, 9))
        .map((t) => t.assignments);
      expect(history.map((c) => c.assignments)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(17);
    }
    // Without hyperband every finished configuration counts.
    const all = searchHistory(definition(spec('tpe', 20), trials, 9), runs, 'test/accuracy', 17);
    expect(all).toHaveLength(17);
  });
});
