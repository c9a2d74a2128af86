import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

/**
 * One output scheme across commands: `--json` and `--csv` wherever a command prints data,
 * the CSV read back with a real CSV parser and checked against the JSON of the same command
 * (or the store itself); both flags at once is one line.
 */
describe('--json and --csv on every command that prints data', () => {
  const temp = makeTempDir('output-flags');
  const db = join(temp.dir, 'runs.db');
  const cli = (...args: string[]) => runCli([...args, '--db', db], temp.dir);
  const csvOf = (text: string) =>
    parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  let runs: number[] = [];
  let sweepId = 0;
  const expSummaries: string[] = [];
  let sweepCsv = '';

  beforeAll(async () => {
    temp.write('tiny.yaml', syntheticConfig({ train: 64, test: 32, epochs: 1 }));
    temp.write(
      'bad.yaml',
      syntheticConfig({ train: 64, test: 32, epochs: 1 }).replace(
        'dense: {units: 16',
        'dnse: {units: 16',
      ),
    );
    // One run printed as CSV, the other as JSON: the same summary in two formats.
    for (const [lr, flag] of [
      ['0.01', '--csv'],
      ['0.02', '--json'],
    ] as const) {
      const run = await cli(
        'exp',
        'tiny.yaml',
        flag,
        '--set',
        `train.optimizer.learningRate=${lr}`,
      );
      expect(run.code, run.stderr).toBe(0);
      expSummaries.push(run.stdout);
    }
    const sweep = await cli(
      'sweep',
      'tiny.yaml',
      '--set',
      'data.batchSize=16,32',
      '--parallel',
      '1',
      '--tag',
      'grid-a',
      '--tag',
      'nightly',
      '--csv',
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    sweepCsv = sweep.stdout;
    runs = readStore(db, (sql) =>
      sql.prepare('SELECT id FROM runs ORDER BY id').pluck().all(),
    ) as number[];
    sweepId = readStore(db, (sql) =>
      sql.prepare('SELECT max(id) FROM sweeps').pluck().get(),
    ) as number;
    expect(runs).toHaveLength(4);
  }, 180_000);
  afterAll(() => temp.remove());

  it('sweep --tag tags every trial, and a resume refuses new tags', async () => {
    const tagged = readStore(db, (sql) =>
      sql
        .prepare(
          `SELECT r.id, group_concat(t.tag) AS tags FROM runs r LEFT JOIN
             (SELECT * FROM tags ORDER BY tag) t ON t.run_id = r.id GROUP BY r.id ORDER BY r.id`,
        )
        .all(),
    ) as { id: number; tags: string | null }[];
    expect(tagged.map((r) => r.tags)).toEqual([null, null, 'grid-a,nightly', 'grid-a,nightly']);
    const resume = await cli('sweep', '--resume', String(sweepId), '--tag', 'more');
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(
      /--tag: a resumed sweep tags its trials with the tags it was started with/,
    );
    const bad = await cli(
      'sweep',
      'tiny.yaml',
      '--set',
      'data.batchSize=16,32',
      '--tag',
      'two words',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sweep --tag "two words": a tag is one word/);
  });

  it('exp --csv: one row with the --json summary fields, nothing else on stdout', () => {
    const [csv, json] = expSummaries as [string, string];
    expect(csv.trim().split('\n')).toHaveLength(2);
    const [row] = csvOf(csv) as [Record<string, string>];
    // Every field of --json is a column (nested ones by their path), the confusion matrix aside.
    const summary = JSON.parse(json) as Record<string, unknown>;
    const paths = Object.entries(summary).flatMap(([key, value]) =>
      value !== null && typeof value === 'object'
        ? Object.keys(value)
            .filter((field) => field !== 'confusion')
            .map((field) => `${key}.${field}`)
        : [key],
    );
    for (const path of paths) expect(Object.keys(row)).toContain(path);
    // The values are the run's, as the store has them.
    const stored = readStore(db, (sql) => {
      const last = (key: string) =>
        sql
          .prepare(
            'SELECT value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC LIMIT 1',
          )
          .pluck()
          .get(runs[0], key);
      return {
        steps: sql
          .prepare("SELECT max(step) FROM metrics WHERE run_id = ? AND key = 'train/loss'")
          .pluck()
          .get(runs[0]),
        loss: last('test/loss'),
        accuracy: last('test/accuracy'),
      };
    });
    expect(row).toMatchObject({ runId: String(runs[0]), status: 'completed', evalName: 'test' });
    expect(Number(row.steps)).toBe(stored.steps);
    expect(Number(row['final.loss'])).toBe(stored.loss);
    expect(Number(row['final.accuracy'])).toBe(stored.accuracy);
    expect(row['final.rmse']).toBe('');
  });

  it('sweep --csv: the final trial table as CSV (a row per trial), sweep status --csv the same trials', async () => {
    const rows = csvOf(sweepCsv);
    expect(sweepCsv.split('\n')[0]).toBe('trial,run,status,data.batchSize,test/accuracy');
    const stored = readStore(db, (sql) =>
      sql
        .prepare(
          `SELECT r.id, r.trial_index, (SELECT value FROM metrics m WHERE m.run_id = r.id
             AND m.key = 'test/accuracy' ORDER BY step DESC LIMIT 1) AS accuracy
           FROM runs r WHERE r.sweep_id = ? ORDER BY r.trial_index`,
        )
        .all(sweepId),
    ) as { id: number; trial_index: number; accuracy: number }[];
    expect(
      rows
        .map((r) => [
          Number(r.trial),
          Number(r.run),
          r.status,
          r['data.batchSize'],
          Number(r['test/accuracy']),
        ])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual(
      stored.map((s, i) => [
        s.trial_index + 1,
        s.id,
        'completed',
        i === 0 ? '16' : '32',
        s.accuracy,
      ]),
    );
    const status = await cli('sweep', 'status', String(sweepId), '--csv');
    expect(status.code, status.stderr).toBe(0);
    expect(
      csvOf(status.stdout).map((r) => [Number(r.trial), Number(r.run), r.status, r.attempts]),
    ).toEqual(stored.map((s) => [s.trial_index + 1, s.id, 'completed', '1']));
    const both = await cli('sweep', 'status', String(sweepId), '--csv', '--json');
    expect(both.code).toBe(1);
    expect(both.stderr.trim()).toMatch(/^error: --json and --csv: choose one output format/);
  });

  it('validate --csv: a row per problem with its line and column; a valid file one row', async () => {
    const out = await runCli(['validate', 'tiny.yaml', 'bad.yaml', '--csv'], temp.dir);
    expect(out.code, out.stderr).toBe(2);
    const rows = csvOf(out.stdout);
    expect(rows[0]).toMatchObject({ file: 'tiny.yaml', valid: 'true', code: '' });
    const problems = rows.filter((r) => r.valid === 'false');
    expect(problems.length).toBeGreaterThan(0);
    const json = JSON.parse(
      (await runCli(['validate', 'tiny.yaml', 'bad.yaml', '--json'], temp.dir)).stdout,
    ) as {
      files: {
        file: string;
        diagnostics: { code: string; line: number; column: number; message: string }[];
      }[];
    };
    expect(problems.map((p) => [p.code, Number(p.line), Number(p.column), p.message])).toEqual(
      json.files[1]!.diagnostics.map((d) => [d.code, d.line, d.column, d.message]),
    );
    expect(problems[0]!.code).toBe('unknown-layer');
  });

  it('runs show --csv: every metric with its final and best, as --json has them', async () => {
    const out = await cli('runs', 'show', String(runs[0]), '--csv');
    expect(out.code, out.stderr).toBe(0);
    const json = JSON.parse((await cli('runs', 'show', String(runs[0]), '--json')).stdout) as {
      metrics: Record<
        string,
        { final: number | null; best: number | null; finalStep: number; count: number }
      >;
    };
    const rows = csvOf(out.stdout);
    expect(rows.map((r) => r.metric).sort()).toEqual(Object.keys(json.metrics).sort());
    for (const row of rows) {
      const m = json.metrics[row.metric!]!;
      expect(row.run_id).toBe(String(runs[0]));
      expect(Number(row.final)).toBe(m.final);
      expect(row.best === '' ? null : Number(row.best)).toBe(m.best);
      expect(Number(row.final_step)).toBe(m.finalStep);
      expect(Number(row.count)).toBe(m.count);
    }
    expect(rows.find((r) => r.metric === 'train/learning_rate')).toMatchObject({
      best: '',
      goal: '',
    });
  });

  it('compare --csv: a column per run with raw values, matching --json', async () => {
    const ids = [String(runs[0]), String(runs[1])];
    const out = await cli('compare', ...ids, '--csv');
    expect(out.code, out.stderr).toBe(0);
    const rows = csvOf(out.stdout);
    expect(Object.keys(rows[0]!)).toEqual(['field', `run_${runs[0]}`, `run_${runs[1]}`]);
    const json = JSON.parse((await cli('compare', ...ids, '--json')).stdout) as {
      params: { key: string; values: unknown[] }[];
      metrics: { key: string; final: (number | null)[] }[];
    };
    const field = (name: string) => rows.find((r) => r.field === name)!;
    expect(field('train.optimizer.learningRate')).toEqual({
      field: 'train.optimizer.learningRate',
      [`run_${runs[0]}`]: '0.01',
      [`run_${runs[1]}`]: '0.02',
    });
    for (const m of json.metrics) {
      const row = field(`${m.key} final`);
      expect([Number(row[`run_${runs[0]}`]), Number(row[`run_${runs[1]}`])]).toEqual(m.final);
    }
    const both = await cli('compare', ...ids, '--csv', '--json');
    expect(both.code).toBe(1);
    expect(both.stderr.trim()).toMatch(/--json and --csv: choose one output format/);
  });

  it('sweeps ls and sweeps show --csv: the sweep and a row per trial', async () => {
    const ls = csvOf((await cli('sweeps', 'ls', '--csv')).stdout);
    expect(ls).toHaveLength(1);
    expect(ls[0]).toMatchObject({ id: String(sweepId), trials: '2/2', varied: 'data.batchSize' });
    const show = await cli('sweeps', 'show', String(sweepId), '--csv');
    expect(show.code, show.stderr).toBe(0);
    const trials = csvOf(show.stdout);
    const json = JSON.parse((await cli('sweeps', 'show', String(sweepId), '--json')).stdout) as {
      trials: { trial: number; run: number; metric: number }[];
    };
    expect(
      trials.map((t) => [
        Number(t.trial),
        Number(t.run),
        t['data.batchSize'],
        Number(t['test/accuracy']),
      ]),
    ).toEqual(json.trials.map((t, i) => [t.trial, t.run, i === 0 ? '16' : '32', t.metric]));
    // CSV is only the data: no "sweep 1 ..." heading above it.
    expect(show.stdout.split('\n')[0]).toMatch(/^trial,run,status,/);
  });

  it('runs tag, untag and note --csv / --json', async () => {
    const tag = await cli('runs', 'tag', String(runs[0]), 'b', 'a', '--csv');
    expect(tag.stdout).toBe(`run_id,tag\n${runs[0]},a\n${runs[0]},b\n`);
    const untag = await cli('runs', 'untag', String(runs[0]), 'a', '--json');
    expect(JSON.parse(untag.stdout)).toEqual({ runId: runs[0], tags: ['b'] });
    const note = await cli('runs', 'note', String(runs[0]), 'lr, "too" high', '--csv');
    expect(csvOf(note.stdout)).toEqual([{ run_id: String(runs[0]), note: 'lr, "too" high' }]);
  });
});
