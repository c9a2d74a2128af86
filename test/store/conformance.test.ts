import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { StoreError } from '../../src/errors.js';
import { REGISTRIES } from '../../src/registries.js';
import { openStore, runState, type RunStatus, type Store } from '../../src/store/index.js';
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/pg-schema.js';
import { runExperiment } from '../../src/train/index.js';
import { postgresAvailability, startPostgres, type PgServer } from '../pg/pg-server.js';
import { makeTempDir, newRun } from '../test-kit.js';

/**
 * One suite, two stores: every behaviour of the `Store` contract checked on SQLite and on a
 * real PostgreSQL (started by the test), as Kysely runs its suites for every dialect.
 */
const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

let server: PgServer | undefined;
const temp = makeTempDir('conformance');
let databases = 0;

beforeAll(async () => {
  if (pgStatus.available) server = await startPostgres();
}, 60_000);
afterAll(() => {
  server?.stop();
  temp.remove();
});

/** A new, empty store of each kind. */
const KINDS = [
  { kind: 'sqlite', target: () => join(temp.dir, `s${++databases}.db`) },
  ...(pgStatus.available
    ? [{ kind: 'postgres', target: () => server!.database(`conformance_${++databases}`) }]
    : []),
] as const;

async function recordLosses(
  store: Store,
  name: string,
  losses: readonly number[],
): Promise<number> {
  const id = await store.createRun(newRun({ name, learningRate: losses[0]! / 100 }));
  const writer = await store.createMetricWriter(id, { flushIntervalMs: 60_000 });
  losses.forEach((loss, i) => {
    writer.add('train/loss', i + 1, Math.floor(i / 5), loss);
    if ((i + 1) % 5 === 0) writer.add('test/accuracy', i + 1, Math.floor(i / 5), 1 - loss / 10);
  });
  await writer.close();
  await store.finishRun(id, { status: 'completed' });
  return id;
}

describe.each(KINDS)('the $kind store', ({ kind, target }) => {
  let store: Store;
  let url: string;
  beforeAll(async () => {
    url = target();
    store = await openStore(url);
  }, 30_000);
  afterAll(async () => store?.close());

  it('records runs, params, metrics and summaries, and reads them back alike', async () => {
    const a = await recordLosses(store, 'a', [3, 2, 1, 1.5, 0.5, 0.7, 0.6, 0.4, 0.9, NaN]);
    const b = await recordLosses(store, 'b', [5, 4, 3, 2, 1]);
    const run = (await store.getRun(a))!;
    expect(run).toMatchObject({
      id: a,
      name: 'a',
      status: 'completed',
      seed: 1,
      host: 'test-host',
    });
    expect(run.params['train.optimizer.learningRate']).toBe(0.03);
    expect(run.params['data.shuffle']).toBe(true);
    expect(run.params['train.optimizer.type']).toBe('adam');
    expect(run.metrics['train/loss']).toMatchObject({
      goal: 'minimize',
      count: 10,
      last: { step: 10, value: null },
      best: { step: 8, value: 0.4 },
      max: { step: 1, value: 3 },
    });
    expect((await store.getCurve(a, 'train/loss')).map((p) => p.value)).toEqual([
      3,
      2,
      1,
      1.5,
      0.5,
      0.7,
      0.6,
      0.4,
      0.9,
      null,
    ]);
    expect((await store.getCurve(a, 'train/loss', { afterStep: 8 })).map((p) => p.step)).toEqual([
      9, 10,
    ]);
    expect(await store.metricKeys(a)).toEqual(['test/accuracy', 'train/loss']);
    expect(await store.metricAtEpoch([a, b], 'test/accuracy', 0)).toEqual(
      new Map([
        [a, 0.95],
        [b, 0.9],
      ]),
    );
    expect((await store.listRuns()).map((r) => r.name).slice(0, 2)).toEqual(['b', 'a']);
    expect(await store.varyingParamKeys([a, b])).toContain('train.optimizer.learningRate');
    expect(await store.missingRuns([a, 999])).toEqual([999]);
    const comparison = await store.compareRuns([a, b]);
    expect(comparison.metrics.find((m) => m.key === 'test/accuracy')).toMatchObject({
      best: [0.95, 0.9],
      bestWinner: 0,
    });
  });

  it('filters and sorts with the --where language', async () => {
    const names = async (where: string, sort = 'id:asc') =>
      (await store.listRuns({ where, sort })).map((r) => r.name);
    expect(await names('train.optimizer.learningRate < 0.04')).toEqual(['a']);
    expect(await names('best:test/accuracy > 0.92')).toEqual(['a']);
    expect(await names('name ~ "[ab]" and data.shuffle = true')).toEqual(['a', 'b']);
    expect(await names('train.optimizer.type = "adam" and not status = "failed"')).toEqual([
      'a',
      'b',
    ]);
    expect((await store.listRuns({ sort: 'best:train/loss', limit: 1 }))[0]!.name).toBe('a');
    expect(await store.countRuns({ where: 'test/accuracy != null' })).toBe(1);
    await expect(store.listRuns({ where: 'test/acuracy > 1' })).rejects.toThrow(
      /unknown field "test\/acuracy" \(did you mean "test\/accuracy"\?\)/,
    );
  });

  it("keeps the start time of a run's process, for the liveness rule, also when reopened", async () => {
    const id = await store.createRun({
      ...newRun({ name: 'pid' }),
      pidStartedAt: 1_700_000_000_123,
    });
    expect((await store.getRun(id))!.pidStartedAt).toBe(1_700_000_000_123);
    const [listed] = await store.listRuns({ ids: [id] });
    const probe = { now: Date.now(), host: 'test-host', processStartedAt: () => 1_700_000_000_123 };
    expect(runState(listed!, probe)).toBe('running');
    expect(runState(listed!, { ...probe, processStartedAt: () => 1_700_000_999_000 })).toBe('lost');
    // A run found lost is listed under `lost`, not `running`, by --status.
    const running = await store.createRun(newRun({ name: 'still' }));
    const ids = async (status: RunStatus[], lostRunIds: number[]) =>
      (await store.listRuns({ status, lostRunIds, ids: [id, running] })).map((r) => r.id).sort();
    expect(await ids(['running'], [])).toEqual([id, running].sort());
    expect(await ids(['running'], [id])).toEqual([running]);
    expect(await ids(['lost'], [id])).toEqual([id]);
    expect(await ids(['lost', 'running'], [id])).toEqual([id, running].sort());
    expect(await store.countRuns({ status: ['lost'], lostRunIds: [id] })).toBe(1);
    await store.deleteRuns([running]);
    await store.finishRun(id, { status: 'failed' });
    await store.reopenRun(id, {
      afterStep: 0,
      keepAtStep: [],
      pid: 7,
      pidStartedAt: 1_800_000_000_000,
    });
    expect((await store.getRun(id))!).toMatchObject({ pid: 7, pidStartedAt: 1_800_000_000_000 });
    await store.deleteRuns([id]);
  });

  it('keeps sweeps and their trials, and deletes runs with everything they own', async () => {
    const sweepId = await store.createSweep({
      name: 'grid',
      configYaml: 'name: grid\n',
      definition: { trials: [] },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 2,
      host: 'h',
    });
    const t1 = await store.createRun(newRun({ sweepId, trialIndex: 1 }));
    const t0 = await store.createRun(newRun({ sweepId, trialIndex: 0 }));
    expect((await store.listSweepTrials(sweepId)).map((r) => r.id)).toEqual([t0, t1]);
    // A pruned trial keeps where its pruner stopped it, as fields (the query views too).
    await store.finishRun(t1, { status: 'pruned', prunedAt: { rung: 1, epoch: 3 } });
    await store.finishRun(t0, { status: 'pruned', prunedAt: { rung: null, epoch: 2 } });
    expect((await store.listSweepTrials(sweepId)).map((r) => r.prunedAt)).toEqual([
      { rung: null, epoch: 2 },
      { rung: 1, epoch: 3 },
    ]);
    expect(
      await store.query(
        `SELECT id, pruned_rung, pruned_epoch FROM run_summary WHERE sweep_id = ${sweepId} ORDER BY id`,
      ),
    ).toMatchObject({
      rows: [
        [t1, 1, 3],
        [t0, null, 2],
      ],
    });
    await store.setSweepStatus(sweepId, 'completed');
    expect((await store.getSweep(sweepId))!.status).toBe('completed');
    // A proposing sampler records each proposal in the definition.
    await store.setSweepDefinition(sweepId, { trials: [{ index: 0, assignments: { a: 1 } }] });
    expect((await store.getSweep(sweepId))!.definition).toEqual({
      trials: [{ index: 0, assignments: { a: 1 } }],
    });
    await expect(store.setSweepDefinition(7777, {})).rejects.toThrow(/no sweep with id 7777/);
    // The sweep's heartbeat: a resume on another host judges the sweep's process by it.
    const beforeBeat = (await store.getSweep(sweepId))!.updatedAt;
    expect(beforeBeat).toBeGreaterThanOrEqual((await store.getSweep(sweepId))!.startedAt);
    await new Promise((r) => setTimeout(r, 5));
    await store.heartbeatSweep(sweepId);
    expect((await store.getSweep(sweepId))!.updatedAt).toBeGreaterThan(beforeBeat);
    await expect(store.heartbeatSweep(7777)).rejects.toThrow(/no sweep with id 7777/);
    await expect(store.createRun(newRun({ sweepId: 7777 }))).rejects.toThrow(
      /no sweep with id 7777/,
    );
    await store.addEvaluation({
      runId: t0,
      kind: 'eval',
      checkpoint: 'final',
      split: 'test',
      data: null,
      count: 3,
      metrics: { loss: 1, accuracy: Number.NaN },
      classes: ['x', 'y'],
      confusion: [
        [1, 0],
        [1, 1],
      ],
    });
    expect((await store.listEvaluations(t0))[0]).toMatchObject({
      count: 3,
      metrics: { accuracy: null },
    });
    expect(await store.deleteRuns([t0, t1, 4242])).toBe(2);
    expect(await store.listSweepTrials(sweepId)).toEqual([]);
    await expect(store.finishRun(t0, { status: 'failed' })).rejects.toThrow(/no run with id/);
  });

  it('keeps tags and a note per run, filters by tag, and deletes them with the run', async () => {
    const first = await store.createRun({
      ...newRun({ name: 'tagged' }),
      tags: ['baseline', 'v1', 'v1'],
    });
    const second = await store.createRun({ ...newRun({ name: 'plain' }), note: 'lr too high' });
    expect((await store.getRun(first))!).toMatchObject({ tags: ['baseline', 'v1'], note: null });
    expect((await store.getRun(second))!).toMatchObject({ tags: [], note: 'lr too high' });
    expect(await store.tagRun(second, ['bn-fix', 'baseline'])).toEqual(['baseline', 'bn-fix']);
    expect(await store.untagRun(first, ['v1', 'never-there'])).toEqual(['baseline']);
    await store.setRunNote(first, 'the reference run');
    await store.setRunNote(second, '  ');
    const listed = await store.listRuns({ ids: [first, second], sort: 'id:asc' });
    expect(listed.map((r) => [r.tags, r.note])).toEqual([
      [['baseline'], 'the reference run'],
      [['baseline', 'bn-fix'], null],
    ]);
    const names = async (where: string) =>
      (await store.listRuns({ where, sort: 'id:asc', ids: [first, second] })).map((r) => r.name);
    expect(await names('tag = "bn-fix"')).toEqual(['plain']);
    expect(await names('tag != "bn-fix" and tag = "baseline"')).toEqual(['tagged']);
    expect(await names('tag ~ "bn-*" or note ~ "*reference*"')).toEqual(['tagged', 'plain']);
    expect(await names('tag = null')).toEqual([]);
    expect((await store.listRuns({ tag: 'bn-fix' })).map((r) => r.id)).toEqual([second]);
    await expect(store.listRuns({ where: 'tag > 3' })).rejects.toThrow(
      /--where, column 7: a tag is compared with text in quotes/,
    );
    await expect(store.tagRun(first, ['two words'])).rejects.toThrow(
      /tag "two words": a tag is one word/,
    );
    await expect(store.tagRun(9999, ['x'])).rejects.toThrow(/no run with id 9999/);
    await expect(store.setRunNote(9999, 'x')).rejects.toThrow(/no run with id 9999/);
    const summary = await store.query(
      `SELECT tags, note FROM run_summary WHERE id IN (${first}, ${second}) ORDER BY id`,
    );
    expect(summary.rows).toEqual([
      ['baseline', 'the reference run'],
      ['baseline,bn-fix', null],
    ]);
    expect((await store.compareRuns([first, second])).runs[1]!.tags).toEqual([
      'baseline',
      'bn-fix',
    ]);
    expect(await store.deleteRuns([first, second])).toBe(2);
    expect(Number((await store.query('SELECT count(*) FROM tags')).rows[0]![0])).toBe(0);
  });

  it('answers read-only SQL over the documented views, and refuses writes, changing nothing', async () => {
    for (const view of [
      'runs',
      'params',
      'tags',
      'sweeps',
      'metrics',
      'run_summary',
      'run_metrics',
      'run_params',
      'metric_points',
    ]) {
      const result = await store.query(`SELECT * FROM ${view} LIMIT 1`);
      expect(result.columns.length, view).toBeGreaterThan(0);
    }
    const summary = await store.query(
      "SELECT name, steps, final_train_loss FROM run_summary WHERE name = 'b'",
    );
    expect(summary.rows).toEqual([['b', 5, 1]]);
    const points = await store.query(
      "SELECT count(*) FROM metric_points WHERE run_name = 'a' AND key = 'train/loss'",
    );
    expect(Number(points.rows[0]![0])).toBe(10);
    await expect(store.query('DELETE FROM runs')).rejects.toThrow(StoreError);
    await expect(store.query('UPDATE runs SET name = 1')).rejects.toThrow(/refused/);
    expect(await store.countRuns()).toBe(2);
  });

  it('refuses a store written by a newer runner, in one line, and leaves it alone', async () => {
    const other = target();
    await (await openStore(other)).close();
    if (kind === 'sqlite') {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(other);
      db.pragma('user_version = 99');
      db.close();
    } else {
      const client = new pg.Client({ connectionString: other });
      await client.connect();
      await client.query("UPDATE runner.meta SET value = '99' WHERE key = 'schema_version'");
      await client.end();
    }
    await expect(openStore(other)).rejects.toThrow(
      /schema version 99, newer than this runner understands/,
    );
  });
});

describe.skipIf(!pgStatus.available)('the PostgreSQL store only', () => {
  it('migrates once when 10 processes open an empty database at the same moment', async () => {
    const url = server!.database('ten_at_once');
    const script = `import { openStore } from ${JSON.stringify(join(process.cwd(), 'dist/store/index.js'))};
const store = await openStore(process.argv[2]);
const id = await store.createRun(${JSON.stringify(newRun({ name: 'racer' }))});
await store.close();
process.stdout.write(String(id));`;
    const file = join(temp.dir, 'open-racer.mjs');
    writeFileSync(file, script);
    const ids = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [file, url], {
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let out = '';
            let err = '';
            child.stdout.on('data', (c: Buffer) => (out += c));
            child.stderr.on('data', (c: Buffer) => (err += c));
            child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
          }),
      ),
    );
    expect(new Set(ids).size).toBe(10);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const meta = await client.query("SELECT value FROM runner.meta WHERE key = 'schema_version'");
    const runs = await client.query('SELECT count(*)::int AS n FROM runner.runs');
    await client.end();
    expect(meta.rows).toEqual([{ value: String(PG_SCHEMA_VERSION) }]);
    expect(runs.rows[0].n).toBe(10);
  }, 60_000);

  it('refuses a database whose runner schema is not ours, and never prints the password', async () => {
    const url = server!.database('not_ours');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE SCHEMA runner; CREATE TABLE runner.things (x int)');
    await client.end();
    const withPassword = url.replace('postgres@', 'postgres:s3cret@');
    const error = await openStore(withPassword).catch((e: unknown) => e as StoreError);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/is not a runner store/);
    expect((error as Error).message).toContain('postgres:***@');
    expect((error as Error).message).not.toContain('s3cret');
    await expect(openStore(server!.database('nothing_here'), { create: false })).rejects.toThrow(
      /no run store in/,
    );
  });

  it('gives the same losses step for step as SQLite for the same config and seed', async () => {
    const file = join(temp.dir, 'tiny.yaml');
    writeFileSync(
      file,
      `name: tiny
seed: 3
data:
  dataset: synthetic
  batchSize: 20
  synthetic: {train: 100, test: 40, classes: 3, shape: [4, 4, 1], noise: 0.1}
model:
  input: [4, 4, 1]
  layers:
    - flatten: {}
    - dense: {units: 8, activation: relu}
    - dense: {units: 3}
train:
  epochs: 2
  optimizer: {type: adam, learningRate: 0.01}
backend: cpu
`,
    );
    const losses = async (target: string): Promise<(number | null)[]> => {
      const experiment = await loadExperiment(file, { registries: REGISTRIES });
      const store = await openStore(target);
      try {
        const result = await runExperiment({
          experiment,
          store,
          runsDir: join(temp.dir, `runs-${++databases}`),
          shouldStop: () => false,
        });
        return (await store.getCurve(result.runId, 'train/loss')).map((p) => p.value);
      } finally {
        await store.close();
      }
    };
    const onSqlite = await losses(join(temp.dir, 'cross.db'));
    const onPostgres = await losses(server!.database('cross_store'));
    expect(onSqlite).toHaveLength(10);
    expect(onPostgres).toEqual(onSqlite);
  }, 120_000);
});

describe.skipIf(!pgStatus.available)('the postgres metric writer', () => {
  it('touches the run and tells listeners at each flush', async () => {
    const store = await openStore(server!.database(`conformance_${++databases}`));
    try {
      const id = await store.createRun(newRun({ name: 'notify', learningRate: 0.01 }));
      let notices = 0;
      const unwatch = await store.watchChanges!(() => notices++);
      const atStart = notices;
      const writer = await store.createMetricWriter(id, {
        flushIntervalMs: 60_000,
        now: () => 1_900_000_000_000,
      });
      writer.add('train/loss', 1, 0, 0.5);
      await writer.flush();
      for (let i = 0; i < 100 && notices === atStart; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await unwatch();
      expect(notices).toBeGreaterThan(atStart);
      expect((await store.getRun(id))!.updatedAt).toBe(1_900_000_000_000);
      expect((await store.getCurve(id, 'train/loss')).map((p) => p.value)).toEqual([0.5]);
      await writer.close();
    } finally {
      await store.close();
    }
  }, 30_000);
});
