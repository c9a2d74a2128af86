#!/usr/bin/env node
// A sweep of configs/quick.yaml queued on PostgreSQL and trained by 1, then 2, worker
// processes on this machine (`runner worker`, one trial at a time each): wall time from the
// first worker's start to the last trial's completed run, and trials per minute. Rounds
// alternate the worker counts (1, 2, 1, 2, ...), and the verdict is two-sided: "faster" or
// "slower" only when every round of one beat every round of the other, else inconclusive.
// The defaults (12 trials, the figure; 3 rounds) take about 2-4 minutes on 2 quiet cores
//
//   npm run build
//   node bench/sweep-workers.mjs --db postgres://postgres@127.0.0.1:5432/postgres [--trials 12] [--rounds 3] [--workers 1,2]
//
// Each round enqueues a new sweep (`runner sweep --parallel 0`) in the given database.
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { compareRounds } from './verdict.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist/cli/main.js');

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}
const db = flag('--db', process.env.RUNNER_DB);
if (!db || !/^postgres(ql)?:\/\//.test(db)) {
  console.error(
    'bench/sweep-workers.mjs: give --db postgres://USER@HOST/DB (a database it may write to)',
  );
  process.exit(2);
}
const trials = Number(flag('--trials', '12'));
const rounds = Number(flag('--rounds', '3'));
const workerCounts = flag('--workers', '1,2').split(',').map(Number);
const env = { ...process.env, RUNNER_DB: db };
const learningRates = Array.from({ length: trials }, (_, i) => ((i + 1) / 1000).toFixed(3));

const client = new pg.Client({ connectionString: db });
await client.connect();

const results = [];
const plan = Array.from({ length: rounds }, () => workerCounts).flat();
for (const workers of plan) {
  const enqueue = spawnSync(
    process.execPath,
    [
      BIN,
      'sweep',
      'configs/quick.yaml',
      '--set',
      `train.optimizer.learningRate=${learningRates.join(',')}`,
      '--parallel',
      '0',
    ],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  const sweepId = Number(/sweep (\d+): \d+ trials? queued/.exec(enqueue.stderr)?.[1]);
  if (enqueue.status !== 0 || !Number.isInteger(sweepId)) {
    console.error(enqueue.stderr);
    process.exit(1);
  }
  const started = performance.now();
  const children = Array.from({ length: workers }, () =>
    spawn(
      process.execPath,
      [BIN, 'worker', '--parallel', '1', '--exit-when-idle', '5', '--quiet'],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    ),
  );
  let done = 0;
  while (done < trials) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM runner.runs WHERE sweep_id = $1 AND status = 'completed'`,
      [sweepId],
    );
    done = rows[0].n;
  }
  const wallMs = performance.now() - started;
  await Promise.all(children.map((child) => new Promise((resolve) => child.on('close', resolve))));
  results.push({ workers, sweepId, wallMs, perMinute: (trials / wallMs) * 60_000 });
}
await client.end();

console.log(
  `sweep of ${trials} trials of configs/quick.yaml, queued on PostgreSQL, ${rounds} rounds per worker count (${cpus().length} cores)`,
);
console.log('workers  sweep  wall time  trials/min');
for (const r of results)
  console.log(
    `${String(r.workers).padStart(7)}  ${String(r.sweepId).padStart(5)}  ${(r.wallMs / 1000).toFixed(1).padStart(8)}s  ${r.perMinute.toFixed(1).padStart(10)}`,
  );
const rates = (workers) => results.filter((r) => r.workers === workers).map((r) => r.perMinute);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const workers of workerCounts.slice(1)) {
  const base = workerCounts[0];
  console.log(
    `${workers} workers against ${base}: median ${median(rates(workers)).toFixed(1)} vs ${median(rates(base)).toFixed(1)} trials/min = ` +
      `${(median(rates(workers)) / median(rates(base))).toFixed(2)}x: ${compareRounds(rates(workers), rates(base))}`,
  );
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
