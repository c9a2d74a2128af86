import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('sweep-prune');
afterAll(() => ws.remove());

interface Row {
  id: number;
  trial_index: number;
  name: string;
  status: string;
  seed: number;
  epoch1: number | null;
  last: number | null;
  notices: string;
  pruned_rung: number | null;
  pruned_epoch: number | null;
}

describe('runner sweep with a pruner and repeats', () => {
  it('prunes by successive halving at the rung, keeps the metrics, and aggregates the seeds of each configuration', async () => {
    const file = ws.write(
      'prune.yaml',
      syntheticConfig({
        name: 'prune-e2e',
        train: 128,
        test: 64,
        epochs: 2,
        extra: `sweep:
  grid:
    train.optimizer.learningRate: [0.01, 0.003]
  repeats: 2
  pruner: {type: successiveHalving, minEpochs: 1, reductionFactor: 3}
  metric: test/loss
  goal: minimize
`,
      }),
    );
    const db = `${ws.dir}/prune.db`;
    const run = await runCli(['sweep', file, '--parallel', '1', '--db', db], ws.dir);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    const rows = readStore(
      db,
      (sql) =>
        sql
          .prepare(
            `select r.id, r.trial_index, r.name, r.status, r.seed, r.notices as notices,
             r.pruned_rung, r.pruned_epoch,
             (select value from metrics m where m.run_id = r.id and m.key = 'test/loss' and m.epoch = 1 order by step desc limit 1) as epoch1,
             (select value from metrics m where m.run_id = r.id and m.key = 'test/loss' order by step desc limit 1) as last
           from runs r where r.sweep_id = 1 order by r.trial_index`,
          )
          .all() as Row[],
    );
    expect(rows.map((r) => r.trial_index)).toEqual([0, 1, 2, 3]);
    // Each configuration runs with seeds 3 and 4 (the config's seed, then +1), named so.
    expect(rows.map((r) => r.seed)).toEqual([3, 4, 3, 4]);
    expect(rows[1]!.name).toBe('prune-e2e lr=0.01 seed=4');
    // One rung, at epoch 1 (epoch 2 is the last). With fewer than 2·η trials there, only a
    // trial at least as good as every one before it goes on.
    for (const [k, row] of rows.entries()) {
      expect(row.epoch1).not.toBeNull(); // a pruned trial keeps what it recorded
      const before = rows.slice(0, k).map((r) => r.epoch1!);
      const goesOn = before.every((v) => row.epoch1! <= v);
      expect(`${k}:${row.status}`).toBe(`${k}:${goesOn ? 'completed' : 'pruned'}`);
      if (!goesOn) {
        expect(JSON.parse(row.notices)).toContainEqual(
          expect.stringMatching(
            /^pruned at rung 0 \(epoch 1\): test\/loss [\d.]+ is not among the best 1 of \d trials there/,
          ),
        );
        expect(row.last).toBe(row.epoch1);
      }
      // The rung is a field of the run, not only words in its notice.
      expect([row.pruned_rung, row.pruned_epoch]).toEqual(
        row.status === 'pruned' ? [0, 1] : [null, null],
      );
    }
    // runner sweep's own final table has the rung column, filled for the pruned trials only.
    const prunedCount = rows.filter((r) => r.status === 'pruned').length;
    expect(prunedCount).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/test\/loss\s+rung\n/);
    expect(run.stdout.match(/ 0 \(epoch 1\)\n/g)).toHaveLength(prunedCount);
    // With --json the rung is the object runs ls and sweeps show give, not the table's text.
    const again = await runCli(['sweep', '--resume', '1', '--json', '--db', db], ws.dir);
    expect(again.code).toBe(0);
    const trials = (JSON.parse(again.stdout) as { trials: { status: string; rung: unknown }[] })
      .trials;
    expect(trials.filter((t) => t.status === 'pruned').map((t) => t.rung)).toEqual(
      Array.from({ length: prunedCount }, () => ({ rung: 0, epoch: 1 })),
    );
    expect(trials.filter((t) => t.status !== 'pruned').every((t) => t.rung === null)).toBe(true);
    expect(rows[0]!.status).toBe('completed');

    const shown = await runCli(['sweeps', 'show', '1', '--json', '--db', db], ws.dir);
    const json = JSON.parse(shown.stdout) as {
      configurations: {
        configuration: number;
        completed: number;
        mean: number | null;
        std: number | null;
        trials: number[];
      }[];
      bestConfiguration: { configuration: number } | null;
      pruned: { trial: number; why: string }[];
    };
    expect(json.pruned.map((p) => p.trial)).toEqual(
      rows.filter((r) => r.status === 'pruned').map((r) => r.trial_index + 1),
    );
    expect(json.configurations.map((c) => c.trials)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    for (const c of json.configurations) {
      const values = rows
        .filter((r) => c.trials.includes(r.trial_index + 1) && r.status === 'completed')
        .map((r) => r.last!);
      expect(c.completed).toBe(values.length);
      if (values.length === 0) continue;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(c.mean).toBeCloseTo(mean, 10);
      if (values.length === 2)
        expect(c.std).toBeCloseTo(Math.abs(values[0]! - values[1]!) / Math.SQRT2, 10);
      else expect(c.std).toBeNull();
    }
    const settled = json.configurations.filter((c) => c.mean !== null);
    const best = settled.reduce((a, b) => (b.mean! < a.mean! ? b : a));
    expect(json.bestConfiguration?.configuration).toBe(best.configuration);

    const table = await runCli(['sweeps', 'show', '1', '--db', db], ws.dir);
    expect(table.stdout).toContain('configurations (2 seeds each; best = best mean):');
    expect(table.stdout).toMatch(
      new RegExp(`best: configuration ${best.configuration} test/loss mean`),
    );
    // The rung each pruned trial stopped at is a column of the trials table.
    const pruned = rows.filter((r) => r.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    const trialLines = table.stdout
      .split('\n')
      .filter((l) => /^\s*\d+\s+\d+\s+\d+\s+\d+\s/.test(l));
    expect(table.stdout).toMatch(/\brung\b/);
    for (const r of rows) {
      const line = trialLines.find((l) => l.trim().split(/\s+/)[3] === String(r.id));
      expect(line, `trial row of run ${r.id}`).toBeDefined();
      if (r.status === 'pruned') expect(line).toMatch(/0 \(epoch 1\)\s*$/);
      else expect(line).not.toMatch(/epoch/);
    }

    // runs ls --sweep: each trial with its configuration's mean and std over its seeds, and the rung.
    const listed = await runCli(['runs', 'ls', '--sweep', '1', '--json', '--db', db], ws.dir);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as {
      id: number;
      trial: {
        trial: number;
        configuration: number;
        repeat: number;
        rung: { rung: number | null; epoch: number } | null;
        configurationMean: number | null;
        configurationStd: number | null;
      };
    }[];
    expect(list).toHaveLength(4);
    for (const item of list) {
      const row = rows.find((r) => r.id === item.id)!;
      expect(item.trial.trial).toBe(row.trial_index + 1);
      expect(item.trial.repeat).toBe(row.seed - 2);
      expect(item.trial.rung).toEqual(row.status === 'pruned' ? { rung: 0, epoch: 1 } : null);
      const config = json.configurations.find((c) => c.trials.includes(item.trial.trial))!;
      expect(item.trial.configuration).toBe(config.configuration);
      expect(item.trial.configurationMean).toBe(config.mean);
      expect(item.trial.configurationStd).toBe(config.std);
    }
    const lsTable = await runCli(['runs', 'ls', '--sweep', '1', '--db', db], ws.dir);
    expect(lsTable.stdout).toMatch(/config test\/loss mean\s+std\s+seeds\s+rung/);
    expect(lsTable.stdout).toContain('0 (epoch 1)');

    // compare: the trials' configurations side by side, mean and std, best mean marked.
    const first = list.find((i) => i.trial.trial === 1)!;
    const third = list.find((i) => i.trial.trial === 3)!;
    const compared = await runCli(
      ['compare', String(first.id), String(third.id), '--json', '--db', db],
      ws.dir,
    );
    expect(compared.code).toBe(0);
    const cmp = JSON.parse(compared.stdout) as {
      trials: { trial: number; configuration: number; mean: number | null; std: number | null }[];
    };
    expect(cmp.trials.map((t) => [t.trial, t.configuration])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(cmp.trials.map((t) => t.mean)).toEqual([
      json.configurations[0]!.mean,
      json.configurations[1]!.mean,
    ]);
    expect(cmp.trials.map((t) => t.std)).toEqual([
      json.configurations[0]!.std,
      json.configurations[1]!.std,
    ]);
    const cmpTable = await runCli(
      ['compare', String(first.id), String(third.id), '--db', db],
      ws.dir,
    );
    const meanLine = cmpTable.stdout
      .split('\n')
      .find((l) => l.startsWith('test/loss mean (config)'));
    expect(meanLine).toBeDefined();
    const marked = meanLine!
      .trim()
      .split(/\s{2,}/)
      .slice(1)
      .findIndex((cell) => cell.endsWith('*'));
    const means = json.configurations.map((c) => c.mean);
    const winner = means[0] === null ? 1 : means[1] === null ? 0 : means[0]! <= means[1]! ? 0 : 1;
    expect(marked).toBe(winner);
    expect(cmpTable.stdout).toMatch(/^test\/loss std \(config\)/m);
  }, 240_000);
});
