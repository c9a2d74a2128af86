import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';

/** Tags and notes through the CLI, as a user tells runs apart, and through the page's API. */
describe('tags and notes', () => {
  const temp = makeTempDir('tags-notes');
  const db = join(temp.dir, 'runs.db');
  const cli = (...args: string[]) => runCli([...args, '--db', db], temp.dir);
  let first = 0;
  let second = 0;

  beforeAll(async () => {
    writeFileSync(join(temp.dir, 'tiny.yaml'), syntheticConfig({ train: 64, test: 32, epochs: 1 }));
    const a = await cli(
      'exp',
      'tiny.yaml',
      '--quiet',
      '--tag',
      'baseline',
      '--tag',
      'v1',
      '--set',
      'data.limit.train=64',
    );
    expect(a.code, a.stderr).toBe(0);
    const b = await cli(
      'exp',
      'tiny.yaml',
      '--quiet',
      '--note',
      'smaller train split',
      '--set',
      'data.limit.train=32',
    );
    expect(b.code, b.stderr).toBe(0);
    const ids = readStore(
      db,
      (sql) => sql.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[],
    );
    expect(ids).toHaveLength(2);
    [first, second] = [ids[0]!, ids[1]!];
  }, 120_000);
  afterAll(() => temp.remove());

  it('records --tag on the run, shows tags in a runs ls column and filters by them', async () => {
    const ls = await cli('runs', 'ls');
    expect(ls.code, ls.stderr).toBe(0);
    const [header, ...rows] = ls.stdout.trimEnd().split('\n');
    expect(header).toMatch(/\btags\b/);
    expect(rows.find((r) => r.trimStart().startsWith(`${first} `))).toMatch(/baseline,v1/);
    const json = JSON.parse((await cli('runs', 'ls', '--json')).stdout) as {
      id: number;
      tags: string[];
      note: string | null;
    }[];
    expect(json.map((r) => [r.id, r.tags, r.note])).toEqual([
      [second, [], 'smaller train split'],
      [first, ['baseline', 'v1'], null],
    ]);
    const baseline = await cli('runs', 'ls', '--where', 'tag = "baseline"', '--json');
    expect((JSON.parse(baseline.stdout) as { id: number }[]).map((r) => r.id)).toEqual([first]);
    const notBaseline = await cli('runs', 'ls', '--where', 'tag != "baseline"', '--csv');
    expect(notBaseline.stdout.split('\n')[1]).toMatch(new RegExp(`^${second},`));
    const byFlag = await cli('runs', 'ls', '--tag', 'v1', '--json');
    expect((JSON.parse(byFlag.stdout) as { id: number }[]).map((r) => r.id)).toEqual([first]);
  });

  it('titles data.limit.train as limit.train, never a bare train', async () => {
    const ls = await cli('runs', 'ls');
    const header = ls.stdout.split('\n')[0]!;
    expect(header).toContain('limit.train');
    expect(header.split(/\s+/)).not.toContain('train');
  });

  it('tags, untags and notes a run, and runs show last / -1 / -2 shows them', async () => {
    expect((await cli('runs', 'tag', String(second), 'bn-fix', 'baseline')).stdout).toBe(
      `run ${second}: tags baseline, bn-fix\n`,
    );
    expect((await cli('runs', 'untag', 'last', 'baseline')).stdout).toBe(
      `run ${second}: tags bn-fix\n`,
    );
    expect((await cli('runs', 'note', '-2', 'the reference\nsecond line')).stdout).toBe(
      `run ${first}: the reference\nsecond line\n`,
    );
    const show = await cli('runs', 'show', 'last');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^run ${second} `));
    expect(show.stdout).toMatch(/^ {2}tags +bn-fix$/m);
    expect(show.stdout).toMatch(/^ {2}note +smaller train split$/m);
    const older = await cli('runs', 'show', '-2');
    expect(older.stdout).toMatch(/^ {2}tags +baseline, v1$/m);
    expect(older.stdout).toMatch(/^ {2}note +the reference\n {2} +second line$/m);
    const json = JSON.parse((await cli('runs', 'show', '-1', '--json')).stdout) as {
      id: number;
      tags: string[];
    };
    expect(json).toMatchObject({ id: second, tags: ['bn-fix'] });
    expect((await cli('runs', 'note', String(second), '')).stdout).toBe(`run ${second}: no note\n`);
  });

  it('refuses a bad tag, a run that is not there and a -N past the oldest, in one line each', async () => {
    const bad = await cli('exp', 'tiny.yaml', '--tag', 'two words');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --tag "two words": a tag is one word/);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(2);
    const missing = await cli('runs', 'tag', '999', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no run with id 999 in /);
    const past = await cli('runs', 'show', '-3');
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^error: "-3": .* holds 2 runs, so there is no 3rd newest/);
    const op = await cli('runs', 'ls', '--where', 'tag < "a"');
    expect(op.code).toBe(1);
    expect(op.stderr).toMatch(/^error: --where, column \d+: "<" does not apply to tags/);
  });

  describe('on the dashboard API', () => {
    let dashboard: RunningDashboard;
    beforeAll(async () => {
      dashboard = await startDashboard({ dbPath: db, port: 0 });
    });
    afterAll(async () => dashboard?.close());
    const api = (path: string, init?: RequestInit) => fetch(new URL(path, dashboard.url), init);

    it('lists tags and notes, filters by tag, and edits them from the page only', async () => {
      await cli('runs', 'tag', String(first), 'baseline');
      const all = (await (await api('/api/runs')).json()) as {
        runs: { id: number; tags: string[]; note: string | null }[];
        tags: { tag: string; runs: number }[];
      };
      expect(all.runs.find((r) => r.id === first)?.tags).toEqual(['baseline', 'v1']);
      expect(all.tags.map((t) => t.tag).sort()).toEqual(['baseline', 'bn-fix', 'v1']);
      const filtered = (await (await api('/api/runs?tag=bn-fix')).json()) as {
        runs: { id: number }[];
      };
      expect(filtered.runs.map((r) => r.id)).toEqual([second]);

      const json = { 'content-type': 'application/json' };
      const put = await api(`/api/runs/${second}/note`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ note: 'edited on the page' }),
      });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ runId: second, note: 'edited on the page' });
      const tags = await api(`/api/runs/${second}/tags`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ add: ['page'], remove: ['bn-fix'] }),
      });
      expect(await tags.json()).toEqual({ runId: second, tags: ['page'] });
      expect((await cli('runs', 'note', String(second))).stdout).toBe(
        `run ${second}: edited on the page\n`,
      );

      const form = await api(`/api/runs/${second}/note`, {
        method: 'PUT',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ note: 'from a form' }),
      });
      expect(form.status).toBe(415);
      const foreign = await api(`/api/runs/${second}/note`, {
        method: 'PUT',
        headers: { ...json, origin: 'http://evil.example' },
        body: JSON.stringify({ note: 'from elsewhere' }),
      });
      expect(foreign.status).toBe(403);
      const badTag = await api(`/api/runs/${second}/tags`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ add: ['two words'] }),
      });
      expect(badTag.status).toBe(400);
      expect(((await badTag.json()) as { error: { message: string } }).error.message).toMatch(
        /tag "two words"/,
      );
      expect((await cli('runs', 'note', String(second))).stdout).toBe(
        `run ${second}: edited on the page\n`,
      );
    });
  });
});
