import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import { makeTempDir } from '../test-kit.js';
import { ROOT, runCli } from './cli-kit.js';

/** The library API as the README shows it: examples/custom-loop.mjs, a custom tfjs loop. */
describe('startRun: logging from your own loop', () => {
  const ws = makeTempDir('library');
  afterAll(() => ws.remove());
  const db = join(ws.dir, 'lib.db');

  it('runs the README example and records it in the same tables runner exp uses', async () => {
    const example = spawnSync(process.execPath, [join(ROOT, 'examples/custom-loop.mjs')], {
      cwd: ws.dir,
      env: { ...process.env, RUNNER_DB: db, STEPS: '40' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(example.status, example.stderr).toBe(0);
    expect(example.stdout).toBe(`recorded run 1 in ${db}\n`);
    expect(example.stderr).toBe('');
    const listed = JSON.parse(
      (await runCli(['runs', 'ls', '--where', 'tag = "custom-loop"', '--json', '--db', db], ws.dir))
        .stdout,
    ) as { id: number; name: string; status: string; tags: string[] }[];
    expect(listed).toMatchObject([
      { id: 1, name: 'custom-loop', status: 'completed', tags: ['custom-loop'] },
    ]);
    const query = await runCli(
      [
        'query',
        "SELECT count(*) AS n, min(step), max(step) FROM metrics WHERE key = 'train/loss'",
        '--json',
        '--db',
        db,
      ],
      ws.dir,
    );
    expect(JSON.parse(query.stdout)).toEqual([{ n: 40, 'min(step)': 1, 'max(step)': 40 }]);
    const params = await runCli(
      ['runs', 'ls', '--where', 'learningRate = 0.1', '--json', '--db', db],
      ws.dir,
    );
    expect((JSON.parse(params.stdout) as unknown[]).length).toBe(1);
    // The loop learnt: the last loss is below the first (ln 2 for zero weights).
    const show = JSON.parse(
      (await runCli(['runs', 'show', 'last', '--json', '--db', db], ws.dir)).stdout,
    ) as {
      metrics: Record<string, { final: number }>;
    };
    expect(show.metrics['train/loss']!.final).toBeLessThan(0.5);
  }, 90_000);

  it('is readable while it runs (the writer flushes), refuses bad values in one line, and records a failure', async () => {
    const store = await openStore(join(ws.dir, 'live.db'));
    try {
      const run = await startRun({ db: store, name: 'live', config: { lr: 0.5 }, tags: ['t'] });
      run.log(1, { 'train/loss': 2 }, { epoch: 1 });
      expect(() => run.log(-1, { 'train/loss': 1 })).toThrow(
        /log step must be a whole number >= 0, found -1/,
      );
      expect(() => run.log(2, { 'train/loss': '1' as unknown as number })).toThrow(
        /log values are numbers/,
      );
      const writerFlushes = async () => {
        for (let i = 0; i < 50; i++) {
          run.log(2 + i, { 'train/loss': 1 });
          if ((await store.getCurve(run.id, 'train/loss')).length > 0) return true;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return false;
      };
      expect(await writerFlushes()).toBe(true);
      expect((await store.getRun(run.id))!.status).toBe('running');
      await run.finish('failed', 'out of patience');
      expect(await store.getRun(run.id)).toMatchObject({
        status: 'failed',
        error: 'out of patience',
        tags: ['t'],
      });
      expect(() => run.log(99, { x: 1 })).toThrow(/log after finish/);
    } finally {
      await store.close();
    }
  });
});
