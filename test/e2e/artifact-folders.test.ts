import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { artifactsDirOf, runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('artifact-folders');
afterAll(() => ws.remove());

describe('artifact folders', () => {
  it('are keyed by the store: two stores in one folder, and a store made again, never share one', async () => {
    const file = ws.write('tiny.yaml', syntheticConfig({ train: 64, test: 32, epochs: 1 }));
    const a = join(ws.dir, 'a.db');
    const b = join(ws.dir, 'b.db');
    for (const db of [a, b]) {
      const { code, stderr } = await runCli(['exp', file, '--db', db, '--quiet'], ws.dir);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
    const dirA = artifactsDirOf(a, 1);
    const dirB = artifactsDirOf(b, 1);
    expect(dirA).not.toBe(dirB);
    // Both beside their store, each run 1, each with its own model and a log of its own run.
    for (const dir of [dirA, dirB]) {
      expect(dirname(dirname(dir))).toBe(ws.dir);
      expect(existsSync(join(dir, 'model', 'weights.bin'))).toBe(true);
      const runIds = new Set(
        readFileSync(join(dir, 'log.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { runId: number }).runId),
      );
      expect(runIds).toEqual(new Set([1]));
    }
    const removed = await runCli(['runs', 'rm', '1', '--db', a, '--yes'], ws.dir);
    expect(removed.code).toBe(0);
    expect(existsSync(dirA)).toBe(false);
    expect(existsSync(join(dirB, 'model', 'weights.bin'))).toBe(true);

    // A store made again where a.db was: its run 1 gets a new folder; b's is untouched.
    rmSync(a);
    expect((await runCli(['exp', file, '--db', a, '--quiet'], ws.dir)).code).toBe(0);
    const again = artifactsDirOf(a, 1);
    expect([dirA, dirB]).not.toContain(again);
    expect(existsSync(join(dirB, 'model', 'weights.bin'))).toBe(true);
  });
});
