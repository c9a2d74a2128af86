import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PrunerSpec } from '../../src/config/index.js';
import {
  SWEEP_PRUNER_KINDS,
  SWEEP_SAMPLER_KINDS,
} from '../../src/config/build-experiment-schema.js';
import { openStore, type Store } from '../../src/store/index.js';
import { formatPrunedRung, prunedRungOf } from '../../src/train/sweep-pruners.js';
import {
  bracketOf,
  PRUNERS,
  prunerEntry,
  SAMPLERS,
  sweepTrialContext,
} from '../../src/train/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

type Hyperband = Extract<PrunerSpec, { type: 'hyperband' }>;

/**
 * Trials one after another, each writing `quality · epoch / epochs` at every epoch end and
 * asking its sweep's pruner through the store, as a trial process does.
 */
async function scriptedSweep(
  store: Store,
  pruner: PrunerSpec,
  qualities: readonly number[],
  epochs: number,
): Promise<{ status: string; epoch: number; reason: string | undefined }[]> {
  const sweepId = await store.createSweep({
    name: 's',
    configYaml: '',
    definition: {
      sweep: { pruner },
      trials: qualities.map((_, index) => ({ index, assignments: {}, overrides: [] })),
    },
    metric: 'test/accuracy',
    goal: 'maximize',
    trialCount: qualities.length,
    host: 'h',
  });
  const results = [];
  for (const [trialIndex, quality] of qualities.entries()) {
    const runId = await store.createRun(newRun({ sweepId, trialIndex }));
    const context = await sweepTrialContext(store, { sweepId, trialIndex }, { maxEpochs: epochs });
    let result = { status: 'completed', epoch: epochs, reason: undefined as string | undefined };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const value = (quality * epoch) / epochs;
      const writer = await store.createMetricWriter(runId);
      writer.add('test/accuracy', epoch * 10, epoch, value);
      await writer.close();
      const verdict = await context.shouldPrune?.(epoch, { 'test/accuracy': value });
      if (typeof verdict === 'object') {
        result = { status: 'pruned', epoch, reason: verdict.reason };
        // As runExperiment records it.
        await store.finishRun(runId, { status: 'pruned', prunedAt: verdict.prunedAt });
        break;
      }
      expect(verdict).toBe(false);
    }
    if (result.status === 'completed') await store.finishRun(runId, { status: 'completed' });
    results.push(result);
  }
  return results;
}

describe('pruners', () => {
  let store: Store | undefined;
  let cleanup = (): void => {};
  afterEach(async () => {
    await store?.close();
    cleanup();
  });

  it('successive halving prunes the expected trials at the expected rungs', async () => {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    store = await openStore(join(temp.dir, 'runner.db'));
    // Rungs at epochs 1 and 3 (minEpochs 1, η 3); epoch 9 is the last: no rung.
    const results = await scriptedSweep(
      store,
      { type: 'successiveHalving', minEpochs: 1, reductionFactor: 3 },
      [0.5, 0.6, 0.4, 0.9, 0.3, 0.7, 0.2, 0.8, 0.1],
      9,
    );
    expect(results.map((r) => `${r.status}@${r.epoch}`)).toEqual([
      'completed@9', // first at both rungs
      'completed@9', // best of 2 at both
      'pruned@1', // 3 at rung 0: only the best goes on
      'completed@9', // best everywhere
      'pruned@1',
      'pruned@3', // among the best 2 of 6 at rung 0, not the best 1 of 4 at rung 1
      'pruned@1',
      'pruned@3',
      'pruned@1',
    ]);
    expect(results[5]!.reason).toBe(
      'pruned at rung 1 (epoch 3): test/accuracy 0.2333 is not among the best 1 of 4 trials there (needs 0.3)',
    );
    expect(results[2]!.reason).toMatch(/^pruned at rung 0 \(epoch 1\): .* best 1 of 3 trials/);
    // The rung is a field of the run, read back from the store.
    const sweepId = (await store.listSweeps())[0]!.id;
    expect((await store.listSweepTrials(sweepId)).map((r) => r.prunedAt)).toEqual(
      results.map((r) =>
        r.status === 'pruned' ? { rung: r.epoch === 1 ? 0 : 1, epoch: r.epoch } : null,
      ),
    );
  });

  it('hyperband deals configurations to brackets by budget and starts later brackets later', async () => {
    const spec: Hyperband = {
      type: 'hyperband',
      minEpochs: 1,
      reductionFactor: 3,
      brackets: undefined,
    };
    // 9 epochs, η 3: 3 brackets with budgets 9, 5 and 3.
    const brackets = Array.from({ length: 17 }, (_, c) => bracketOf(spec, c, 9));
    expect(brackets).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2]);
    const rungs = (configuration: number): (number | undefined)[] =>
      Array.from(
        { length: 9 },
        (_, e) =>
          PRUNERS.hyperband.rungAt(spec, { epoch: e + 1, maxEpochs: 9, configuration })?.rung,
      );
    expect(rungs(0)).toEqual([
      0,
      undefined,
      1,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(rungs(9)).toEqual([
      undefined,
      undefined,
      0,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(rungs(14).every((r) => r === undefined)).toBe(true);
    expect(prunerEntry(spec).competes(spec, 0, 8, 9)).toBe(true);
    expect(prunerEntry(spec).competes(spec, 0, 9, 9)).toBe(false);
  });

  it('hyperband compares a trial only with its own bracket', async () => {
    const temp = makeTempDir('store');
    cleanup = temp.remove;
    store = await openStore(join(temp.dir, 'runner.db'));
    // 9 epochs, η 3: configurations 0-8 in bracket 0 (rungs at epochs 1 and 3), 9-13 in
    // bracket 1 (its one rung at epoch 3).
    const results = await scriptedSweep(
      store,
      { type: 'hyperband', minEpochs: 1, reductionFactor: 3, brackets: undefined },
      [0.9, 0.8, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.15],
      9,
    );
    expect(results.map((r) => `${r.status}@${r.epoch}`)).toEqual([
      'completed@9',
      ...Array.from({ length: 8 }, () => 'pruned@1'),
      // Worse than all of bracket 0, but first and best in their own bracket.
      'completed@9',
      'completed@9',
    ]);
  });

  it("reads back the rung and epoch from every pruner's reason", () => {
    const specs: PrunerSpec[] = [
      { type: 'median', minEpochs: 1 },
      { type: 'successiveHalving', minEpochs: 1, reductionFactor: 3 },
      { type: 'hyperband', minEpochs: 1, reductionFactor: 3, brackets: undefined },
    ];
    for (const spec of specs) {
      const entry = prunerEntry(spec);
      const rung = entry.rungAt(spec, { epoch: 3, maxEpochs: 9, configuration: 0 })!;
      const verdict = entry.decide(
        spec,
        rung,
        0.1,
        [0.9, 0.8, 0.7, 0.6],
        'maximize',
        'test/accuracy',
      );
      expect(verdict.prune, spec.type).toBe(true);
      if (!verdict.prune) continue;
      const read = prunedRungOf(['an earlier notice', verdict.reason]);
      expect(read, spec.type).toEqual({
        rung: spec.type === 'median' ? null : verdict.rung,
        epoch: 3,
      });
      expect(formatPrunedRung(read!)).toBe(
        spec.type === 'median' ? 'epoch 3' : `${verdict.rung} (epoch 3)`,
      );
    }
    expect(prunedRungOf(['stopped early: test/loss did not improve'])).toBeUndefined();
  });

  it('has one entry per kind the schema offers', () => {
    expect(Object.keys(PRUNERS).sort()).toEqual([...SWEEP_PRUNER_KINDS].sort());
    expect(Object.keys(SAMPLERS).sort()).toEqual([...SWEEP_SAMPLER_KINDS].sort());
  });
});
