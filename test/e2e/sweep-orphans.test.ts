import { existsSync, readdirSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, startCli, syntheticConfig } from './cli-kit.js';

// Real sweeps, real trial processes, real signals: what happens to the trials of a sweep
// whose process is killed (`kill -9`), resumed, or stopped by Ctrl-C while trials start.

const ws = makeTempDir('sweep-orphans');
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  ws.remove();
});

interface RunRow {
  id: number;
  trial_index: number;
  status: string;
  pid: number | null;
  started_at: number;
  ended_at: number | null;
}

function sweepRuns(db: string, sweepId: number): RunRow[] {
  if (!existsSync(db)) return [];
  try {
    return readStore(db, (sql) =>
      sql
        .prepare(
          'select id, trial_index, status, pid, started_at, ended_at from runs where sweep_id = ? order by id',
        )
        .all(sweepId),
    ) as RunRow[];
  } catch {
    return []; // the store is being created
  }
}

function sweepStatus(db: string, sweepId: number): unknown {
  return readStore(db, (sql) =>
    sql.prepare('select status from sweeps where id = ?').pluck().get(sweepId),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of a process's children (Linux: /proc/PID/task/PID/children). */
/** The child processes of `pid`, from every one of its threads (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number),
  );
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Long trials: each would train for minutes, so only a stop ends them within the test. */
const longConfig = (name: string): string =>
  syntheticConfig({ name, train: 2000, batchSize: 16, epochs: 2000 });

describe('runner sweep: orphans, resume of live trials, Ctrl-C', () => {
  it('kill -9 of the sweep ends its trials; --resume refuses a trial still alive, then keeps --parallel 1', async () => {
    const file = ws.write('orphans.yaml', longConfig('orphans'));
    const db = `${ws.dir}/orphans.db`;
    const sweep = startCli(
      ['sweep', file, '--set', 'train.optimizer.learningRate=0.01,0.003', '--parallel', '1'],
      ws.dir,
      { RUNNER_DB: db },
    );
    started.push(sweep.pid!);
    const trial = await waitFor('the first trial to record steps', () => {
      const run = sweepRuns(db, 1).find((r) => r.status === 'running' && r.pid !== null);
      return run ? run : undefined;
    });
    started.push(trial.pid!);

    // 1. A trial frozen (SIGSTOP) cannot react to its parent's death: it outlives it.
    process.kill(trial.pid!, 'SIGSTOP');
    process.kill(sweep.pid!, 'SIGKILL');
    await sweep.result;
    expect(isAlive(trial.pid!)).toBe(true);
    const refused = await runCli(['sweep', '--resume', '1'], ws.dir, { RUNNER_DB: db });
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: --resume 1: trial 1 is still running \\(run ${trial.id}, pid ${trial.pid} on [^)]+\\): resuming now would start it a second time`,
        'm',
      ),
    );
    expect(refused.stderr).toMatch(
      /^\s*hint: wait for it to end, or stop it \(kill PID\), then resume$/m,
    );
    expect(sweepRuns(db, 1).map((r) => r.id)).toEqual([trial.id]); // no second copy

    // 2. Running again, the trial finds its parent gone and stops: well before its 60 epochs.
    const woke = Date.now();
    process.kill(trial.pid!, 'SIGCONT');
    await waitFor(
      'the orphaned trial to end',
      () => (isAlive(trial.pid!) ? undefined : true),
      30_000,
    );
    expect(Date.now() - woke).toBeLessThan(30_000);
    const ended = sweepRuns(db, 1).find((r) => r.id === trial.id)!;
    expect(ended.status).toBe('interrupted');

    // 3. The resume runs the trials again, one at a time as the sweep was started (the
    // machine may have more cores: without --parallel the default would be one per core).
    const resumed = startCli(['sweep', '--resume', '1'], ws.dir, { RUNNER_DB: db });
    started.push(resumed.pid!);
    let stderr = '';
    resumed.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('the resume to start a trial', () =>
      sweepRuns(db, 1).some((r) => r.id !== trial.id && r.status === 'running') ? true : undefined,
    );
    expect(stderr).toContain("sweep 1: 2 trials, 1 at a time (the sweep's --parallel 1)");
    // Two seconds later there is still one trial running, not two.
    await new Promise((r) => setTimeout(r, 2000));
    expect(sweepRuns(db, 1).filter((r) => r.status === 'running')).toHaveLength(1);
    resumed.kill('SIGINT');
    const done = await resumed.result;
    expect(done.code).toBe(130);
    expect(sweepRuns(db, 1).filter((r) => r.status === 'running')).toEqual([]);
  }, 240_000);

  it('kill -9 of the sweep while its trial is still loading: the trial still finds its parent gone', async () => {
    const file = ws.write('loading.yaml', longConfig('loading'));
    const db = `${ws.dir}/loading.db`;
    const sweep = startCli(
      ['sweep', file, '--set', 'train.optimizer.learningRate=0.01,0.003', '--parallel', '1'],
      ws.dir,
      { RUNNER_DB: db },
    );
    started.push(sweep.pid!);
    let stderr = '';
    sweep.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('the first trial to start', () =>
      /trial 1\/2 started/.test(stderr) ? true : undefined,
    );
    // The trial is being spawned (the line may come just before the process exists): its
    // parent dies before it could listen for that.
    const trials = await waitFor('the trial process', () => {
      const children = childrenOf(sweep.pid!);
      return children.length > 0 ? children : undefined;
    });
    expect(trials).toHaveLength(1);
    started.push(...trials);
    process.kill(sweep.pid!, 'SIGKILL');
    await sweep.result;
    await waitFor('the trial to end', () => (isAlive(trials[0]!) ? undefined : true), 60_000);
    // It ended before recording (its output went nowhere while it was loading), or it recorded
    // its run and ended it interrupted: either way it did not train on, nor left a run running.
    expect(sweepRuns(db, 1).map((r) => r.status)).toEqual(
      sweepRuns(db, 1).length === 0 ? [] : ['interrupted'],
    );
  }, 120_000);

  it("--resume refuses while the sweep's own process is alive (frozen, its trial killed): by pid here, by heartbeat from another host", async () => {
    const file = ws.write('alive.yaml', longConfig('alive'));
    const db = `${ws.dir}/alive.db`;
    const sweep = startCli(
      ['sweep', file, '--set', 'train.optimizer.learningRate=0.01,0.003', '--parallel', '1'],
      ws.dir,
      { RUNNER_DB: db, RUNNER_HEARTBEAT_MS: '200' },
    );
    started.push(sweep.pid!);
    const trial = await waitFor('the first trial to record steps', () =>
      sweepRuns(db, 1).find((r) => r.status === 'running' && r.pid !== null),
    );
    started.push(trial.pid!);
    // The sweep's process beats while it runs (nothing else writes its row meanwhile).
    const beat = (): { started_at: number; updated_at: number } =>
      readStore(db, (sql) =>
        sql.prepare('select started_at, updated_at from sweeps where id = 1').get(),
      ) as { started_at: number; updated_at: number };
    await waitFor(
      "the sweep's heartbeat to move",
      () => (beat().updated_at > beat().started_at + 600 ? true : undefined),
      20_000,
    );
    // The sweep frozen between two trials: its trial gone, the sweep's process still there.
    process.kill(sweep.pid!, 'SIGSTOP');
    process.kill(trial.pid!, 'SIGKILL');
    // (The frozen sweep cannot reap it: the dead trial stays a zombie until the sweep is gone.)
    await new Promise((r) => setTimeout(r, 500));
    const refused = await runCli(['sweep', '--resume', '1'], ws.dir, { RUNNER_DB: db });
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: --resume 1: sweep 1 is still running \\(pid ${sweep.pid} on [^);]+\\): resuming now would start its trials a second time`,
        'm',
      ),
    );
    expect(sweepRuns(db, 1).map((r) => r.id)).toEqual([trial.id]);

    // The same sweep as if recorded on another host (a store on a shared disk): its pid means
    // nothing here, its heartbeat decides.
    const write = (sqlText: string, ...params: unknown[]): void => {
      const sql = new Database(db);
      try {
        sql.prepare(sqlText).run(...params);
      } finally {
        sql.close();
      }
    };
    write(
      `update sweeps set definition_json = json_set(definition_json, '$.process.host', 'elsewhere.invalid'), updated_at = ? where id = 1`,
      Date.now() - 12_000,
    );
    const remote = await runCli(['sweep', '--resume', '1'], ws.dir, { RUNNER_DB: db });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(
      new RegExp(
        `^error: --resume 1: sweep 1 is still running \\(pid ${sweep.pid} on elsewhere\\.invalid; another host, so judged by its heartbeat: the last 1[2-9] s ago, taken as gone after 5 min without one\\): resuming now would start its trials a second time`,
        'm',
      ),
    );
    expect(remote.stderr).toMatch(/hint: wait for it to end, or stop it on elsewhere\.invalid/);
    expect(sweepRuns(db, 1).map((r) => r.id)).toEqual([trial.id]);
    // Silent for longer than the timeout: gone, and the resume goes ahead.
    write('update sweeps set updated_at = ? where id = 1', Date.now() - 6 * 60_000);
    const resumed = startCli(['sweep', '--resume', '1'], ws.dir, { RUNNER_DB: db });
    started.push(resumed.pid!);
    let stderr = '';
    resumed.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('the resume to start', () =>
      /sweep 1: 2 trials, 1 at a time/.test(stderr) ? true : undefined,
    );
    resumed.kill('SIGINT');
    expect((await resumed.result).code).toBe(130);
    process.kill(sweep.pid!, 'SIGKILL');
    await sweep.result;
  }, 120_000);

  it('a --parallel given to a resume is recorded: the next resume keeps it', async () => {
    const file = ws.write('parallel.yaml', longConfig('parallel'));
    const db = `${ws.dir}/parallel.db`;
    const startedLine = async (args: string[], line: RegExp): Promise<string> => {
      const child = startCli(args, ws.dir, { RUNNER_DB: db });
      started.push(child.pid!);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor(`${args.join(' ')} to print ${line}`, () =>
        line.test(stderr) ? true : undefined,
      );
      child.kill('SIGINT');
      const { code } = await child.result;
      expect({ code, stderr }).toEqual({ code: 130, stderr: expect.any(String) });
      return stderr;
    };
    // Each one stopped (Ctrl-C) once its first trial has started.
    const lrs = 'train.optimizer.learningRate=0.01,0.003,0.001';
    const first = await startedLine(['sweep', file, '--set', lrs, '--parallel', '1'], /started/);
    expect(first).toContain('sweep 1: 3 trials, 1 at a time\n');
    const given = await startedLine(['sweep', '--resume', '1', '--parallel', '2'], /started/);
    expect(given).toContain('sweep 1: 3 trials, 2 at a time\n');
    const again = await startedLine(['sweep', '--resume', '1'], /started/);
    expect(again).toContain("sweep 1: 3 trials, 2 at a time (the sweep's --parallel 2)\n");
  }, 120_000);

  it('Ctrl-C while the trials are still starting ends every one of them interrupted, not failed', async () => {
    const file = ws.write('ctrl-c.yaml', longConfig('ctrl-c'));
    for (const [name, toGroup] of [
      ['group', true], // a terminal's Ctrl-C: SIGINT to the whole foreground process group
      ['parent', false], // SIGINT to the sweep's process only
    ] as const) {
      const db = `${ws.dir}/ctrl-c-${name}.db`;
      const sweep = startCli(
        [
          'sweep',
          file,
          '--set',
          'train.optimizer.learningRate=0.01,0.003,0.001,0.0003',
          '--parallel',
          '2',
        ],
        ws.dir,
        { RUNNER_DB: db },
        { detached: true },
      );
      started.push(sweep.pid!);
      let stderr = '';
      sweep.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor('two trials to start', () =>
        /trial 2\/4 started/.test(stderr) ? true : undefined,
      );
      // The trials have just been spawned: they are still loading, before any signal handler.
      process.kill(toGroup ? -sweep.pid! : sweep.pid!, 'SIGINT');
      const result = await sweep.result;
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/^trial 1\/4 interrupted/m);
      expect(result.stderr).toMatch(/^trial 2\/4 interrupted/m);
      expect(result.stderr).not.toMatch(/failed|exited with code/);
      expect(result.stderr).not.toMatch(/trial [34]\/4 started/);
      expect(sweepStatus(db, 1)).toBe('interrupted');
      // A trial that got as far as recording its run has it marked interrupted too.
      for (const run of sweepRuns(db, 1)) expect(run.status).toBe('interrupted');
    }
  }, 180_000);
});
