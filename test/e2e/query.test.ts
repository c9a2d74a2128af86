/**
 * The query commands as a user runs them: `runner runs ls|show|rm|export`, `runner compare`
 * and `runner query`, spawned as `node dist/cli/main.js` (npm test builds first) on a store
 * this test fills through the store API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { makeTempDir, newRun } from '../test-kit.js';

const MAIN = join(process.cwd(), 'dist/cli/main.js');

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let cleanup: () => void;
let db: string;
const ids: number[] = [];

function runner(args: readonly string[], env: Record<string, string> = {}): Result {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: dir,
    env: { ...process.env, RUNNER_DB: db, ...env },
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'], // stdin is not a terminal
    timeout: 30_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const count = (sql: string, path = db): number => {
  const conn = new Database(path, { readonly: true });
  try {
    return (conn.prepare(sql).pluck().get() as number) ?? 0;
  } finally {
    conn.close();
  }
};

/** Three runs of 30 steps (3 epochs): learning rates 0.01, 0.001, 0.0001; the middle one is best. */
beforeAll(async () => {
  if (!existsSync(MAIN))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  ({ dir, remove: cleanup } = makeTempDir('e2e-query'));
  db = join(dir, 'runs', 'runner.db');
  const store = await openStore(db);
  const finals = [0.91, 0.97, 0.88];
  for (const [i, learningRate] of [0.01, 0.001, 0.0001].entries()) {
    const id = await store.createRun(newRun({ learningRate }));
    const artifacts = join(dir, 'runs', String(id));
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'model.json'), '{}');
    await store.setRunFacts(id, { artifactsDir: artifacts });
    const writer = await store.createMetricWriter(id);
    for (let step = 1; step <= 30; step++) {
      const epoch = Math.floor((step - 1) / 10);
      writer.add('train/loss', step, epoch, 2.3 / step + i / 10);
      writer.add('train/accuracy', step, epoch, Math.min(1, step / 30));
      if (step % 10 === 0) {
        writer.add('test/loss', step, epoch, 1 / step + i / 100);
        writer.add('test/accuracy', step, epoch, finals[i]! - (30 - step) / 1000);
      }
    }
    await writer.close();
    await store.finishRun(id, { status: 'completed' });
    ids.push(id);
  }
  await store.close();
});
afterAll(() => cleanup?.());

describe('runner runs ls', () => {
  it('lists runs newest first with the varying param and final/best test metrics', async () => {
    const { code, stdout, stderr } = runner(['runs', 'ls']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^id\s+name\s+status\s+started\s+duration\s+learningRate\s+test\/accuracy\s+best\s+test\/loss\s+best$/,
    );
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([...ids].reverse());
    expect(lines[1]).toMatch(/completed .* 0\.0001\s+0\.8800\s+0\.8800/);
  });

  it('prints JSON and CSV, filtered by --where and sorted by a metric', async () => {
    const json = runner([
      'runs',
      'ls',
      '--json',
      '--where',
      'train.optimizer.learningRate <= 0.001',
      '--sort',
      'best:test/accuracy',
    ]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as {
      id: number;
      params: Record<string, number>;
      metrics: Record<string, { final: number; best: number }>;
    }[];
    expect(rows.map((r) => r.id)).toEqual([ids[1], ids[2]]);
    expect(rows[0]!.params['train.optimizer.learningRate']).toBe(0.001);
    expect(rows[0]!.metrics['test/accuracy']).toMatchObject({ final: 0.97, best: 0.97 });
    const csv = runner([
      'runs',
      'ls',
      '--csv',
      '--status',
      'completed',
      '--limit',
      '1',
      '--sort',
      'best:test/accuracy',
    ]);
    expect(csv.code).toBe(0);
    const [header, row, ...rest] = csv.stdout.trimEnd().split('\n');
    // One run: nothing varies, so the default key params are shown.
    expect(header).toBe(
      'id,name,status,started,duration,train.optimizer.type,train.optimizer.learningRate,data.batchSize,train.epochs,' +
        'test/accuracy,best:test/accuracy,test/loss,best:test/loss',
    );
    expect(row).toMatch(new RegExp(`^${ids[1]},lenet,completed,`));
    expect(rest).toEqual([]);
    expect(csv.stderr).toBe('showing 1 of 3 runs; --limit 0 shows all\n');
  });

  it('answers an unknown field in --where with one line and the likely field', async () => {
    const { code, stdout, stderr } = runner(['runs', 'ls', '--where', 'test/acuracy > 0.9']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      'error: --where, column 1: unknown field "test/acuracy" (did you mean "test/accuracy"?)',
    );
  });
});

describe('runner query: output of any size', () => {
  const numbers = (n: number) =>
    `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT ${n}) SELECT x, 'row ' || x AS label FROM c`;

  it('prints a table of 150,000 rows', () => {
    const { code, stdout, stderr } = runner(['query', numbers(150_000)]);
    expect(stderr).toBe('150,000 rows\n');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines).toHaveLength(150_002);
    expect(lines[0]).toMatch(/^\s+x  label$/);
    expect(lines[150_000]).toBe('150000  row 150000');
  });

  it.each([
    ['--csv', 'x,label', '400000,row 400000'],
    ['--json', '[', '  {"x":400000,"label":"row 400000"}'],
  ])(
    'streams %s rows instead of holding them: 400,000 rows in a 32 MB heap',
    (flag, firstLine, lastRow) => {
      // Held in memory, 400,000 rows as objects take well over 32 MB of heap.
      const { code, stdout, stderr } = runner(['query', numbers(400_000), flag], {
        NODE_OPTIONS: '--max-old-space-size=32',
      });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(firstLine);
      expect(lines).toHaveLength(flag === '--csv' ? 400_001 : 400_002);
      expect(lines.at(flag === '--csv' ? -1 : -2)).toBe(lastRow);
      if (flag === '--json') expect(JSON.parse(stdout)).toHaveLength(400_000);
    },
  );
});

describe('runner runs ls --where: expressions too deep or too long', () => {
  it.each([
    [
      '5,000 nested parentheses',
      `${'('.repeat(5000)}seed = 1${')'.repeat(5000)}`,
      'error: --where, column 65: nested more than 64 deep (parentheses and "not")',
    ],
    [
      '3,000 "or"s',
      new Array(3000).fill('seed = 1').join(' or '),
      'error: --where, column 2401: more than 200 comparisons',
    ],
  ])('answers %s with one located line, exit 1', (_name, where, line) => {
    const { code, stdout, stderr } = runner(['runs', 'ls', '--where', where]);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(line);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
    expect(code).toBe(1);
  });

  it('still accepts 64 levels and 200 comparisons', () => {
    const deep = `${'('.repeat(64)}seed = 1${')'.repeat(64)}`;
    const long = new Array(200).fill('seed = 1').join(' or ');
    for (const where of [deep, long]) {
      const { code, stderr } = runner(['runs', 'ls', '--where', where]);
      expect(stderr).not.toContain('error');
      expect(code).toBe(0);
    }
  });
});

describe('runner runs show', () => {
  it('shows facts, metrics with best steps, sparkline curves and the config', async () => {
    const { code, stdout } = runner(['runs', 'show', String(ids[1])]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^run ${ids[1]}  lenet  completed\n`));
    expect(stdout).toMatch(/backend\s+cpu/);
    expect(stdout).toMatch(/test\/accuracy\s+0\.9700\s+30\s+0\.9700\s+30\s+3/);
    expect(stdout).toMatch(/train\/loss\s+2\.4000 [▁▂▃▄▅▆▇█]+ 0\.1767\s+\(30 points\)/);
    expect(stdout).toContain('config:\n  name: lenet');
  });

  it('prints the run record as JSON', async () => {
    const { code, stdout } = runner(['runs', 'show', String(ids[0]), '--json']);
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as {
      id: number;
      params: Record<string, unknown>;
      metrics: Record<string, { best: number; bestStep: number }>;
    };
    expect(run.id).toBe(ids[0]);
    expect(run.params['train.optimizer.learningRate']).toBe(0.01);
    expect(run.metrics['test/accuracy']).toMatchObject({ best: 0.91, bestStep: 30 });
  });

  it('refuses an unknown id with one line and a non-zero exit', async () => {
    const { code, stdout, stderr } = runner(['runs', 'show', '999']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: no run with id 999 in .*runner\.db\n/);
    expect(runner(['runs', 'show', 'abc']).stderr).toMatch(/"abc" is not a run id/);
  });
});

describe('runner compare', () => {
  it('shows only the differing config values and marks the winners', async () => {
    const { code, stdout, stderr } = runner([
      'compare',
      String(ids[0]),
      String(ids[1]),
      String(ids[2]),
    ]);
    expect(code).toBe(0);
    const line = (field: string): string => stdout.split('\n').find((l) => l.startsWith(field))!;
    expect(line('train.optimizer.learningRate')).toMatch(/0\.01\s+0\.001\s+0\.0001$/);
    expect(stdout).not.toMatch(/^data\.batchSize/m);
    expect(line('test/accuracy final')).toMatch(/0\.9100\s+0\.9700 \*\s+0\.8800$/);
    expect(line('test/loss final')).toMatch(/0\.0333 \*\s+0\.0433\s+0\.0533$/);
    expect(stderr).toContain('1 config value(s) differ');
  });

  it('prints JSON with winner indexes', async () => {
    const { stdout } = runner(['compare', String(ids[0]), String(ids[1]), '--json']);
    const cmp = JSON.parse(stdout) as {
      params: { key: string }[];
      metrics: { key: string; finalWinner: number }[];
    };
    expect(cmp.params.map((p) => p.key)).toEqual(['train.optimizer.learningRate']);
    expect(cmp.metrics.find((m) => m.key === 'test/accuracy')!.finalWinner).toBe(1);
  });

  it('refuses unknown ids and a single id', async () => {
    expect(runner(['compare', String(ids[0]), '404']).stderr).toMatch(/^error: no run with id 404/);
    expect(runner(['compare', String(ids[0])]).stderr).toMatch(/at least two different run ids/);
  });
});

describe('runner query', () => {
  it('runs read-only SQL over the views, as a table, JSON or CSV', async () => {
    const sql = 'SELECT id, final_test_accuracy FROM run_summary ORDER BY id';
    const table = runner(['query', sql]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+final_test_accuracy$/);
    expect(JSON.parse(runner(['query', sql, '--json']).stdout)).toEqual(
      ids.map((id, i) => ({ id, final_test_accuracy: [0.91, 0.97, 0.88][i] })),
    );
    expect(runner(['query', sql, '--csv']).stdout.split('\n')[0]).toBe('id,final_test_accuracy');
  });

  it('refuses DELETE with one line, and the table is unchanged', async () => {
    const before = count('SELECT count(*) FROM metric_values');
    const { code, stdout, stderr } = runner(['query', 'DELETE FROM metric_values']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      'error: refused: DELETE statements write to or change the store',
    );
    expect(count('SELECT count(*) FROM metric_values')).toBe(before);
    expect(count('SELECT count(*) FROM runs')).toBeGreaterThanOrEqual(2);
  });

  it('explains invalid SQL', async () => {
    const { code, stderr } = runner(['query', 'SELECT * FROM nowhere']);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe('error: invalid SQL: no such table: nowhere');
  });
});

describe('runner runs export', () => {
  it('exports every value as CSV, or the run with its curves as JSON', async () => {
    const csv = runner(['runs', 'export', String(ids[0]), '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('run_id,key,step,epoch,value,time');
    expect(lines).toHaveLength(1 + 30 * 2 + 3 * 2);
    const json = runner(['runs', 'export', String(ids[0]), '--format', 'json']);
    const exported = JSON.parse(json.stdout) as {
      run: { id: number };
      metrics: Record<string, unknown[]>;
    };
    expect(exported.run.id).toBe(ids[0]);
    expect(Object.keys(exported.metrics).sort()).toEqual([
      'test/accuracy',
      'test/loss',
      'train/accuracy',
      'train/loss',
    ]);
    expect(exported.metrics['train/loss']).toHaveLength(30);
    const file = join(dir, 'out.csv');
    const toFile = runner(['runs', 'export', String(ids[0]), '--key', 'test/loss', '-o', file]);
    expect(toFile.code).toBe(0);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(4);
  });
});

describe('runner runs rm', () => {
  it('refuses without a terminal or --yes, then deletes with --yes (and the artifacts folder)', async () => {
    const target = ids[2]!;
    const refused = runner(['runs', 'rm', String(target)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(
      'error: refusing to delete 1 run without confirmation (stdin is not a terminal)',
    );
    expect(count(`SELECT count(*) FROM runs WHERE id = ${target}`)).toBe(1);

    const unknown = runner(['runs', 'rm', String(target), '777', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no run with id 777/);
    expect(count(`SELECT count(*) FROM runs WHERE id = ${target}`)).toBe(1);

    const deleted = runner(['runs', 'rm', String(target), '--yes']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(
      new RegExp(`^deleted 1 run: ${target} \\(lenet, completed\\); removed .*runs/${target}\n$`),
    );
    expect(count(`SELECT count(*) FROM runs WHERE id = ${target}`)).toBe(0);
    expect(count(`SELECT count(*) FROM metric_values WHERE run_id = ${target}`)).toBe(0);
    expect(existsSync(join(dir, 'runs', String(target)))).toBe(false);
    expect(existsSync(join(dir, 'runs', String(ids[0])))).toBe(true);
  });
});

describe('runner runs rm on a terminal', () => {
  // util-linux `script` gives the command a pseudo-terminal, as a person at a shell has.
  const canPty = existsSync('/usr/bin/script');
  it.skipIf(!canPty)('asks first, and deletes only on yes', async () => {
    const path = join(dir, 'tty.db');
    const store = await openStore(path);
    const id = await store.createRun(newRun({ name: 'keep-or-not' }));
    await store.finishRun(id, { status: 'completed' });
    await store.close();
    const onTerminal = (answer: string): Result => {
      const command = [process.execPath, MAIN, 'runs', 'rm', String(id), '--db', path]
        .map((a) => `'${a}'`)
        .join(' ');
      const result = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        input: answer,
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const declined = onTerminal('n\n');
    expect(declined.stdout).toContain(
      `delete run ${id} (keep-or-not, completed) from ${path}? [y/N]`,
    );
    expect(declined.stdout).toContain('nothing deleted');
    expect(declined.code).toBe(1);
    expect(count(`SELECT count(*) FROM runs`, path)).toBe(1);
    const accepted = onTerminal('y\n');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`deleted 1 run: ${id} (keep-or-not, completed)`);
    expect(count(`SELECT count(*) FROM runs`, path)).toBe(0);
  });
});

describe('runs whose process died', () => {
  it('shows a run left "running" by a dead process as lost, and lets rm delete it', async () => {
    const path = join(dir, 'dead.db');
    const store = await openStore(path);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a process that has exited
    const live = await store.createRun({
      ...newRun({ name: 'alive' }),
      host: hostname(),
      pid: process.pid,
    });
    const crashed = await store.createRun({
      ...newRun({ name: 'crashed' }),
      host: hostname(),
      pid: dead,
    });
    await store.close();
    const { stdout } = runner(['runs', 'ls', '--db', path, '--json']);
    const status = Object.fromEntries(
      (JSON.parse(stdout) as { id: number; status: string }[]).map((r) => [r.id, r.status]),
    );
    expect(status).toEqual({ [live]: 'running', [crashed]: 'lost' });
    expect(runner(['runs', 'rm', String(live), '--yes', '--db', path]).stderr).toMatch(
      /run \d+ is still running \(pid \d+ on /,
    );
    expect(runner(['runs', 'rm', String(crashed), '--yes', '--db', path]).code).toBe(0);
  });
});

describe('stores the commands refuse', () => {
  it('honours --db over RUNNER_DB and says when there is no store', async () => {
    const { code, stderr } = runner(['runs', 'ls', '--db', join(dir, 'nothing.db')]);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe(`error: no run store at ${join(dir, 'nothing.db')}`);
    expect(existsSync(join(dir, 'nothing.db'))).toBe(false);
  });

  it('refuses a file that is not a runner store, leaving it unchanged', async () => {
    const other = join(dir, 'other.db');
    const conn = new Database(other);
    conn.exec('CREATE TABLE notes (text TEXT)');
    conn.close();
    const before = readFileSync(other);
    for (const args of [
      ['runs', 'ls'],
      ['query', 'SELECT 1'],
      ['runs', 'rm', '1', '--yes'],
    ]) {
      const { code, stderr } = runner([...args, '--db', other]);
      expect(code).toBe(1);
      expect(stderr.split('\n')[0]).toBe(
        `error: ${other} is not a runner store: an SQLite database written by something else`,
      );
    }
    expect(readFileSync(other).equals(before)).toBe(true);
  });

  it('refuses a store from a newer runner', async () => {
    const newer = join(dir, 'newer.db');
    (await openStore(newer)).close();
    const conn = new Database(newer);
    conn.pragma('user_version = 999');
    conn.close();
    const { code, stderr } = runner(['runs', 'ls'], { RUNNER_DB: newer });
    expect(code).toBe(1);
    expect(stderr).toMatch(/has schema version 999, newer than this runner understands/);
    expect(stderr).toMatch(/hint: upgrade runner/);
  });
});
