import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { makeTempDir } from '../test-kit.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, remove: cleanup } = makeTempDir('store')));
afterEach(() => cleanup());

function writeRunInChild(
  path: string,
  steps: number,
  name: string,
): Promise<{ runId: number; flushes: number; retries: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'write-run.mjs'), path, String(steps), name],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { runId: number; flushes: number; retries: number })
        : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

it('three processes writing one new store at once lose no metric value', async () => {
  if (!existsSync(join(process.cwd(), 'dist/store/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  const path = join(dir, 'runs', 'runner.db');
  const steps = 3000;
  const results = await Promise.all(
    ['a', 'b', 'c'].map((name) => writeRunInChild(path, steps, name)),
  );
  expect(new Set(results.map((r) => r.runId)).size).toBe(3);
  for (const r of results) expect(r.flushes).toBeGreaterThan(1);
  const store = await openStore(path, { readonly: true });
  try {
    for (const { runId } of results) {
      const run = (await store.getRun(runId))!;
      expect(run.status).toBe('completed');
      expect(run.metrics['train/loss']).toMatchObject({ count: steps, last: { step: steps } });
      expect(
        (await store.query('SELECT count(*) FROM metrics WHERE run_id = ?', [runId])).rows[0]![0],
      ).toBe(2 * steps);
    }
  } finally {
    await store.close();
  }
});
