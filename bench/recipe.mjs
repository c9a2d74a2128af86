#!/usr/bin/env node
// The training recipe's figures (issue 13), each part on its own so that each stays short:
//
//   node bench/recipe.mjs accuracy [--only baseline|recipe] [--epochs 10]
//       LeNet-5 on Fashion-MNIST through the CLI (`runner exp FILE --json`, as a user would):
//       configs/fashion-lenet.yaml (plain Adam 1e-3) against configs/fashion-lenet-recipe.yaml
//       (AdamW + cosine with warmup + augment {shift: 2}), both test accuracies; and the same
//       two in PyTorch (bench/pytorch_recipe.py) when `python3 -c "import torch"` works.
//   node bench/recipe.mjs checkpoint [--epochs 2]
//       trains the recipe config (checkpointEvery 100) and reads each "checkpoint written"
//       line of the run's log.jsonl: ms and bytes per checkpoint, and their share of an epoch.
//   node bench/recipe.mjs augment [--batches 100]
//       in-process, LeNet-5 at batch 128 on wasm: ms to make a training batch without
//       augmentation, with {shift: 2} and with every kind at once, against the ms of a
//       training step; target: batching under 5% of a step.
//
// Options for smoke runs: --limit N (data.limit.train=N, data.limit.test=N/5), --backend NAME.
// Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or a downloaded copy.
// Prints the load average: the figures are only clean on a quiet machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const args = process.argv.slice(2);
const part = args[0];
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const LIMIT = flag('--limit', undefined);
const BACKEND = flag('--backend', 'wasm');
const CASES = {
  baseline: { config: 'configs/fashion-lenet.yaml', what: 'Adam 1e-3' },
  recipe: {
    config: 'configs/fashion-lenet-recipe.yaml',
    what: 'AdamW 2e-3 wd 0.01, cosine, warmup 200 steps, shift 2',
  },
};
/** Debian's python3-torch, as the other benches use: a pyenv or venv `python3` on PATH may lack torch. */
const PYTHON = '/usr/bin/python3';
const log = (line) => process.stderr.write(`${line}\n`);
const load = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

if (!existsSync(CLI)) {
  log('bench/recipe: dist/ is not built: run `npm run build` first');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'runner-bench-recipe-'));
try {
  if (part === 'accuracy') await accuracy();
  else if (part === 'checkpoint') await checkpoint();
  else if (part === 'augment') await augment();
  else {
    log(
      'usage: node bench/recipe.mjs accuracy|checkpoint|augment [options] (see the top of the file)',
    );
    process.exitCode = 2;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** `--set` overrides shared by every CLI run of this bench. */
function commonSets(epochs) {
  const sets = [`train.epochs=${epochs}`, `backend=${BACKEND}`, 'data.source=official'];
  if (LIMIT !== undefined) {
    const train = Number(LIMIT);
    sets.push(`data.limit.train=${train}`, `data.limit.test=${Math.max(1, Math.floor(train / 5))}`);
  }
  return sets;
}

/** A warmup that fits the run (200 steps at full size; a fifth of the run when limited). */
function warmupSet(epochs) {
  if (LIMIT === undefined) return [];
  const steps = epochs * Math.ceil(Number(LIMIT) / 128);
  return [`train.schedule.warmupSteps=${Math.max(1, Math.floor(steps / 5))}`];
}

function runCli(cliArgs) {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env };
    delete env.RUNNER_DB;
    const child = spawn(process.execPath, [CLI, ...cliArgs], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Trains one case through the CLI; its JSON summary and wall seconds. */
async function trainCase(name, epochs, extraSets = []) {
  const c = CASES[name];
  const sets = [
    ...commonSets(epochs),
    ...(name === 'recipe' ? warmupSet(epochs) : []),
    ...extraSets,
  ];
  const cliArgs = ['exp', c.config, '--json', '--db', join(work, `${name}.db`)];
  for (const s of sets) cliArgs.push('--set', s);
  log(`${name}: runner ${cliArgs.join(' ')}`);
  const started = performance.now();
  const r = await runCli(cliArgs);
  const seconds = (performance.now() - started) / 1000;
  if (r.code !== 0)
    throw new Error(
      `${name}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return { summary: JSON.parse(r.stdout), seconds };
}

async function accuracy() {
  const epochs = Number(flag('--epochs', 10));
  const only = flag('--only', 'baseline,recipe').split(',');
  const rows = [];
  for (const name of only) {
    if (!(name in CASES)) throw new Error(`unknown case ${name}: baseline or recipe`);
    const { summary, seconds } = await trainCase(name, epochs);
    rows.push({ name, summary, seconds, pytorch: pytorchAccuracy(name, epochs) });
  }
  console.log(
    `\nLeNet-5 on Fashion-MNIST, ${epochs} epochs, batch 128, ${BACKEND}${LIMIT ? `, limited to ${LIMIT} training examples` : ''}`,
  );
  console.log(
    'case      recipe                                                  runner acc  best (epoch)   wall s  PyTorch acc',
  );
  for (const { name, summary, seconds, pytorch } of rows) {
    console.log(
      `${name.padEnd(9)} ${CASES[name].what.padEnd(55)} ${summary.final.accuracy.toFixed(4).padEnd(11)} ${`${summary.best.accuracy.toFixed(4)} (${summary.best.epoch})`.padEnd(14)} ${seconds.toFixed(0).padEnd(7)} ${pytorch}`,
    );
  }
  if (rows.length === 2) {
    const [a, b] = rows.map((r) => r.summary.final.accuracy);
    console.log(`recipe - baseline: ${((b - a) * 100).toFixed(2)} points (one run each, seed 1)`);
  }
  console.log(`load average at the end: ${load()}`);
}

/** PyTorch's test accuracy for the same case (bench/pytorch_recipe.py), or why there is none. */
function pytorchAccuracy(name, epochs) {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `not measured here (${PYTHON} cannot import torch)`;
  const pyArgs = [
    join(ROOT, 'bench', 'pytorch_recipe.py'),
    '--case',
    name,
    '--epochs',
    String(epochs),
  ];
  if (LIMIT !== undefined) pyArgs.push('--limit', LIMIT);
  log(`${name}: ${PYTHON} ${pyArgs.join(' ')}`);
  const r = spawnSync(PYTHON, pyArgs, { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n').at(-1)}`;
  const match = /test accuracy ([0-9.]+)/.exec(r.stdout);
  return match ? Number(match[1]).toFixed(4) : `no figure in: ${r.stdout.trim()}`;
}

async function checkpoint() {
  const epochs = Number(flag('--epochs', 2));
  const { summary } = await trainCase('recipe', epochs);
  const lines = readFileSync(join(summary.runDir, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  const written = lines.filter((l) => l.msg === 'checkpoint written');
  if (written.length === 0) throw new Error('the run logged no "checkpoint written" line');
  const ms = written.map((l) => l.ms);
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  // An epoch of n steps has n / 100 step checkpoints (checkpointEvery: 100) and one at its end.
  const stepsPerEpoch = summary.steps / summary.epochs;
  const perEpoch = stepsPerEpoch / 100 + 1;
  // Training time of an epoch from the recorded speed: images per epoch / images per second.
  const speeds = readSpeeds(join(work, 'recipe.db'), summary.runId);
  const images = (summary.steps * 128) / summary.epochs;
  const epochMs = speeds.length
    ? (images / (speeds.reduce((a, b) => a + b, 0) / speeds.length)) * 1000
    : NaN;
  console.log(
    `\ncheckpoints of ${CASES.recipe.config} (LeNet-5, checkpointEvery 100 + every epoch end), ${epochs} epochs on ${summary.backend}`,
  );
  console.log(`checkpoints: ${written.length} (${written.map((l) => l.reason).join(', ')})`);
  console.log(`bytes each: ${written[0].bytes.toLocaleString('en-US')}`);
  console.log(
    `ms each: mean ${mean.toFixed(1)}, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)}, max ${sorted.at(-1).toFixed(1)}`,
  );
  console.log(
    `per epoch of ${stepsPerEpoch} steps: ${perEpoch.toFixed(2)} checkpoints, ${(perEpoch * mean).toFixed(0)} ms of an epoch's ${epochMs.toFixed(0)} ms of training = ${((perEpoch * mean * 100) / epochMs).toFixed(2)}%`,
  );
  console.log(`load average at the end: ${load()}`);
}

/** The run's perf/images_per_sec, one value per epoch (evaluation excluded). */
function readSpeeds(dbPath, runId) {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT value FROM metrics WHERE run_id = ? AND key = 'perf/images_per_sec' ORDER BY step",
      )
      .all(runId)
      .map((r) => r.value);
  } finally {
    db.close();
  }
}

async function augment() {
  const batches = Number(flag('--batches', 100));
  const tf = await import('../dist/tf.js');
  const { loadExperiment } = await import('../dist/config/index.js');
  const { selectBackend } = await import('../dist/backend/index.js');
  const { loadData, createBatches } = await import('../dist/data/index.js');
  const { buildModel } = await import('../dist/model/index.js');
  const { REGISTRIES } = await import('../dist/registries.js');
  const { createOptimizer, trainStep } = await import('../dist/train/index.js');
  const set = [`backend=${BACKEND}`, 'data.source=official', 'data.batchSize=128'];
  if (LIMIT !== undefined) set.push(`data.limit.train=${LIMIT}`, 'data.limit.test=10');
  const experiment = await loadExperiment(join(ROOT, CASES.recipe.config), {
    cwd: ROOT,
    set,
    registries: REGISTRIES,
  });
  const backend = await selectBackend(experiment.backend);
  const data = await loadData(experiment.data, {
    seed: experiment.seed,
    cwd: ROOT,
    env: process.env,
  });
  const count = Math.min(batches, Math.floor(data.train.count / 128));
  const specs = {
    none: undefined,
    'shift 2': { shift: 2, cropPadding: 0, flip: false, rotate: 0, noise: 0 },
    'all kinds': { shift: 2, cropPadding: 2, flip: true, rotate: 10, noise: 0.05 },
  };
  /** ms per batch of making `count` batches (tensors included), median of 3 epochs. */
  const batchMs = (spec) => {
    const rounds = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const started = performance.now();
      let made = 0;
      for (const batch of createBatches(data.train, {
        batchSize: 128,
        shuffle: true,
        seed: 1,
        epoch,
        normalize: experiment.data.normalize,
        augment: spec,
      })) {
        batch.xs.dispose();
        batch.labels.dispose();
        if (++made === count) break;
      }
      rounds.push((performance.now() - started) / made);
    }
    return rounds.sort((a, b) => a - b)[1];
  };
  const batching = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, batchMs(s)]));
  // The step alone on batches made beforehand.
  const model = buildModel(experiment.model, { seed: experiment.seed });
  const rule = createOptimizer(experiment.train.optimizer);
  const variables = model.trainableWeights.map((w) => w.read());
  const made = [];
  for (const batch of createBatches(data.train, {
    batchSize: 128,
    shuffle: true,
    seed: 1,
    epoch: 0,
    normalize: experiment.data.normalize,
  })) {
    made.push(batch);
    if (made.length === Math.min(count, 20)) break;
  }
  const settings = {
    numClasses: data.numClasses,
    labelSmoothing: 0,
    gradientClipping: undefined,
    learningRate: 1e-3,
    momentum: undefined,
  };
  for (const b of made.slice(0, 3)) trainStep(model, rule, variables, b.xs, b.labels, settings);
  const started = performance.now();
  for (const b of made) trainStep(model, rule, variables, b.xs, b.labels, settings);
  const stepMs = (performance.now() - started) / made.length;
  for (const b of made) tf.dispose([b.xs, b.labels]);
  rule.dispose();
  model.dispose();
  console.log(
    `\naugmentation cost, LeNet-5 at batch 128 on ${backend.name}: ms to make one training batch vs one training step (${made.length} steps, ${count} batches x 3 epochs)`,
  );
  console.log(`training step: ${stepMs.toFixed(2)} ms`);
  for (const [k, ms] of Object.entries(batching)) {
    console.log(
      `batch, augment ${k.padEnd(10)} ${ms.toFixed(2)} ms = ${((ms * 100) / (ms + stepMs)).toFixed(2)}% of batch + step (target < 5%)`,
    );
  }
  console.log(`load average at the end: ${load()}`);
}
