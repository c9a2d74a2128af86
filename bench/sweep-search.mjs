#!/usr/bin/env node
/**
 * Sweep search benchmark (issue 14), through the real sweep machinery (`runner sweep`, a
 * child process per trial, the SQLite store). Run `npm run build` first.
 *
 *   node bench/sweep-search.mjs [--seeds 10] [--trials 30] [--parallel 2]
 *                               [--halving-trials 27] [--halving-epochs 9]
 *
 * The objective: configs/quick.yaml's net on its generated data (no download), learning
 * rate logUniform [1e-5, 1] and conv filters intUniform [1, 16], over wide ranges; noise
 * 0.6 instead of 0.1, and test/loss (minimized) ranks trials, so the best does not saturate.
 *
 * 1. Samplers: for each sweep seed (the config's `seed`, which seeds the draws and the
 *    training), a `random` and a `tpe` sweep of --trials trials of 1 epoch each; prints the
 *    median best test/loss of each sampler over the seeds with its spread (min, max).
 *    TPE should be lower (better).
 * 2. Pruning: the same random sweep of --halving-trials trials of --halving-epochs epochs,
 *    without a pruner and with successiveHalving (minEpochs 1, reductionFactor 3), per seed
 *    (at most 3 seeds); prints epochs trained, wall time and best test/loss of both.
 *
 * Prints the load average before and after: compare figures only from a quiet machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seeds = option('seeds', 10);
const trials = option('trials', 30);
const parallel = option('parallel', Math.max(1, Math.min(4, cpus().length)));
const halvingTrials = option('halving-trials', 27);
const halvingEpochs = option('halving-epochs', 9);
const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const BASE = readFileSync(new URL('../configs/quick.yaml', import.meta.url), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'runner-bench-sweep-'));

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
console.log(`sweep-search bench: ${cpus().length} cores, load average ${load()}`);
console.log(
  `  ${seeds} seeds x ${trials} trials per sampler, --parallel ${parallel}; pruning: ${halvingTrials} trials x ${halvingEpochs} epochs`,
);

/** Runs one sweep; returns its best test/loss, epochs trained and wall time. */
function sweep(name, seed, sweepYaml, epochs) {
  const file = join(work, `${name}.yaml`);
  const db = join(work, `${name}.db`);
  // More noise than quick.yaml's, so the objective does not saturate at accuracy 1.
  const config = BASE.replace(/^seed: .*$/m, `seed: ${seed}`)
    .replace('noise: 0.1', 'noise: 0.6')
    .replace(/^  epochs: .*$/m, `  epochs: ${epochs}`);
  writeFileSync(file, `${config}\n${sweepYaml}`);
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [MAIN, 'sweep', file, '--parallel', String(parallel), '--db', db, '--quiet'],
    { encoding: 'utf8', env: { ...process.env, RUNNER_DB: '' } },
  );
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`runner sweep ${name} failed:\n${run.stderr}`);
  const sql = new Database(db, { readonly: true });
  const rows = sql
    .prepare(
      `select r.id, r.status,
         (select value from metrics m where m.run_id = r.id and m.key = 'test/loss' order by step desc limit 1) as last,
         (select max(epoch) from metrics m where m.run_id = r.id and m.key = 'test/loss') as epochs
       from runs r where r.sweep_id = 1`,
    )
    .all();
  sql.close();
  const completed = rows.filter((r) => r.status === 'completed' && r.last !== null);
  return {
    best: Math.min(...completed.map((r) => r.last)),
    epochs: rows.reduce((n, r) => n + (r.epochs ?? 0), 0),
    pruned: rows.filter((r) => r.status === 'pruned').length,
    ms,
  };
}

const space = `  space:
    train.optimizer.learningRate: {logUniform: [1.0e-5, 1.0]}
    model.layers[0].conv2d.filters: {intUniform: [1, 16]}
  metric: test/loss
  goal: minimize
`;
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};
const spread = (values) =>
  `median ${median(values).toFixed(4)} (min ${Math.min(...values).toFixed(4)}, max ${Math.max(...values).toFixed(4)})`;

try {
  const best = { random: [], tpe: [] };
  for (let seed = 1; seed <= seeds; seed++) {
    for (const sampler of ['random', 'tpe']) {
      const result = sweep(
        `${sampler}-${seed}`,
        seed,
        `sweep:\n  sampler: ${sampler}\n  trials: ${trials}\n${space}`,
        1,
      );
      best[sampler].push(result.best);
      console.log(
        `  seed ${seed} ${sampler.padEnd(6)} best test/loss ${result.best.toFixed(4)} (${(result.ms / 1000).toFixed(1)} s)`,
      );
    }
  }
  console.log(`\nbest test/loss after ${trials} trials, over ${seeds} sweep seeds:`);
  console.log(`  random  ${spread(best.random)}`);
  console.log(`  tpe     ${spread(best.tpe)}`);
  const wins = best.tpe.filter((v, i) => v < best.random[i]).length;
  const ties = best.tpe.filter((v, i) => v === best.random[i]).length;
  console.log(
    `  tpe better in ${wins} of ${seeds} seeds (${ties} equal): ${median(best.tpe) < median(best.random) ? 'tpe better' : 'tpe NOT better'} by median`,
  );

  console.log(
    `\npruning: ${halvingTrials} random trials x ${halvingEpochs} epochs, none vs successiveHalving (minEpochs 1, reductionFactor 3):`,
  );
  for (let seed = 1; seed <= Math.min(3, seeds); seed++) {
    const base = `sweep:\n  sampler: random\n  trials: ${halvingTrials}\n${space}`;
    const none = sweep(`none-${seed}`, seed, base, halvingEpochs);
    const halving = sweep(
      `halving-${seed}`,
      seed,
      `${base}  pruner: {type: successiveHalving, minEpochs: 1, reductionFactor: 3}\n`,
      halvingEpochs,
    );
    console.log(
      `  seed ${seed}: none ${none.epochs} epochs, ${(none.ms / 1000).toFixed(1)} s, best ${none.best.toFixed(4)}` +
        ` | successiveHalving ${halving.epochs} epochs (${halving.pruned} pruned), ${(halving.ms / 1000).toFixed(1)} s, best ${halving.best.toFixed(4)}` +
        ` | epochs saved ${(100 * (1 - halving.epochs / none.epochs)).toFixed(0)}%, time saved ${(100 * (1 - halving.ms / none.ms)).toFixed(0)}%, best ${halving.best <= none.best ? 'equal or better' : `${(halving.best - none.best).toFixed(4)} higher (worse)`}`,
    );
  }
  console.log(`\nload average after: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
