import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, mixSeed } from '../../src/data/index.js';
import type { PrunerSpec } from '../../src/config/experiment.js';
import { PRUNERS, proposeTpe, type FinishedConfiguration } from '../../src/train/index.js';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, syntheticConfig, tpeSweepConfig, TPE_SPACE } from './cli-kit.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

const SPACE = TPE_SPACE;

const TPE = tpeSweepConfig('tpe-workers');

const pruned = (name: string, epochs: number, pruner: string): string =>
  syntheticConfig({
    name,
    train: 128,
    test: 64,
    epochs,
    extra: `sweep:
  grid:
    train.optimizer.learningRate: [0.01, 0.001, 0.05, 0.0003]
  pruner: ${pruner}
  metric: test/loss
  goal: minimize
`,
  });

interface ShownTrial {
  trial: number;
  status: string;
  values: Record<string, number>;
  metric: number | null;
}

interface Row {
  id: number;
  trial_index: number;
  status: string;
  epoch1: number | null;
  last: number | null;
  notices: string | string[] | null;
  pruned_rung: number | null;
  pruned_epoch: number | null;
}

/**
 * The search side of a sweep on workers: TPE proposes each trial on the worker that takes
 * it, from the trials finished by then, and records it; successive halving and hyperband
 * prune trials from the store wherever they train. Real worker processes, real PostgreSQL.
 */
describe.skipIf(!pgStatus.available)('sweep search on workers', () => {
  let server: PgServer;
  const temp = makeTempDir('pg-search');
  let client: pg.Client;
  let url: string;
  let sweeps = 0;

  beforeAll(async () => {
    server = await startPostgres();
    url = server.database('search');
    client = new pg.Client({ connectionString: url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });

  /** Queues the config as a sweep, trains it on one worker, returns the sweep id. */
  const sweepOnWorker = async (name: string, config: string): Promise<number> => {
    writeFileSync(join(temp.dir, `${name}.yaml`), config);
    const queued = await runCli(
      ['sweep', `${name}.yaml`, '--parallel', '0', '--db', url],
      temp.dir,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const sweepId = ++sweeps;
    const worker = await runCli(['worker', '--exit-when-idle', '3', '--db', url], temp.dir);
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stderr).not.toMatch(/\n\s+at /);
    return sweepId;
  };

  const rowsOf = async (sweepId: number): Promise<Row[]> =>
    (
      await client.query<Row>(
        `SELECT r.id, r.trial_index, r.status, r.notices, r.pruned_rung, r.pruned_epoch,
           (SELECT value FROM runner.metrics m WHERE m.run_id = r.id AND m.key = 'test/loss' AND m.epoch = 1 ORDER BY step DESC LIMIT 1) AS epoch1,
           (SELECT value FROM runner.metrics m WHERE m.run_id = r.id AND m.key = 'test/loss' ORDER BY step DESC LIMIT 1) AS last
         FROM runner.runs r WHERE r.sweep_id = $1 ORDER BY r.id`,
        [sweepId],
      )
    ).rows;

  it('TPE: each trial proposed from the finished ones when a worker takes it, recorded, and trained with it', async () => {
    const sweepId = await sweepOnWorker('tpe', TPE);
    const jobs = (
      await client.query<{ data: { configYaml: string; adaptive: boolean } }>(
        `SELECT data FROM runner_queue.job WHERE (data->>'sweepId')::int = $1`,
        [sweepId],
      )
    ).rows;
    expect(jobs).toHaveLength(4);
    for (const { data } of jobs) {
      expect(data.adaptive).toBe(true);
      expect(data.configYaml).not.toContain('sweep:');
    }
    const shown = await runCli(
      ['sweeps', 'show', String(sweepId), '--json', '--db', url],
      temp.dir,
    );
    expect(shown.code, shown.stderr).toBe(0);
    const trials = (JSON.parse(shown.stdout) as { trials: ShownTrial[] }).trials.sort(
      (a, b) => a.trial - b.trial,
    );
    expect(trials.map((t) => t.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    const values = (t: ShownTrial) => [
      t.values['train.optimizer.learningRate'],
      t.values['model.layers[3].dense.units'],
    ];

    // Every proposal is recorded in the sweep's definition, and each run trained with its own.
    const definition = (
      await client.query<{ definition_json: string }>(
        'SELECT definition_json FROM runner.sweeps WHERE id = $1',
        [sweepId],
      )
    ).rows[0]!.definition_json;
    const planned = (
      (typeof definition === 'string' ? JSON.parse(definition) : definition) as {
        trials: { index: number; assignments: Record<string, unknown> }[];
      }
    ).trials;
    expect(planned.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(planned.map((t) => Object.values(t.assignments))).toEqual(trials.map(values));
    const params = (
      await client.query<{ trial_index: number; value: number }>(
        `SELECT r.trial_index, p.value FROM runner.runs r JOIN runner.params p ON p.run_id = r.id
         WHERE r.sweep_id = $1 AND p.key = 'train.optimizer.learningRate' ORDER BY r.trial_index`,
        [sweepId],
      )
    ).rows;
    expect(params.map((p) => Number(p.value))).toEqual(trials.map((t) => values(t)[0]));

    // Trial 4 is TPE's proposal from the three finished before it, as the local sweep makes it.
    const history: FinishedConfiguration[] = trials.slice(0, 3).map((t) => ({
      assignments: {
        'train.optimizer.learningRate': values(t)[0],
        'model.layers[3].dense.units': values(t)[1],
      },
      status: 'completed',
      value: t.metric!,
      epochs: 1,
    }));
    const proposal = proposeTpe(
      SPACE,
      history,
      { startupTrials: 2, gamma: 0.1, candidates: 12 },
      'maximize',
      createRandom(mixSeed(3, 3, 0x7e5)),
    );
    expect(Object.values(proposal)).toEqual(values(trials[3]!));
  }, 240_000);

  /** In the order they ran, a trial with a rung at epoch 1 goes on only if at least as good as every competitor before it. */
  const expectHalving = (
    rows: readonly Row[],
    competes: (a: number, b: number) => boolean,
    rungAt1: (trial: number) => boolean,
  ) => {
    expect(rows.map((r) => r.trial_index)).toEqual([0, 1, 2, 3]);
    for (const [k, row] of rows.entries()) {
      expect(row.epoch1).not.toBeNull();
      const before = rows
        .slice(0, k)
        .filter((r) => competes(r.trial_index, row.trial_index))
        .map((r) => r.epoch1!);
      const goesOn = !rungAt1(row.trial_index) || before.every((v) => row.epoch1! <= v);
      expect(`${k}:${row.status}`).toBe(`${k}:${goesOn ? 'completed' : 'pruned'}`);
      if (!goesOn) {
        const notices = (
          typeof row.notices === 'string' ? JSON.parse(row.notices) : row.notices
        ) as string[];
        expect(notices).toContainEqual(expect.stringMatching(/^pruned at rung 0 \(epoch 1\)/));
        expect(row.last).toBe(row.epoch1);
      }
      // The worker's run records the rung as fields on PostgreSQL too.
      expect([row.pruned_rung, row.pruned_epoch]).toEqual(goesOn ? [null, null] : [0, 1]);
    }
  };

  it('successive halving on a worker prunes at the rung from the store', async () => {
    const sweepId = await sweepOnWorker(
      'halving',
      pruned('halving-workers', 2, '{type: successiveHalving, minEpochs: 1, reductionFactor: 3}'),
    );
    const rows = await rowsOf(sweepId);
    expectHalving(
      rows,
      () => true,
      () => true,
    );
    expect(rows.some((r) => r.status === 'pruned')).toBe(true);
  }, 240_000);

  it('hyperband on a worker prunes a trial only against its own bracket', async () => {
    const spec: Extract<PrunerSpec, { type: 'hyperband' }> = {
      type: 'hyperband',
      minEpochs: 1,
      reductionFactor: 3,
      brackets: undefined,
    } as Extract<PrunerSpec, { type: 'hyperband' }>;
    const sweepId = await sweepOnWorker(
      'hyperband',
      pruned('hyperband-workers', 3, '{type: hyperband, minEpochs: 1, reductionFactor: 3}'),
    );
    const rows = await rowsOf(sweepId);
    expectHalving(
      rows,
      (a, b) => PRUNERS.hyperband.competes(spec, a, b, 3),
      (trial) =>
        PRUNERS.hyperband.rungAt(spec, { epoch: 1, maxEpochs: 3, configuration: trial }) !==
        undefined,
    );
    // Both kinds of bracket ran: one deciding at epoch 1, one that never stops early.
    const rungs = [0, 1, 2, 3].map(
      (trial) =>
        PRUNERS.hyperband.rungAt(spec, { epoch: 1, maxEpochs: 3, configuration: trial }) !==
        undefined,
    );
    expect(new Set(rungs).size).toBe(2);
  }, 240_000);
});
