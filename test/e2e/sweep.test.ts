import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, startCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('sweep');
afterAll(() => ws.remove());

interface TrialRow {
  id: number;
  trial_index: number;
  status: string;
  lr: number;
  batch: number;
  accuracy: number | null;
  steps: number;
}

function trials(db: string, sweepId: number): TrialRow[] {
  return readStore(
    db,
    (sql) =>
      sql
        .prepare(
          `select r.id, r.trial_index, r.status,
           (select value from params p where p.run_id = r.id and p.key = 'train.optimizer.learningRate') as lr,
           (select value from params p where p.run_id = r.id and p.key = 'data.batchSize') as batch,
           (select value from metrics m where m.run_id = r.id and m.key = 'test/accuracy' order by step desc limit 1) as accuracy,
           (select count(*) from metrics m where m.run_id = r.id and m.key = 'train/loss') as steps
         from runs r where r.sweep_id = ? order by r.trial_index, r.id`,
        )
        .all(sweepId) as TrialRow[],
  );
}

describe('runner sweep', () => {
  it('runs a 2x2 grid as 4 linked runs in 2 processes, losing no metric row, and names the best', async () => {
    const file = ws.write('grid.yaml', syntheticConfig({ train: 192, epochs: 1 }));
    const db = `${ws.dir}/grid.db`;
    const { code, stdout, stderr } = await runCli(
      [
        'sweep',
        file,
        '--set',
        'train.optimizer.learningRate=0.01,0.0001',
        '--set',
        'data.batchSize=32,64',
        '--parallel',
        '2',
        '--db',
        db,
      ],
      ws.dir,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    const rows = trials(db, 1);
    expect(rows.map((r) => [r.trial_index, r.lr, r.batch, r.status])).toEqual([
      [0, 0.01, 32, 'completed'],
      [1, 0.01, 64, 'completed'],
      [2, 0.0001, 32, 'completed'],
      [3, 0.0001, 64, 'completed'],
    ]);
    // 192 examples: 6 steps at batch 32, 3 at batch 64; every one recorded despite two writers.
    expect(rows.map((r) => r.steps)).toEqual([6, 3, 6, 3]);
    const best = rows.reduce((a, b) => ((b.accuracy ?? -1) > (a.accuracy ?? -1) ? b : a));
    expect(stdout).toContain(
      `best: trial ${best.trial_index + 1} (run ${best.id}) test/accuracy ${best.accuracy!.toFixed(4)}`,
    );
    expect(stdout).toMatch(/4 completed/);
  });

  it('reads the sweep from the YAML and resumes an interrupted sweep without rerunning finished trials', async () => {
    const file = ws.write(
      'resume.yaml',
      syntheticConfig({
        train: 3000,
        batchSize: 16,
        epochs: 1,
        extra:
          'sweep:\n  grid:\n    train.optimizer.learningRate: [0.01, 0.003, 0.001]\n  metric: test/accuracy\n  goal: maximize\n',
      }),
    );
    const db = `${ws.dir}/resume.db`;
    const child = startCli(['sweep', file, '--parallel', '1', '--db', db], ws.dir);
    // Interrupt once the first trial has finished and the second has started.
    for (let i = 0; i < 900; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(db)) continue;
      let rows: TrialRow[] = [];
      try {
        rows = trials(db, 1);
      } catch {
        continue; // the store is being created
      }
      if (rows.some((r) => r.status === 'completed') && rows.some((r) => r.status === 'running'))
        break;
    }
    child.kill('SIGINT');
    const first = await child.result;
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('runner sweep --resume 1');
    const before = trials(db, 1);
    const finished = before.filter((r) => r.status === 'completed');
    expect(finished.length).toBe(1);
    expect(before.some((r) => r.status === 'interrupted')).toBe(true);

    const resumed = await runCli(['sweep', '--resume', '1', '--db', db], ws.dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('1 already finished, 2 to run');
    const after = trials(db, 1);
    const completed = after.filter((r) => r.status === 'completed');
    expect(completed.map((r) => r.trial_index)).toEqual([0, 1, 2]);
    // The finished trial kept its run: it was not trained again.
    expect(completed[0]!.id).toBe(finished[0]!.id);
    const status = readStore(db, (sql) =>
      sql.prepare('select status from sweeps where id = 1').get(),
    );
    expect(status).toEqual({ status: 'completed' });
  }, 180_000);

  it('says what is wrong with a --set list that gives no values, an unknown sweep, or nothing to vary', async () => {
    const file = ws.write('plain.yaml', syntheticConfig({ epochs: 1 }));
    const db = `${ws.dir}/bad.db`;
    const empty = await runCli(
      ['sweep', file, '--set', 'train.optimizer.learningRate=', '--db', db],
      ws.dir,
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(
      /^error: --set train\.optimizer\.learningRate=: no values to set/m,
    );
    const nothing = await runCli(['sweep', file, '--db', db], ws.dir);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^error: sweep: nothing to vary/m);
    const unknownPath = await runCli(
      ['sweep', file, '--set', 'train.optimiser.learningRate=1,2', '--db', db],
      ws.dir,
    );
    expect(unknownPath.code).toBe(2);
    expect(unknownPath.stderr).toMatch(/optimiser/);
    expect(existsSync(db)).toBe(false); // nothing was recorded for bad input
    await runCli(['sweep', file, '--set', 'train.epochs=1,1', '--db', db], ws.dir);
    const unknown = await runCli(['sweep', '--resume', '99', '--db', db], ws.dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: --resume 99: there is no sweep 99/m);
  }, 120_000);
});
