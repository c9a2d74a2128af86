import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, syntheticConfig } from './cli-kit.js';
import pg from 'pg';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

/**
 * Queued trials train quiet too: between "sweep S trial N started" and its end, a worker (and a
 * queued sweep working on trials itself) says where each of its trials is, read from the store,
 * as the local sweep does: a plain line when stderr is piped. RUNNER_PROGRESS_MS shortens the 30 s.
 */
describe.skipIf(!pgStatus.available)('queued trials with stderr piped (a CI log)', () => {
  let server: PgServer;
  let client: pg.Client;
  const temp = makeTempDir('worker-progress');
  const env = { RUNNER_PROGRESS_MS: '250' };

  beforeAll(async () => {
    server = await startPostgres();
    client = new pg.Client({ connectionString: server.database('progress') });
    await client.connect();
    temp.write('slow.yaml', syntheticConfig({ train: 1024, test: 32, batchSize: 8, epochs: 3 }));
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    server?.stop();
    temp.remove();
  });

  const sweepArgs = ['sweep', 'slow.yaml', '--set', 'train.optimizer.learningRate=0.01,0.02'];

  /** Checks the progress lines of sweep `sweepId` against its trials' runs in the store. */
  async function checkProgress(stderr: string, sweepId: number): Promise<void> {
    expect(stderr).not.toContain('\r');
    const lines = stderr.split('\n');
    const pattern = new RegExp(
      `^sweep ${sweepId}: (\\d)/2 ended; trial (\\d) \\(run (\\d+)\\) (?:loading|epoch (\\d) step (\\d+) train/loss \\S+)$`,
    );
    const progress = lines
      .map((line, at) => {
        const m = pattern.exec(line);
        return (
          m && {
            at,
            ended: Number(m[1]),
            trial: Number(m[2]),
            run: Number(m[3]),
            step: m[5] === undefined ? undefined : Number(m[5]),
          }
        );
      })
      .filter((p) => p !== null);
    const stored = (
      await client.query<{ id: number; trial_index: number; last: number }>(
        "SELECT r.id, r.trial_index, max(m.step)::int AS last FROM runner.runs r JOIN runner.metrics m ON m.run_id = r.id AND m.key = 'train/loss' WHERE r.sweep_id = $1 GROUP BY r.id ORDER BY r.trial_index",
        [sweepId],
      )
    ).rows;
    expect(stored.map((r) => [r.trial_index, r.last])).toEqual([
      [0, 384],
      [1, 384],
    ]);
    for (const [i, run] of stored.entries()) {
      const mine = progress.filter((p) => p.trial === i + 1);
      expect(mine.length, stderr).toBeGreaterThanOrEqual(2);
      // The trial's own run and steps, as recorded: in order, never past its last one.
      for (const p of mine) expect([p.run, p.ended]).toEqual([run.id, i]);
      // 'loading' until its first metrics are flushed, then its steps.
      const firstStep = mine.findIndex((p) => p.step !== undefined);
      expect(firstStep, stderr).toBeGreaterThanOrEqual(0);
      expect(mine.slice(firstStep).every((p) => p.step !== undefined)).toBe(true);
      const steps = mine.slice(firstStep).map((p) => p.step!);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(Math.max(...steps)).toBeLessThanOrEqual(run.last);
      const startAt = lines.findIndex((l) =>
        l.startsWith(`sweep ${sweepId} trial ${i + 1} started`),
      );
      const endAt = lines.findIndex((l) =>
        l.startsWith(`sweep ${sweepId} trial ${i + 1} completed`),
      );
      expect(startAt, stderr).toBeGreaterThanOrEqual(0);
      expect(mine[0]!.at).toBeGreaterThan(startAt);
      expect(endAt, stderr).toBeGreaterThan(mine.at(-1)!.at);
    }
  }

  it("runner worker prints each of its trials' epoch, step and loss between the trial's start and end", async () => {
    const url = server.database('progress');
    const queued = await runCli([...sweepArgs, '--parallel', '0', '--db', url], temp.dir);
    expect(queued.code, queued.stderr).toBe(0);
    const sweepId = Number(/sweep (\d+): 2 trials queued/.exec(queued.stderr)?.[1]);
    const worker = await runCli(['worker', '--exit-when-idle', '1', '--db', url], temp.dir, env);
    expect(worker.code, worker.stderr).toBe(0);
    await checkProgress(worker.stderr, sweepId);
  }, 120_000);

  it('a queued sweep working on its trials itself prints the same lines', async () => {
    const url = server.database('progress');
    const sweep = await runCli([...sweepArgs, '--parallel', '1', '--db', url], temp.dir, env);
    expect(sweep.code, sweep.stderr).toBe(0);
    const sweepId = Number(/sweep (\d+)/.exec(sweep.stderr)?.[1]);
    await checkProgress(sweep.stderr, sweepId);
  }, 120_000);
});
