import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { artifactsDirOf, readStore, runCli, startCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('resume');
afterAll(() => ws.remove());

// 1,920 examples at batch 32: 60 steps an epoch; 3 epochs; a checkpoint every 7 steps and each
// epoch end. The images and the net are larger than the kit's (about 6 ms a step, not 2) so that
// a SIGTERM sent at epoch 2's first checkpoint (step 63) lands well before its edge (step 120),
// also on a loaded machine: with 20 steps an epoch it came at the edge once in three runs.
const config = (name: string, test = 100): string =>
  syntheticConfig({ name, train: 1920, test, epochs: 3, extra: '  checkpointEvery: 7\n' })
    .replace('  synthetic:', '  augment: {shift: 1, flip: true}\n  synthetic:')
    .replaceAll('12, 12, 1', '28, 28, 1')
    .replace('filters: 4', 'filters: 16')
    .replace('units: 16', 'units: 64');

function metrics(runId: number): { key: string; step: number; value: number }[] {
  return readStore(
    ws.db,
    (sql) =>
      sql
        .prepare(
          "select key, step, value from metrics where run_id = ? and key not like 'perf/%' order by key, step",
        )
        .all(runId) as { key: string; step: number; value: number }[],
  );
}

function logLines(runId: number): { msg: string; [key: string]: unknown }[] {
  if (!existsSync(ws.db)) return [];
  let file: string;
  try {
    file = path.join(artifactsDirOf(ws.db, runId), 'log.jsonl');
  } catch {
    return [];
  }
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { msg: string });
}

/** Resolves once the run's log has a line matching `match` (the log is written synchronously). */
async function waitForLog(
  runId: number,
  match: (line: { msg: string; [k: string]: unknown }) => boolean,
) {
  for (let i = 0; i < 3000; i++) {
    if (logLines(runId).some(match)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} never logged the awaited line`);
}

function storeDump(): string {
  return readStore(ws.db, (sql) =>
    JSON.stringify([
      sql.prepare('select id, status, ended_at, error, notices, pid from runs order by id').all(),
      sql.prepare('select count(*) as n from metric_values').get(),
    ]),
  );
}

let reference: ReturnType<typeof metrics>;
let nextRun = 1;

describe('runner exp --resume: the resumed run is the same run', () => {
  it('trains the uninterrupted reference run', async () => {
    const file = ws.write('resume.yaml', config('resume'));
    const r = await runCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir);
    expect(r.code).toBe(0);
    reference = metrics(nextRun++);
    expect(reference.filter((m) => m.key === 'train/loss')).toHaveLength(180);
  });

  it('after a SIGTERM in the middle of an epoch, has the same losses step for step, in the same row', async () => {
    const runId = nextRun++;
    const file = path.join(ws.dir, 'resume.yaml');
    const child = startCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir);
    await waitForLog(runId, (l) => l.msg === 'checkpoint written' && l['step'] === 63);
    child.kill('SIGTERM');
    const stopped = await child.result;
    expect(stopped.code).toBe(130);
    const interrupt = logLines(runId).find((l) => l['reason'] === 'interrupt');
    // Stopped inside epoch 2, not at its edge.
    expect(interrupt).toMatchObject({ epoch: 2 });
    expect(interrupt!['batchesDone']).toBeGreaterThan(0);
    expect(interrupt!['batchesDone']).toBeLessThan(60);

    const resumed = await runCli(
      ['exp', '--resume', String(runId), '--db', ws.db, '--json'],
      ws.dir,
    );
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId, status: 'completed', steps: 180 });
    expect(metrics(runId)).toEqual(reference);
    const notices = readStore(ws.db, (sql) =>
      sql.prepare('select notices from runs where id = ?').get(runId),
    ) as { notices: string };
    expect(JSON.parse(notices.notices)).toContainEqual(
      expect.stringMatching(/^resumed at step \d+ \(epoch 2\) from its checkpoint$/),
    );
    expect(readStore(ws.db, (sql) => sql.prepare('select count(*) as n from runs').get())).toEqual({
      n: 2,
    });
  });

  it('after a kill -9 during evaluation, has the same losses and evaluations', async () => {
    // A large test split so that evaluation takes long enough to be killed in.
    const file = ws.write('resume-eval.yaml', config('resume-eval', 12000));
    const full = await runCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir);
    expect(full.code).toBe(0);
    const evalReference = metrics(nextRun++);
    const runId = nextRun++;
    const child = startCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir);
    await waitForLog(runId, (l) => l.msg === 'evaluation started' && l['epoch'] === 2);
    child.kill('SIGKILL');
    await child.result;
    // Killed before epoch 2's evaluation was recorded; the run row still says running.
    const killed = metrics(runId);
    expect(killed.filter((m) => m.key === 'test/loss')).toHaveLength(1);
    const resumed = await runCli(
      ['exp', '--resume', String(runId), '--db', ws.db, '--quiet'],
      ws.dir,
    );
    expect(resumed.code).toBe(0);
    expect(metrics(runId)).toEqual(evalReference);
    // Two full runs and a resumed one of real processes: about 25 s on a quiet machine, past the
    // default 60 s when the machine is loaded (it timed out once at a load average of 16).
  }, 180_000);
});

describe('runner exp --resume refuses, in one line, changing nothing', () => {
  const refused = async (args: string[], pattern: RegExp, code = 1): Promise<void> => {
    const before = storeDump();
    const r = await runCli(['exp', ...args, '--db', ws.db], ws.dir);
    expect(r.code).toBe(code);
    expect(r.stderr.trim()).toMatch(pattern);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('  hint:')),
    ).toHaveLength(1);
    expect(storeDump()).toBe(before);
  };

  it('a completed run', async () => {
    await refused(
      ['--resume', '1'],
      /^error: --resume 1: run 1 completed; only an interrupted, failed or lost run can be resumed$/,
    );
  });

  it('a run id that is not in the store', async () => {
    await refused(['--resume', '99'], /^error: --resume 99: no run with id 99 in /);
  });

  describe('for an interrupted run', () => {
    let runId: number;
    let checkpoint: string;
    it('(made by a SIGINT)', async () => {
      runId = nextRun++;
      const child = startCli(
        ['exp', path.join(ws.dir, 'resume.yaml'), '--db', ws.db, '--quiet'],
        ws.dir,
      );
      await waitForLog(runId, (l) => l.msg === 'checkpoint written');
      child.kill('SIGINT');
      expect((await child.result).code).toBe(130);
      checkpoint = path.join(artifactsDirOf(ws.db, runId), 'resume.ckpt');
      expect(existsSync(checkpoint)).toBe(true);
    });

    it('whose config differs, unless --force', async () => {
      const other = ws.write('other.yaml', config('resume').replace('seed: 3', 'seed: 4'));
      await refused(
        [other, '--resume', String(runId)],
        /^error: --resume \d+: this would continue run \d+ with a config with hash \w+ \(the run has \w+\)$/m,
      );
    });

    it('on another backend, unless --force', async () => {
      await refused(
        ['--resume', String(runId), '--backend', 'cpu'],
        /backend cpu \(the run trained on wasm\)/,
      );
    });

    it('started by another runner version, unless --force', async () => {
      const Database = (await import('better-sqlite3')).default;
      const sql = new Database(ws.db);
      sql.prepare("update runs set runner_version = '0.0.1' where id = ?").run(runId);
      sql.close();
      await refused(
        ['--resume', String(runId)],
        /runner [\d.]+ \(the run was started by 0\.0\.1\)$/m,
      );
      const undo = new Database(ws.db);
      undo
        .prepare(
          'update runs set runner_version = (select runner_version from runs where id = 1) where id = ?',
        )
        .run(runId);
      undo.close();
    });

    it('with a damaged checkpoint', async () => {
      const bytes = readFileSync(checkpoint);
      const damaged = Buffer.from(bytes);
      damaged[damaged.length - 100] = damaged[damaged.length - 100]! ^ 0xff;
      writeFileSync(checkpoint, damaged);
      await refused(
        ['--resume', String(runId)],
        /has a damaged checkpoint .*resume\.ckpt: its checksum does not match/,
      );
      writeFileSync(checkpoint, bytes.subarray(0, 200));
      await refused(['--resume', String(runId)], /has a damaged checkpoint/);
      writeFileSync(checkpoint, bytes);
    });

    it('without a checkpoint', async () => {
      rmSync(checkpoint);
      await refused(
        ['--resume', String(runId)],
        /^error: --resume \d+: run \d+ has no checkpoint to continue from \(.*resume\.ckpt is missing\)$/m,
      );
    });
  });
});
