import { afterAll, describe, expect, it } from 'vitest';
import { createRandom, mixSeed } from '../../src/data/index.js';
import { proposeTpe, type FinishedConfiguration } from '../../src/train/index.js';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('sweep-tpe');
afterAll(() => ws.remove());

const SPACE = {
  'train.optimizer.learningRate': { logUniform: [1e-4, 1e-1] as [number, number] },
  'model.layers[3].dense.units': { intUniform: [4, 24] as [number, number] },
};

const CONFIG = syntheticConfig({
  name: 'tpe-e2e',
  train: 128,
  test: 64,
  epochs: 1,
  extra: `sweep:
  sampler: tpe
  trials: 4
  tpe: {startupTrials: 2, candidates: 12}
  space:
    train.optimizer.learningRate: {logUniform: [1.0e-4, 1.0e-1]}
    model.layers[3].dense.units: {intUniform: [4, 24]}
  metric: test/accuracy
  goal: maximize
`,
});

interface ShownTrial {
  trial: number;
  status: string;
  values: Record<string, number>;
  metric: number | null;
}

async function sweep(
  name: string,
): Promise<{ stdout: string; stderr: string; trials: ShownTrial[] }> {
  const file = ws.write(`${name}.yaml`, CONFIG);
  const db = `${ws.dir}/${name}.db`;
  const run = await runCli(['sweep', file, '--parallel', '1', '--db', db], ws.dir);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(0);
  const shown = await runCli(['sweeps', 'show', '1', '--json', '--db', db], ws.dir);
  expect(shown.code).toBe(0);
  const trials = (JSON.parse(shown.stdout) as { trials: ShownTrial[] }).trials;
  return { ...run, trials: trials.sort((a, b) => a.trial - b.trial) };
}

describe('runner sweep with sampler tpe', () => {
  it('is reproducible for a seed, records each proposal, and proposes from the finished trials', async () => {
    const a = await sweep('a');
    expect(a.stderr).toContain(
      'sweep 1: 4 trials (tpe, 2 at random first, gamma 0.1, 12 candidates)',
    );
    expect(a.trials.map((t) => t.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    const b = await sweep('b');
    const values = (t: ShownTrial) => [
      t.values['train.optimizer.learningRate'],
      t.values['model.layers[3].dense.units'],
    ];
    expect(b.trials.map(values)).toEqual(a.trials.map(values));

    // The store holds every proposal in the sweep's definition, in trial order.
    const definition = readStore(`${ws.dir}/a.db`, (sql) =>
      JSON.parse(
        (
          sql.prepare('select definition_json from sweeps where id = 1').get() as {
            definition_json: string;
          }
        ).definition_json,
      ),
    ) as { trials: { index: number; assignments: Record<string, unknown> }[] };
    expect(definition.trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(definition.trials.map((t) => Object.values(t.assignments))).toEqual(
      a.trials.map(values),
    );

    // Trial 4 is TPE's proposal from the three finished before it: the same history gives
    // it again, and another history (their results reversed) gives something else.
    const history = (order: number[]): FinishedConfiguration[] =>
      a.trials.slice(0, 3).map((t, i) => ({
        assignments: {
          'train.optimizer.learningRate': values(t)[0],
          'model.layers[3].dense.units': values(t)[1],
        },
        status: 'completed',
        value: a.trials[order[i]!]!.metric!,
        epochs: 1,
      }));
    const propose = (h: FinishedConfiguration[]) =>
      proposeTpe(
        SPACE,
        h,
        { startupTrials: 2, gamma: 0.1, candidates: 12 },
        'maximize',
        createRandom(mixSeed(3, 3, 0x7e5)),
      );
    expect(Object.values(propose(history([0, 1, 2])))).toEqual(values(a.trials[3]!));
    const best = a.trials.slice(0, 3).reduce((x, y) => ((y.metric ?? 0) > (x.metric ?? 0) ? y : x));
    const worst = a.trials
      .slice(0, 3)
      .reduce((x, y) => ((y.metric ?? 1) < (x.metric ?? 1) ? y : x));
    if (best.metric !== worst.metric) {
      const swapped = [0, 1, 2].map((i) =>
        i === best.trial - 1 ? worst.trial - 1 : i === worst.trial - 1 ? best.trial - 1 : i,
      );
      expect(Object.values(propose(history(swapped)))).not.toEqual(values(a.trials[3]!));
    }
  }, 240_000);

  it('refuses a --set list with sampler tpe in one line', async () => {
    const file = ws.write('list.yaml', CONFIG);
    const run = await runCli(
      ['sweep', file, '--set', 'data.batchSize=16,32', '--db', `${ws.dir}/list.db`],
      ws.dir,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'sampler tpe searches sweep.space; data.batchSize has a list of values',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
