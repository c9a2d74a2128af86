#!/usr/bin/env node
/**
 * Sweep search benchmark (issue 14): TPE against random search, and successive halving and
 * hyperband against no pruner, with two-sided verdicts. Run `npm run build` first.
 *
 *   node bench/sweep-search.mjs [--seeds 10] [--trials 30] [--prune-trials 27]
 *                               [--prune-epochs 9] [--jobs 2] [--landscape 2]
 *                               [--tpe-multivariate] [--cli]
 *
 * The objective (small on purpose, so the whole bench fits in minutes on 2 cores):
 * configs/quick.yaml's net (conv2d 3x3 with 1-16 filters, max pool, dense 4) on its generated
 * 12x12 data (256 train, 64 test images, 4 classes, no download), with noise 0.6 instead of
 * 0.1 so the best does not saturate; learning rate logUniform [1e-5, 1] and the filters
 * intUniform [1, 16]; test/loss (minimized) ranks trials.
 *
 * Why search matters on it (the output prints the grid of the first --landscape seeds, 33
 * one-epoch trials each): most of the learning-rate range learns nothing in one epoch (test
 * loss about ln 4 = 1.386 below 1e-3, worse above 0.3), and the best lies in about one
 * decade of the five (0.01-0.03 at 16 filters: 0.70 against a grid median of 1.36 for seed
 * 1), so a sampler that concentrates there wins. Noise: none within a seed (every trial of a
 * sweep trains on the same generated data from the same seed, so a configuration always
 * gives the same value); between seeds the data differ, hence the paired comparison.
 * A fair start: a tpe sweep's first startupTrials (10) trials are the random sweep's own
 * first draws for the seed (as Optuna's TPE draws its startup with a RandomSampler of its
 * seed), so the two differ only in the 20 trials TPE proposes.
 *
 * Every sweep goes through the real sweep machinery: `planSweep` (the CLI's), the SQLite
 * store, `openTrialSource` (TPE proposals from the finished trials, recorded), `runSweep`,
 * `sweepTrialContext` (the pruner reads the other trials' values from the store) and
 * `runExperiment` (real training, every step recorded). Only the trial launcher differs from
 * `runner sweep`: it trains each trial in this process instead of a child `runner exp`, whose
 * start (about 1 s of loading) would otherwise be most of a 1-epoch trial's cost and of the
 * pruners' wall time. `--cli` runs each sweep with `runner sweep --parallel 1` instead (the
 * same sequence of trials and values, slower). Sweeps run one trial at a time (so a sweep is
 * reproducible for its seed); `--jobs` sweeps run side by side in child processes (a fresh one
 * every 8 sweeps, so memory stays flat). BENCH_MEMORY=1 prints each process's memory per sweep.
 *
 * 1. Samplers: per seed (the config's `seed`, which seeds the draws and the training), a
 *    `random` and a `tpe` sweep of --trials 1-epoch trials; the best test/loss of each.
 * 2. Pruners: per seed, the same random sweep of --prune-trials trials of --prune-epochs
 *    epochs with no pruner, with successiveHalving (minEpochs 1, reductionFactor 3) and with
 *    hyperband (same, brackets 3): epochs trained, wall time and best test/loss.
 *
 * Verdicts are two-sided sign tests over the seeds (exact binomial, p < 0.05, equal values
 * left out): "A lower", "B lower", else "inconclusive". With 10 seeds, 9 of 10 one way is
 * needed. Prints the load average before and after: compare figures only from a quiet machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { signTest } from './verdict.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seeds = option('seeds', 10);
const trials = option('trials', 30);
const pruneTrials = option('prune-trials', 27);
const pruneEpochs = option('prune-epochs', 9);
const jobs = option('jobs', Math.max(1, Math.min(2, cpus().length)));
const viaCli = args.includes('--cli');
/** `--tpe-multivariate`: the tpe sweeps model the parameters jointly (`tpe: {multivariate: true}`). */
const multivariate = args.includes('--tpe-multivariate');
/** Seeds whose objective is printed as a grid (`--landscape 0`: none). */
const landscapeSeeds = Array.from(
  { length: Math.min(seeds, option('landscape', 2)) },
  (_, i) => i + 1,
);
const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const BASE = readFileSync(new URL('../configs/quick.yaml', import.meta.url), 'utf8');

const SPACE = `  space:
    train.optimizer.learningRate: {logUniform: [1.0e-5, 1.0]}
    model.layers[0].conv2d.filters: {intUniform: [1, 16]}
  metric: test/loss
  goal: minimize
`;
const PRUNERS = {
  none: '',
  successiveHalving: '  pruner: {type: successiveHalving, minEpochs: 1, reductionFactor: 3}\n',
  hyperband: '  pruner: {type: hyperband, minEpochs: 1, reductionFactor: 3, brackets: 3}\n',
};

/** The sweeps of one seed: name, YAML of its sweep block, epochs per trial. */
function sweepsOf(seed) {
  return [
    ...['random', 'tpe'].map((sampler) => ({
      name: `${sampler}-${seed}`,
      seed,
      sweep:
        `sweep:\n  sampler: ${sampler}\n  trials: ${trials}\n${SPACE}` +
        (sampler === 'tpe' && multivariate ? '  tpe: {multivariate: true}\n' : ''),
      epochs: 1,
    })),
    ...Object.entries(PRUNERS).map(([pruner, yaml]) => ({
      name: `${pruner}-${seed}`,
      seed,
      sweep: `sweep:\n  sampler: random\n  trials: ${pruneTrials}\n${SPACE}${yaml}`,
      epochs: pruneEpochs,
    })),
  ];
}

/** Writes the sweep's config: quick.yaml with the seed, more noise, the epochs and the sweep. */
function writeConfig(work, job) {
  const file = join(work, `${job.name}.yaml`);
  const config = BASE.replace(/^seed: .*$/m, `seed: ${job.seed}`)
    .replace('noise: 0.1', 'noise: 0.6')
    .replace(/^ {2}epochs: .*$/m, `  epochs: ${job.epochs}`);
  writeFileSync(file, `${config}\n${job.sweep}`);
  return file;
}

const modules = () =>
  Promise.all([
    import('../dist/cli/commands/sweep.js'),
    import('../dist/store/index.js'),
    import('../dist/train/index.js'),
    import('../dist/config/index.js'),
    import('../dist/registries.js'),
  ]);

/** Runs one sweep in this process (the real machinery, trials trained here). */
async function sweepInProcess(work, file, db) {
  const [{ planSweep }, store_, train, config, { REGISTRIES }] = await modules();
  const planned = await planSweep(file, [], { cwd: work });
  const store = await store_.openStore(db);
  try {
    const { definition } = planned;
    const sweepId = await store.createSweep({
      name: planned.name,
      configYaml: planned.configYaml,
      definition,
      metric: planned.metric,
      goal: planned.goal ?? store_.metricGoal(planned.metric),
      trialCount: train.plannedTrialCount(definition),
      host: 'bench',
    });
    const source = await train.openTrialSource(store, sweepId);
    await train.runSweep({
      store,
      sweepId,
      source,
      parallel: 1,
      shouldStop: () => false,
      launch: async (trial) => {
        const experiment = await config.loadExperiment(file, {
          registries: REGISTRIES,
          set: [...definition.overrides, ...trial.overrides],
          cwd: work,
        });
        const result = await train.runExperiment({
          experiment,
          store,
          runsDir: join(work, 'artifacts'),
          name: train.trialRunName(planned.name, trial.assignments),
          shouldStop: () => false,
          cwd: work,
          cores: 1,
          sweep: await train.sweepTrialContext(
            store,
            { sweepId, trialIndex: trial.index },
            { maxEpochs: experiment.train.epochs },
          ),
        });
        return { trial, runId: result.runId, status: result.status, message: undefined };
      },
    });
  } finally {
    await store.close();
  }
}

function sweepWithCli(work, file, db) {
  const run = spawnSync(
    process.execPath,
    [MAIN, 'sweep', file, '--parallel', '1', '--db', db, '--quiet'],
    { cwd: work, encoding: 'utf8', env: { ...process.env, RUNNER_DB: '' } },
  );
  if (run.status !== 0) throw new Error(`runner sweep ${file} failed:\n${run.stderr}`);
}

/** Runs one sweep; returns its best test/loss, epochs trained, pruned trials and wall time. */
async function runOne(work, job) {
  const file = writeConfig(work, job);
  const db = join(work, `${job.name}.db`);
  const started = performance.now();
  if (viaCli) sweepWithCli(work, file, db);
  else await sweepInProcess(work, file, db);
  const ms = performance.now() - started;
  const sql = new Database(db, { readonly: true });
  const rows = sql
    .prepare(
      `select r.id, r.status,
         (select value from metrics m where m.run_id = r.id and m.key = 'test/loss' order by step desc limit 1) as last,
         (select count(distinct epoch) from metrics m where m.run_id = r.id and m.key = 'test/loss') as epochs
       from runs r where r.sweep_id = 1`,
    )
    .all();
  sql.close();
  const completed = rows.filter((r) => r.status === 'completed' && r.last !== null);
  return {
    name: job.name,
    trials: rows.length,
    best: Math.min(...completed.map((r) => r.last)),
    epochs: rows.reduce((n, r) => n + (r.epochs ?? 0), 0),
    pruned: rows.filter((r) => r.status === 'pruned').length,
    ms,
  };
}

/**
 * The objective itself, for the output: a grid over the learning rate (a point per half
 * decade) and three filter counts, for one seed, through the same machinery. It shows whether
 * search can matter here: how far the best is from the typical value, and where it sits.
 */
const LANDSCAPE_LR = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1];
const LANDSCAPE_FILTERS = [1, 4, 16];
async function landscape(work, seed) {
  const job = {
    name: `landscape-${seed}`,
    seed,
    sweep: `sweep:\n  grid:\n    train.optimizer.learningRate: [${LANDSCAPE_LR.join(', ')}]\n    model.layers[0].conv2d.filters: [${LANDSCAPE_FILTERS.join(', ')}]\n  metric: test/loss\n  goal: minimize\n`,
    epochs: 1,
  };
  const file = writeConfig(work, job);
  const db = join(work, `${job.name}.db`);
  await sweepInProcess(work, file, db);
  const sql = new Database(db, { readonly: true });
  const rows = sql
    .prepare(
      `select (select value from params p where p.run_id = r.id and p.key = 'train.optimizer.learningRate') as lr,
         (select value from params p where p.run_id = r.id and p.key = 'model.layers[0].conv2d.filters') as filters,
         (select value from metrics m where m.run_id = r.id and m.key = 'test/loss' order by step desc limit 1) as loss
       from runs r where r.sweep_id = 1 and r.status = 'completed'`,
    )
    .all();
  sql.close();
  return rows;
}

/** A job process: runs the sweeps named on its command line, prints one JSON line per sweep. */
async function jobMain(names) {
  const work = mkdtempSync(join(tmpdir(), 'runner-bench-sweep-'));
  try {
    const all = new Map();
    for (let seed = 1; seed <= seeds; seed++)
      for (const job of sweepsOf(seed)) all.set(job.name, job);
    // Untimed warm-up (imports, backend start), so the first timed sweep does not pay for it.
    if (!viaCli)
      await runOne(work, {
        name: 'warm-up',
        seed: 0,
        sweep: `sweep:\n  sampler: random\n  trials: 2\n${SPACE}`,
        epochs: 1,
      });
    for (const name of names) {
      if (name.startsWith('landscape-')) {
        const rows = await landscape(work, Number(name.slice('landscape-'.length)));
        process.stdout.write(`${JSON.stringify({ name, rows })}\n`);
        continue;
      }
      const result = await runOne(work, all.get(name));
      if (process.env.BENCH_MEMORY) {
        const tf = await import('../dist/tf.js');
        console.error(
          `${name}: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, ${tf.memory().numTensors} tensors`,
        );
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs the sweeps (longest first) in child processes, `jobs` at a time, a fresh process per
 * SWEEPS_PER_PROCESS sweeps: a long-lived process grows about 0.5 MB per trial (its memory
 * after ~15 sweeps), so none lives through hundreds of trials. Calls back as results come.
 */
const SWEEPS_PER_PROCESS = 8;
async function runAll(onResult) {
  const queue = [];
  for (let seed = 1; seed <= seeds; seed++) queue.push(...sweepsOf(seed));
  queue.sort((a, b) => b.epochs - a.epochs);
  const chunks = landscapeSeeds.length ? [landscapeSeeds.map((seed) => `landscape-${seed}`)] : [];
  for (let i = 0; i < queue.length; i += SWEEPS_PER_PROCESS)
    chunks.push(queue.slice(i, i + SWEEPS_PER_PROCESS).map((job) => job.name));
  const forwarded = args.filter((a, i) => a !== '--jobs' && args[i - 1] !== '--jobs');
  const runChunk = (names) =>
    new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [new URL(import.meta.url).pathname, ...forwarded, '--job', names.join(',')],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let pending = '';
      child.stdout.on('data', (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) if (line) onResult(JSON.parse(line));
      });
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`bench job exited with ${code}`)),
      );
    });
  const worker = async () => {
    for (let names = chunks.shift(); names !== undefined; names = chunks.shift())
      await runChunk(names);
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};
const spread = (values, digits = 4) =>
  `median ${median(values).toFixed(digits)} (min ${Math.min(...values).toFixed(digits)}, max ${Math.max(...values).toFixed(digits)})`;

/** "tpe lower (better) in 9 of 10 seeds, p 0.021" and the like. */
function verdict(test, a, b, what) {
  const counted = `${a} lower in ${test.aLower}, ${b} lower in ${test.bLower}, equal in ${test.ties}; p ${test.p.toFixed(3)}`;
  const call =
    test.lower === 'a'
      ? `${a} ${what.lower}`
      : test.lower === 'b'
        ? `${b} ${what.lower}`
        : `inconclusive (${what.none})`;
  return `${call} (${counted})`;
}

/** The grid of one seed's objective: test/loss per learning rate (rows) and filters (columns). */
function printLandscape({ name, rows }) {
  const at = (lr, filters) =>
    rows.find((r) => Number(r.lr) === lr && Number(r.filters) === filters)?.loss ?? Number.NaN;
  const all = rows.map((r) => r.loss).filter(Number.isFinite);
  const best = rows.reduce((a, b) => (b.loss < a.loss ? b : a));
  console.log(
    `  objective, ${name.replace('-', ' seed ')}: test/loss after 1 epoch (rows: learning rate; columns: filters ${LANDSCAPE_FILTERS.join(', ')})`,
  );
  for (const lr of LANDSCAPE_LR)
    console.log(
      `    lr ${String(lr).padEnd(6)} ${LANDSCAPE_FILTERS.map((f) => at(lr, f).toFixed(4)).join('  ')}`,
    );
  console.log(
    `    best ${best.loss.toFixed(4)} at lr ${best.lr}, filters ${best.filters}; median of the grid ${median(all).toFixed(4)}, worst ${Math.max(...all).toFixed(4)}`,
  );
}

async function main() {
  const started = performance.now();
  console.log(`sweep-search bench: ${cpus().length} cores, load average ${load()}`);
  console.log(
    `  objective: quick.yaml's net (conv2d 3x3 1-16 filters, max pool, dense 4) on generated 12x12 data,` +
      ` 256 train / 64 test images, noise 0.6, batch 32; lr logUniform [1e-5, 1], filters intUniform [1, 16]; test/loss minimized`,
  );
  console.log(
    '  deterministic within a seed (same data and init for every trial); tpe (one parameter at a time' +
      (multivariate ? ' but --tpe-multivariate: jointly' : '') +
      ", constant liar, 10 startup trials, gamma 0.1, 24 candidates) starts from the random sweep's own first 10 draws of the seed",
  );
  console.log(
    `  size: ${seeds} seeds; samplers: random and tpe, ${trials} trials x 1 epoch each; pruners: none,` +
      ` successiveHalving and hyperband on the same random sweep, ${pruneTrials} trials x ${pruneEpochs} epochs`,
  );
  console.log(
    `  trials ${viaCli ? 'as child `runner sweep --parallel 1` processes (--cli)' : 'trained in the bench process (--cli: through `runner sweep`)'}, one at a time per sweep, ${jobs} sweeps side by side`,
  );
  const results = new Map();
  await runAll((result) => {
    if (result.rows) {
      printLandscape(result);
      return;
    }
    results.set(result.name, result);
    console.log(
      `  ${result.name.padEnd(22)} best test/loss ${result.best.toFixed(4)}, ${result.epochs} epochs` +
        `${result.pruned ? ` (${result.pruned} trials pruned)` : ''}, ${(result.ms / 1000).toFixed(1)} s`,
    );
  });
  const of = (prefix, field) =>
    Array.from({ length: seeds }, (_, i) => results.get(`${prefix}-${i + 1}`)[field]);

  console.log(
    `\nsamplers: best test/loss after ${trials} trials, over ${seeds} seeds (lower is better):`,
  );
  const random = of('random', 'best');
  const tpe = of('tpe', 'best');
  console.log(`  random  ${spread(random)}`);
  console.log(`  tpe     ${spread(tpe)}`);
  console.log(
    `  verdict: ${verdict(signTest(tpe, random), 'tpe', 'random', { lower: 'better', none: 'neither better in enough seeds' })}`,
  );

  console.log(
    `\npruners: ${pruneTrials} random trials x ${pruneEpochs} epochs per seed, against no pruner (same trials and values):`,
  );
  const none = { best: of('none', 'best'), epochs: of('none', 'epochs'), ms: of('none', 'ms') };
  console.log(
    `  none               epochs ${spread(none.epochs, 0)}, seconds ${spread(
      none.ms.map((v) => v / 1000),
      1,
    )}, best ${spread(none.best)}`,
  );
  for (const pruner of ['successiveHalving', 'hyperband']) {
    const p = { best: of(pruner, 'best'), epochs: of(pruner, 'epochs'), ms: of(pruner, 'ms') };
    const saved = (a, b) => median(a.map((v, i) => 100 * (1 - v / b[i]))).toFixed(0);
    console.log(
      `  ${pruner.padEnd(18)} epochs ${spread(p.epochs, 0)}, seconds ${spread(
        p.ms.map((v) => v / 1000),
        1,
      )}, best ${spread(p.best)}`,
    );
    console.log(
      `    median saved per seed: ${saved(p.epochs, none.epochs)}% of the epochs, ${saved(p.ms, none.ms)}% of the wall time`,
    );
    console.log(
      `    epochs: ${verdict(signTest(p.epochs, none.epochs), pruner, 'none', { lower: 'fewer', none: 'no difference shown' })}`,
    );
    console.log(
      `    wall time: ${verdict(signTest(p.ms, none.ms), pruner, 'none', { lower: 'faster', none: 'no difference shown' })}`,
    );
    console.log(
      `    best test/loss: ${verdict(signTest(p.best, none.best), pruner, 'none', { lower: 'better', none: 'no difference shown: equal best' })}`,
    );
  }
  console.log(
    `\ntook ${((performance.now() - started) / 1000).toFixed(0)} s; load average after: ${load()}`,
  );
}

const jobAt = args.indexOf('--job');
if (jobAt >= 0) await jobMain(args[jobAt + 1].split(','));
else await main();
