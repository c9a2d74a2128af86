import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom, mixSeed } from '../../src/data/index.js';
import { proposeTpe, type FinishedConfiguration } from '../../src/train/index.js';
import { makeTempDir } from '../test-kit.js';
import {
  readStore,
  runCli,
  startCli,
  syntheticConfig,
  tpeSweepConfig,
  TPE_SPACE,
} from './cli-kit.js';

const ws = makeTempDir('sweep-tpe');
afterAll(() => ws.remove());

const SPACE = TPE_SPACE;

const CONFIG = tpeSweepConfig('tpe-e2e');

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
      'sweep 1: 4 trials (tpe, 2 at random first, gamma 0.1, 12 candidates, one parameter at a time, running trials count as bad (constant liar))',
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

  it('continues the same proposals after the sweep and its trial are killed, with --resume', async () => {
    // Trials long enough (3,000 images, batch 16) to be caught training.
    const config = syntheticConfig({
      name: 'tpe-resume',
      train: 3000,
      batchSize: 16,
      test: 64,
      epochs: 1,
      extra: CONFIG.slice(CONFIG.indexOf('sweep:')),
    });
    const file = ws.write('resume.yaml', config);
    const definitionOf = (db: string) =>
      readStore(db, (sql) =>
        JSON.parse(
          (
            sql.prepare('select definition_json from sweeps where id = 1').get() as {
              definition_json: string;
            }
          ).definition_json,
        ),
      ) as { trials: { index: number; assignments: Record<string, unknown> }[] };
    const runsOf = (db: string) =>
      readStore(db, (sql) =>
        sql
          .prepare('select id, trial_index, status from runs where sweep_id = 1 order by id')
          .all(),
      ) as { id: number; trial_index: number; status: string }[];

    // The sweep left alone: its four trials' values.
    const reference = await runCli(
      ['sweep', file, '--parallel', '1', '--db', `${ws.dir}/reference.db`],
      ws.dir,
    );
    expect(reference.code).toBe(0);
    const expected = definitionOf(`${ws.dir}/reference.db`).trials.map((t) => t.assignments);
    expect(expected).toHaveLength(4);

    // The same sweep, killed (SIGKILL to its process group: the sweep and its trial) while
    // trial 3, TPE's first proposal, trains.
    const db = `${ws.dir}/killed.db`;
    const child = startCli(
      ['sweep', file, '--parallel', '1', '--db', db],
      ws.dir,
      {},
      { detached: true },
    );
    let caught = false;
    for (let i = 0; i < 1800 && !caught; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (!existsSync(db)) continue;
      try {
        caught = runsOf(db).some((r) => r.trial_index === 2 && r.status === 'running');
      } catch {
        continue; // the store is being created
      }
    }
    expect(caught, 'trial 3 was seen training').toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    await child.result;
    const killed = definitionOf(db).trials.map((t) => t.assignments);
    // Proposals are recorded before they run: trial 3's values are in the store already.
    expect(killed).toHaveLength(3);
    expect(killed).toEqual(expected.slice(0, 3));
    expect(runsOf(db).find((r) => r.trial_index === 2)?.status).toBe('running');

    const resumed = await runCli(['sweep', '--resume', '1', '--parallel', '1', '--db', db], ws.dir);
    expect(resumed.stderr).not.toMatch(/\n\s+at /);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('2 already finished, 2 to run');
    // Trial 3 runs again with its recorded values, and TPE proposes trial 4 as it would have.
    expect(definitionOf(db).trials.map((t) => t.assignments)).toEqual(expected);
    const runs = runsOf(db);
    // Its killed run stays (running with a dead pid, or marked lost), beside the new one.
    const third = runs.filter((r) => r.trial_index === 2).map((r) => r.status);
    expect(third).toHaveLength(2);
    expect(third[0]).not.toBe('completed');
    expect(third[1]).toBe('completed');
    expect(runs.filter((r) => r.status === 'completed').map((r) => r.trial_index)).toEqual([
      0, 1, 2, 3,
    ]);
  }, 300_000);

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
