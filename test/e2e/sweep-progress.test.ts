import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

/**
 * A sweep's trials train quiet (their output is the sweep's): between "trial N started" and
 * its end, the sweep says where each running trial is, read from the store, as a plain line
 * when stderr is piped. Every 30 s by default; RUNNER_PROGRESS_MS shortens it here.
 */
describe('runner sweep with stderr piped (a CI log)', () => {
  const temp = makeTempDir('sweep-progress');
  afterAll(() => temp.remove());

  it("prints a line with each running trial's epoch, step and loss between its start and end", async () => {
    temp.write('slow.yaml', syntheticConfig({ train: 512, test: 32, batchSize: 8, epochs: 4 }));
    const db = join(temp.dir, 'runs.db');
    const out = await runCli(
      [
        'sweep',
        'slow.yaml',
        '--set',
        'train.optimizer.learningRate=0.01,0.02',
        '--parallel',
        '1',
        '--db',
        db,
      ],
      temp.dir,
      { RUNNER_PROGRESS_MS: '250' },
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toContain('\r');
    const lines = out.stderr.split('\n');
    const progress = lines
      .map((line, at) => {
        const m =
          /^sweep 1: (\d)\/2 ended; trial (\d) \(run (\d)\) epoch (\d) step (\d+) train\/loss \S+$/.exec(
            line,
          );
        return (
          m && {
            at,
            ended: Number(m[1]),
            trial: Number(m[2]),
            run: Number(m[3]),
            step: Number(m[5]),
          }
        );
      })
      .filter((p) => p !== null);
    const stored = readStore(db, (sql) =>
      sql
        .prepare(
          "SELECT r.id, r.trial_index, max(m.step) AS last FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = 'train/loss' GROUP BY r.id ORDER BY r.id",
        )
        .all(),
    ) as { id: number; trial_index: number; last: number }[];
    expect(stored.map((r) => [r.trial_index, r.last])).toEqual([
      [0, 256],
      [1, 256],
    ]);
    for (const [i, run] of stored.entries()) {
      // At least one (a loaded machine may spend most ticks on the trial's loading: a step shows
      // once the metric writer has flushed, about every second).
      const mine = progress.filter((p) => p.trial === i + 1);
      expect(mine.length, out.stderr).toBeGreaterThanOrEqual(1);
      // The trial's own run and steps, as recorded: in order, never past its last one.
      for (const p of mine) expect([p.run, p.ended]).toEqual([run.id, i]);
      const steps = mine.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(Math.max(...steps)).toBeLessThanOrEqual(run.last);
      // All of them between the trial's start and end lines.
      const startAt = lines.findIndex((l) => l.startsWith(`trial ${i + 1}/2 started`));
      const endAt = lines.findIndex((l) => l.startsWith(`trial ${i + 1}/2 completed`));
      expect(startAt).toBeGreaterThanOrEqual(0);
      expect(mine[0]!.at).toBeGreaterThan(startAt);
      expect(endAt).toBeGreaterThan(mine.at(-1)!.at);
    }
  }, 120_000);
});
