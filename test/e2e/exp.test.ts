import { existsSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { artifactsDirOf, readStore, runCli, startCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('exp');
afterAll(() => ws.remove());

interface MetricCount {
  key: string;
  n: number;
}

function metricCounts(runId: number): Record<string, number> {
  return readStore(ws.db, (sql) =>
    Object.fromEntries(
      (
        sql
          .prepare('select key, count(*) as n from metrics where run_id = ? group by key')
          .all(runId) as MetricCount[]
      ).map((r) => [r.key, r.n]),
    ),
  );
}

function losses(runId: number): number[] {
  return readStore(ws.db, (sql) =>
    (
      sql
        .prepare("select value from metrics where run_id = ? and key = 'train/loss' order by step")
        .all(runId) as { value: number }[]
    ).map((r) => r.value),
  );
}

function runRow(runId: number): Record<string, unknown> {
  return readStore(
    ws.db,
    (sql) => sql.prepare('select * from runs where id = ?').get(runId) as Record<string, unknown>,
  );
}

describe('runner exp', () => {
  it('records one row per step per training metric and one per epoch per eval metric', async () => {
    // 250 examples at batch 32: 7 full batches and a last one of 26, kept and counted.
    const file = ws.write('complete.yaml', syntheticConfig({ train: 250, test: 90, epochs: 2 }));
    const { code, stdout, stderr } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(code).toBe(0);
    expect(stdout).toMatch(/^run 1 synthetic-e2e completed after 16 steps/m);
    expect(stdout).toContain('runner runs show 1');
    expect(stderr).toMatch(/backend\s+wasm/);
    expect(metricCounts(1)).toEqual({
      'train/loss': 16,
      'train/accuracy': 16,
      'test/loss': 2,
      'test/accuracy': 2,
      'train/epoch_loss': 2,
      'train/epoch_accuracy': 2,
      'train/learning_rate': 2,
      'perf/images_per_sec': 2,
      'perf/workers': 2,
    });
    const run = runRow(1);
    expect(run).toMatchObject({
      name: 'synthetic-e2e',
      status: 'completed',
      backend: 'wasm',
      dataset: 'synthetic',
      seed: 3,
    });
    expect(run['ended_at']).not.toBeNull();
    const lr = readStore(ws.db, (sql) =>
      sql
        .prepare(
          "select value from params where run_id = 1 and key = 'train.optimizer.learningRate'",
        )
        .get(),
    );
    expect(lr).toEqual({ value: 0.01 });
    // Eval accuracy is a fraction of the real 90 test examples.
    const accuracies = readStore(
      ws.db,
      (sql) =>
        sql
          .prepare("select value from metrics where run_id = 1 and key = 'test/accuracy'")
          .all() as { value: number }[],
    );
    for (const { value } of accuracies)
      expect(Number.isInteger(Math.round(value * 90 * 1e6) / 1e6)).toBe(true);
    const dir = artifactsDirOf(ws.db, 1);
    expect(path.dirname(path.dirname(dir))).toBe(path.join(ws.dir, 'runs'));
    expect(existsSync(path.join(dir, 'model', 'model.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'model', 'weights.bin'))).toBe(true);
    expect(existsSync(path.join(dir, 'checkpoint-best', 'model.json'))).toBe(true);
    const log = readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(log.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('run ended');
  });

  it('gives identical losses step for step for the same config and seed', async () => {
    const file = ws.write('seeded.yaml', syntheticConfig({ epochs: 1 }));
    const first = await runCli(['exp', file, '--db', ws.db, '--json'], ws.dir);
    const second = await runCli(['exp', file, '--db', ws.db, '--json'], ws.dir);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const a = (JSON.parse(first.stdout) as { runId: number }).runId;
    const b = (JSON.parse(second.stdout) as { runId: number }).runId;
    expect(losses(a).length).toBe(8);
    expect(losses(b)).toEqual(losses(a));
  });

  it('ends a run whose loss blows up as diverged, with the step', async () => {
    const file = ws.write('diverge.yaml', syntheticConfig({ learningRate: 1e6, epochs: 3 }));
    const { code, stdout } = await runCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir);
    expect(code).toBe(1);
    const id = Number(/^run (\d+)/.exec(stdout)?.[1]);
    expect(stdout).toMatch(/diverged at step \d+/);
    const run = runRow(id);
    expect(run['status']).toBe('diverged');
    const step = run['diverged_at_step'] as number;
    expect(step).toBeGreaterThan(0);
    // Every step up to the bad one is kept.
    expect(metricCounts(id)['train/loss']).toBe(step);
  });

  it.each(['SIGINT', 'SIGHUP'] as const)(
    'keeps every reported step and marks the run interrupted on %s',
    async (signal) => {
      const file = ws.write(
        'long.yaml',
        // 5,000 steps an epoch: the first flush (within a second) comes well inside epoch 1
        // even where a step takes well under a millisecond.
        syntheticConfig({ train: 80_000, batchSize: 16, epochs: 3 }),
      );
      const name = `to-interrupt-${signal}`;
      const child = startCli(['exp', file, '--db', ws.db, '--name', name], ws.dir);
      // Wait until the run has written steps (the writer flushes at least every second).
      let runId: number | undefined;
      for (let i = 0; i < 600 && runId === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!existsSync(ws.db)) continue;
        runId = readStore(ws.db, (sql) => {
          const row = sql
            .prepare(
              "select r.id from runs r where r.name = ? and exists (select 1 from metrics m where m.run_id = r.id and m.key = 'train/loss')",
            )
            .get(name) as { id: number } | undefined;
          return row?.id;
        });
      }
      expect(runId).toBeDefined();
      child.kill(signal);
      const { code, stdout } = await child.result;
      expect(code).toBe(130);
      expect(runRow(runId!)['status']).toBe('interrupted');
      // The summary groups thousands: "after 1,337 steps".
      const steps = Number(/after ([\d,]+) steps/.exec(stdout)?.[1]?.replaceAll(',', ''));
      expect(steps).toBeGreaterThan(0);
      expect(steps).toBeLessThan(5000); // stopped mid-epoch 1
      const recorded = losses(runId!);
      expect(recorded.length).toBe(steps);
      expect(metricCounts(runId!)['train/accuracy']).toBe(steps);
    },
  );

  it('quits at once on a second SIGINT, keeping the steps already flushed, the run marked interrupted', async () => {
    // Big batches make each step long: both signals arrive within one step.
    const file = ws.write(
      'twice.yaml',
      syntheticConfig({ train: 40_000, batchSize: 4_000, epochs: 3 }),
    );
    const child = startCli(['exp', file, '--db', ws.db, '--name', 'to-kill'], ws.dir);
    let runId: number | undefined;
    for (let i = 0; i < 600 && runId === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(ws.db)) continue;
      runId = readStore(ws.db, (sql) => {
        const row = sql
          .prepare(
            "select r.id from runs r where r.name = 'to-kill' and exists (select 1 from metrics m where m.run_id = r.id and m.key = 'train/loss')",
          )
          .get() as { id: number } | undefined;
        return row?.id;
      });
    }
    expect(runId).toBeDefined();
    child.kill('SIGINT');
    // Two SIGINTs sent before the child is scheduled merge into one (signals do not queue): send
    // the second once the kernel has handed the first to the process (no SIGINT pending).
    await signalTaken(child.pid!, 'SIGINT');
    child.kill('SIGINT');
    const { code, stdout } = await child.result;
    expect(code).toBe(130);
    expect(stdout).not.toMatch(/interrupted after/);
    // Marked on the way out (one quick write), not left `running`.
    expect(runRow(runId!)['status']).toBe('interrupted');
    expect(runRow(runId!)['error']).toBe('SIGINT twice: quit at once');
    expect(losses(runId!).length).toBeGreaterThan(0);
  });

  it('refuses a store path that cannot be opened before training', async () => {
    const file = ws.write('ok.yaml', syntheticConfig({ epochs: 1 }));
    ws.write('not-a-dir', 'x');
    const { code, stderr } = await runCli(
      ['exp', file, '--db', path.join(ws.dir, 'not-a-dir', 'r.db')],
      ws.dir,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: .*not-a-dir/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a config error with its location and exit code 2', async () => {
    const file = ws.write(
      'bad.yaml',
      syntheticConfig().replace('learningRate: 0.01', 'learningRate: -1'),
    );
    const { code, stderr } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.yaml:\d+:\d+ error .*learningRate/);
  });
});

/** Resolves once `signal` is no longer pending for process `pid` (Linux: /proc/PID/status). */
async function signalTaken(pid: number, signal: NodeJS.Signals): Promise<void> {
  const bit = 1n << BigInt(osConstants.signals[signal] - 1);
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) {
    await new Promise((r) => setTimeout(r, 200)); // no /proc (macOS): give the child a moment
    return;
  }
  for (let i = 0; i < 200; i++) {
    const status = readFileSync(file, 'utf8');
    const pending = ['SigPnd', 'ShdPnd'].map((field) =>
      BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`),
    );
    if (pending.every((mask) => (mask & bit) === 0n)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${signal} still pending for process ${pid} after 2 s`);
}
