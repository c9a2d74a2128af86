#!/usr/bin/env node
/**
 * Store benchmark (issue 4 store size, issue 6 query speed). Run `npm run build` first.
 *
 *   node bench/store-queries.mjs [--runs 2000] [--steps 10000] [--cache /tmp/runner-bench-store.db] [--rebuild]
 *   node bench/store-queries.mjs --db postgres://USER@HOST/DB [--runs ...] [--rebuild]
 *
 * With --db postgres://..., the same store is built in that database (schema `runner`;
 * --rebuild drops the schema first, otherwise a store with --runs runs is reused) and the
 * same queries are timed there; bytes per value are the tables' and indexes' size
 * (pg_total_relation_size) over the metric rows. Run it once per store to put the two
 * side by side.
 *
 * 1. Bytes per metric value on disk after one 10,000-step run (2 per-step metrics and 4
 *    per-epoch ones over 10 epochs), written through the ordinary writer with its default
 *    1 s flush interval on a simulated clock (50 ms per step: 20 steps per transaction).
 * 2. A large synthetic store (default 2,000 runs x 10,000 steps x 2 per-step metrics =
 *    40M metric rows, plus per-epoch metrics), written through the writer in one
 *    transaction per run and cached at --cache (rebuilt when its shape or the store's schema
 *    version differs).
 *    Then times, on the open store: the `runs ls` default view, `compare` of 5 runs,
 *    best by test/accuracy, one run's full 10,000-point curve (and a few more).
 * Targets: <= 40 bytes/value; < 100 ms per query; < 20 ms for the curve.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { flattenConfig, metricGoal, openStore, STORE_SCHEMA_VERSION } from '../dist/store/index.js';
import { quartiles, targetVerdict } from './verdict.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const RUNS = Number(flag('--runs', 2000));
const STEPS = Number(flag('--steps', 10000));
const EPOCHS = 10;
const CACHE = flag('--cache', join(tmpdir(), 'runner-bench-store.db'));
const REBUILD = args.includes('--rebuild');
const PG_URL = flag('--db', undefined);
const ON_PG = PG_URL !== undefined && /^postgres(ql)?:\/\//i.test(PG_URL);

/** Bytes of the PostgreSQL store: every table and index of schema runner. */
async function pgBytes(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'runner' AND c.relkind = 'r'`,
    );
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

async function dropPgStore(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS runner CASCADE');
  await client.end();
}

/** Deterministic pseudo-random numbers (mulberry32), so every build is the same store. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runRecord(i, rand, sweepId) {
  const learningRate = 10 ** (-5 + 4 * rand());
  const config = {
    name: `bench-${i}`,
    seed: i,
    backend: 'auto',
    data: {
      dataset: 'mnist',
      batchSize: [32, 64, 128, 256][i % 4],
      shuffle: true,
      validationSplit: 0,
    },
    model: {
      input: [28, 28, 1],
      layers: [
        { conv2d: { filters: 6, kernelSize: 5, activation: 'relu' } },
        { maxPooling2d: { poolSize: 2 } },
        { conv2d: { filters: 16, kernelSize: 5, activation: 'relu' } },
        { maxPooling2d: { poolSize: 2 } },
        { flatten: {} },
        { dense: { units: 120, activation: 'relu' } },
        { dense: { units: 84, activation: 'relu' } },
        { dense: { units: 10 } },
      ],
    },
    train: {
      epochs: EPOCHS,
      loss: 'crossEntropy',
      optimizer: { type: i % 3 ? 'adam' : 'sgd', learningRate },
    },
  };
  return {
    name: config.name,
    configYaml: `name: ${config.name}\nseed: ${i}\n`,
    config,
    configHash: `h${i}`,
    params: flattenConfig(config),
    seed: i,
    backend: 'wasm',
    dataset: 'mnist',
    datasetSource: 'cache',
    versions: { runner: '0.1.0', tfjs: '4.22.0', node: process.version },
    host: 'bench',
    ...(sweepId === undefined ? {} : { sweepId, trialIndex: i % 20 }),
  };
}

/** One simulated run through the writer: per-step loss/accuracy, per-epoch eval metrics. */
async function writeRun(store, runId, rand, clock, writerOptions) {
  const writer = await store.createMetricWriter(runId, writerOptions);
  const stepsPerEpoch = Math.ceil(STEPS / EPOCHS);
  const quality = 0.6 + 0.39 * rand();
  for (let step = 1; step <= STEPS; step++) {
    clock.t += 50;
    const epoch = Math.floor((step - 1) / stepsPerEpoch);
    const progress = step / STEPS;
    writer.add(
      'train/loss',
      step,
      epoch,
      2.3 * Math.exp(-4 * progress * quality) + 0.05 * rand(),
      clock.t,
    );
    writer.add(
      'train/accuracy',
      step,
      epoch,
      Math.min(1, quality * (1 - Math.exp(-6 * progress)) + 0.05 * rand()),
      clock.t,
    );
    if (step % stepsPerEpoch === 0 || step === STEPS) {
      const e = (epoch + 1) / EPOCHS;
      writer.add(
        'test/loss',
        step,
        epoch,
        2.3 * Math.exp(-3 * e * quality) + 0.02 * rand(),
        clock.t,
      );
      writer.add(
        'test/accuracy',
        step,
        epoch,
        quality * (1 - Math.exp(-5 * e)) + 0.01 * rand(),
        clock.t,
      );
      writer.add('train/learning_rate', step, epoch, 0.001, clock.t);
      writer.add('perf/images_per_sec', step, epoch, 2000 + 500 * rand(), clock.t);
    }
  }
  await writer.close();
  return writer.stats;
}

function fileBytes(path) {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(path + suffix)) total += statSync(path + suffix).size;
  return total;
}

async function bytesPerValue() {
  const dir = mkdtempSync(join(tmpdir(), 'runner-bench-size-'));
  const path = join(dir, 'runner.db');
  const clock = { t: Date.now() };
  const store = await openStore(path, { now: () => clock.t });
  const runId = await store.createRun(runRecord(1, random(7)));
  const stats = await writeRun(store, runId, random(11), clock, { now: () => clock.t });
  await store.finishRun(runId, { status: 'completed' });
  await store.close();
  const bytes = fileBytes(path);
  rmSync(dir, { recursive: true, force: true });
  return { values: stats.written, flushes: stats.flushes, bytes, perValue: bytes / stats.written };
}

async function buildLargeStore() {
  if (ON_PG) return buildLargePgStore();
  // A store of an older schema is rebuilt, not read: its read-only open cannot migrate it.
  const shape = {
    runs: RUNS,
    steps: STEPS,
    epochs: EPOCHS,
    version: 1,
    schema: STORE_SCHEMA_VERSION,
  };
  const shapeFile = `${CACHE}.json`;
  if (!REBUILD && existsSync(CACHE) && existsSync(shapeFile)) {
    if (readFileSync(shapeFile, 'utf8') === JSON.stringify(shape))
      return { cached: true, seconds: 0 };
  }
  for (const suffix of ['', '-wal', '-shm', '.json']) rmSync(CACHE + suffix, { force: true });
  const started = performance.now();
  const clock = { t: Date.UTC(2026, 0, 1) };
  const store = await openStore(CACHE, { now: () => clock.t });
  const rand = random(42);
  let sweepId;
  let values = 0;
  for (let i = 1; i <= RUNS; i++) {
    if (i % 20 === 1) {
      sweepId = await store.createSweep({
        name: `sweep-${i}`,
        configYaml: 'name: sweep\n',
        definition: { grid: { 'train.optimizer.learningRate': [0.1, 0.01] } },
        metric: 'test/accuracy',
        goal: 'maximize',
        trialCount: 20,
        host: 'bench',
      });
    }
    const runId = await store.createRun(runRecord(i, rand, sweepId));
    // One transaction per run: the bulk-load shape of the same writer.
    values += (
      await writeRun(store, runId, rand, clock, {
        now: () => clock.t,
        flushIntervalMs: Number.MAX_SAFE_INTEGER,
        maxPending: 1_000_000,
      })
    ).written;
    const r = rand();
    await store.finishRun(
      runId,
      r < 0.9
        ? { status: 'completed' }
        : r < 0.95
          ? { status: 'failed', error: 'boom' }
          : { status: 'diverged', divergedAtStep: 1234 },
    );
    clock.t += 60_000;
    if (i % 100 === 0) {
      const s = (performance.now() - started) / 1000;
      process.stderr.write(
        `\rbuilding: ${i}/${RUNS} runs, ${values.toLocaleString('en-US')} values, ${s.toFixed(0)} s`,
      );
    }
  }
  await store.close();
  process.stderr.write('\n');
  writeFileSync(shapeFile, JSON.stringify(shape));
  return { cached: false, seconds: (performance.now() - started) / 1000, values };
}

/** Runs written in one bulk statement (and one transaction) while building on PostgreSQL. */
const PG_BATCH_RUNS = 25;

/**
 * A stand-in for the metric writer while building on PostgreSQL: the same values (writeRun
 * draws them), gathered in columns for one bulk insert of many runs, instead of one writer
 * flush per run (that build took over 8 minutes).
 */
function collectingStore(columns, startedAt, runId) {
  return {
    async createMetricWriter() {
      let written = 0;
      return {
        add(key, step, epoch, value, time) {
          columns.runIds.push(runId);
          columns.keys.push(key);
          columns.steps.push(step);
          columns.epochs.push(epoch);
          columns.values.push(Number.isNaN(value) ? null : value);
          columns.times.push(Math.round(time - startedAt));
          written++;
        },
        async close() {},
        get stats() {
          return { written };
        },
      };
    },
  };
}

/** Inserts the gathered values of a batch of runs and their summaries, in one transaction. */
async function insertPgBatch(client, keyIds, columns, runIds) {
  for (const key of new Set(columns.keys)) {
    if (keyIds.has(key)) continue;
    const { rows } = await client.query(
      `INSERT INTO runner.metric_keys (key, goal) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id`,
      [key, metricGoal(key)],
    );
    keyIds.set(key, rows[0].id);
  }
  await client.query('BEGIN');
  await client.query('SET LOCAL synchronous_commit = off');
  await client.query(
    `INSERT INTO runner.metric_values (run_id, key_id, step, epoch, value, t)
     SELECT * FROM unnest($1::integer[], $2::integer[], $3::integer[], $4::integer[], $5::double precision[], $6::bigint[])`,
    [
      columns.runIds,
      columns.keys.map((key) => keyIds.get(key)),
      columns.steps,
      columns.epochs,
      columns.values,
      columns.times,
    ],
  );
  // The summaries as the writer keeps them (last, min and max with their steps, count).
  await client.query(
    `INSERT INTO runner.run_metric_summary
       (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
     SELECT run_id, key_id, count(*),
       (array_agg(step ORDER BY step DESC))[1],
       (array_agg(epoch ORDER BY step DESC))[1],
       (array_agg(value ORDER BY step DESC))[1],
       (array_agg(t ORDER BY step DESC))[1],
       min(value),
       (array_agg(step ORDER BY value ASC, step ASC) FILTER (WHERE value IS NOT NULL))[1],
       max(value),
       (array_agg(step ORDER BY value DESC, step ASC) FILTER (WHERE value IS NOT NULL))[1]
     FROM runner.metric_values WHERE run_id = ANY($1::integer[]) GROUP BY run_id, key_id`,
    [runIds],
  );
  await client.query('COMMIT');
}

async function buildLargePgStore() {
  if (REBUILD) await dropPgStore(PG_URL);
  const existing = await openStore(PG_URL);
  const count = await existing.countRuns();
  await existing.close();
  if (count === RUNS && !REBUILD) return { cached: true, seconds: 0 };
  if (count > 0) await dropPgStore(PG_URL);
  const started = performance.now();
  const clock = { t: Date.UTC(2026, 0, 1) };
  const store = await openStore(PG_URL, { now: () => clock.t });
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const keyIds = new Map();
  const rand = random(42);
  const fresh = () => ({ runIds: [], keys: [], steps: [], epochs: [], values: [], times: [] });
  let columns = fresh();
  let batch = [];
  let sweepId;
  let values = 0;
  try {
    for (let i = 1; i <= RUNS; i++) {
      if (i % 20 === 1) {
        sweepId = await store.createSweep({
          name: `sweep-${i}`,
          configYaml: 'name: sweep\n',
          definition: { grid: { 'train.optimizer.learningRate': [0.1, 0.01] } },
          metric: 'test/accuracy',
          goal: 'maximize',
          trialCount: 20,
          host: 'bench',
        });
      }
      const startedAt = clock.t;
      const runId = await store.createRun(runRecord(i, rand, sweepId));
      values += (await writeRun(collectingStore(columns, startedAt, runId), runId, rand, clock, {}))
        .written;
      await store.finishRun(
        runId,
        rand() < 0.9 ? { status: 'completed' } : { status: 'failed', error: 'boom' },
      );
      batch.push(runId);
      clock.t += 60_000;
      if (batch.length === PG_BATCH_RUNS || i === RUNS) {
        await insertPgBatch(client, keyIds, columns, batch);
        columns = fresh();
        batch = [];
        const s = (performance.now() - started) / 1000;
        process.stderr.write(`\rbuilding: ${i}/${RUNS} runs, ${s.toFixed(0)} s`);
      }
    }
  } finally {
    await client.end();
    await store.close();
  }
  process.stderr.write('\n');
  return { cached: false, seconds: (performance.now() - started) / 1000, values };
}

/** First call, then median and fastest of 15 more calls, in ms (the machine may be shared: see the load). */
async function time(fn) {
  const t0 = performance.now();
  const result = await fn();
  const first = performance.now() - t0;
  const samples = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { first, median: samples[7], min: samples[0], samples, result };
}

const size = ON_PG ? undefined : await bytesPerValue();
if (size)
  console.log(
    `store size after one ${STEPS.toLocaleString('en-US')}-step run: ${size.values.toLocaleString('en-US')} values in ${size.flushes} transactions, ${size.bytes.toLocaleString('en-US')} bytes on disk = ${size.perValue.toFixed(1)} bytes/value (target <= 40)`,
  );

const build = await buildLargeStore();
console.log(
  build.cached
    ? `large store: cached at ${ON_PG ? 'PostgreSQL' : CACHE}`
    : `large store: built at ${ON_PG ? 'PostgreSQL' : CACHE} in ${build.seconds.toFixed(0)} s (${build.values.toLocaleString('en-US')} values)`,
);
const openStarted = performance.now();
const store = await openStore(ON_PG ? PG_URL : CACHE, { readonly: true });
const openMs = performance.now() - openStarted;
const metricRows = Number((await store.query('SELECT count(*) FROM metric_values')).rows[0][0]);
const onDisk = ON_PG ? await pgBytes(PG_URL) : fileBytes(CACHE);
console.log(
  `large store: ${(await store.countRuns()).toLocaleString('en-US')} runs, ${metricRows.toLocaleString('en-US')} metric rows, ${(onDisk / 1e9).toFixed(2)} GB = ${(onDisk / metricRows).toFixed(1)} bytes/value; open ${openMs.toFixed(1)} ms`,
);

/** What `runner runs ls` does: the runs, how many in all, the params that vary and their values. */
const listView = async (limit) => {
  const runs = await store.listRuns(limit ? { limit } : {});
  const total = await store.countRuns();
  const ids = runs.map((r) => r.id);
  const keys = (await store.varyingParamKeys(ids)).slice(0, 6);
  const params = await store.getParams(ids, keys);
  return { runs: runs.length, total, keys, params };
};
const lsDefault = () => listView(50);
const lsAll = () => listView(0);
const ids = (
  await store.listRuns({
    limit: 5,
    sort: 'id:asc',
    offset: Math.floor((await store.countRuns()) / 2),
  })
).map((r) => r.id);
const curveRun = ids[0];
const cases = [
  ['runs ls (default view: newest 50, varying params, final/best metrics)', lsDefault, 100],
  ['runs ls --limit 0 (all runs, varying params)', lsAll, undefined],
  [`compare of 5 runs (${ids.join(' ')})`, () => store.compareRuns(ids), 100],
  [
    'best by test/accuracy (runs ls --sort best:test/accuracy --limit 1)',
    () => store.listRuns({ sort: 'best:test/accuracy', limit: 1 }),
    100,
  ],
  [
    'runs ls --where "train.optimizer.learningRate < 0.001 and test/accuracy > 0.9"',
    () => store.listRuns({ where: 'train.optimizer.learningRate < 0.001 and test/accuracy > 0.9' }),
    100,
  ],
  [
    `full train/loss curve of run ${curveRun} (${STEPS.toLocaleString('en-US')} points)`,
    () => store.getCurve(curveRun, 'train/loss'),
    20,
  ],
  [
    `train/loss curve of run ${curveRun} downsampled to 1,000 points`,
    () => store.getCurve(curveRun, 'train/loss', { maxPoints: 1000 }),
    20,
  ],
  ['runs show (run detail with summaries)', () => store.getRun(curveRun), 100],
];
console.log('');
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
console.log(
  'query'.padEnd(92) +
    'first ms'.padStart(10) +
    'median ms'.padStart(11) +
    'min ms'.padStart(9) +
    '  target (median)',
);
for (const [name, fn, target] of cases) {
  const { first, median, min, samples } = await time(fn);
  // Two-sided: met only when the upper quartile is under the target, missed when the lower is not.
  const { low, high } = quartiles(samples);
  const verdict = target === undefined ? '' : `< ${target} ${targetVerdict(low, high, target)}`;
  console.log(
    name.padEnd(92) +
      first.toFixed(2).padStart(10) +
      median.toFixed(2).padStart(11) +
      min.toFixed(2).padStart(9) +
      `  ${verdict}`,
  );
}
const best = (await store.listRuns({ sort: 'best:test/accuracy', limit: 1 }))[0];
console.log(
  `\nbest run by test/accuracy: #${best.id} ${best.name} best ${best.metrics['test/accuracy']?.best?.value.toFixed(4)}`,
);
console.log(`curve points read: ${(await store.getCurve(curveRun, 'train/loss')).length}`);
await store.close();
