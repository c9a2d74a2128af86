#!/usr/bin/env node
/**
 * Training speed, side by side in one run: LeNet-5 (configs/lenet.yaml) and
 * the tutorial net (configs/mycnn.yaml) at batch 64 and 128, on every tfjs
 * backend that loads, with 1 and 2 data-parallel workers (train.workers) and
 * with what `workers: auto` picks, and in PyTorch with 1 thread and with as
 * many threads as `auto` gives workers, when Debian's python3-torch is
 * importable ("not measured here" otherwise). Prints images/s of wall time
 * and of CPU time (all threads), the kernel calls of one step, the ratios,
 * and the load average before and after every measurement.
 *
 *   npm run bench:train
 *   npm run build && node bench/train-speed.mjs --steps 60 --warmup 50 --batches 64,128 --rounds 3
 *
 * Options: --steps N (timed steps, default 60), --warmup N (default 50),
 * --batches 64,128, --nets lenet5,mycnn, --backends tfjs-node,wasm,cpu,
 * --workers 1,2,auto (wasm; other backends run 1), --rounds N (default 3:
 * every measurement N times, interleaved; the median is shown with its
 * spread), --cpu-steps N (the cpu backend trains at ~12 images/s: default 2
 * timed steps after 1 warm-up), --no-pytorch, --json.
 *
 * One step = forward, softmax cross-entropy, backward, Adam update, and
 * reading the loss, as the training loop does (without its recording); with
 * workers, the step of the runner's replica pool (src/train/parallel/).
 * Steady state means after the warm-up: V8 compiles the hot JavaScript and
 * tiers the wasm code up over a run's first tens of steps (the tutorial net
 * with 2 workers, medians of 10 steps: 38, 25, 24, 20, 18, then 14-17 ms), so
 * 50 steps are untimed by default, on both sides; their time per step is
 * printed too ("warm-up ms/step"), which is what a run's start pays.
 * Data: MNIST-shaped random images and labels (speed does not depend on the
 * values). Every measurement runs in its own child process, one at a time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compareRounds } from './verdict.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const CONFIGS = { lenet5: 'configs/lenet.yaml', mycnn: 'configs/mycnn.yaml' };
const NET_TITLES = { lenet5: 'LeNet-5', mycnn: 'tutorial net' };
/** A spread over rounds above this is called out under the table. */
const NOISY_SPREAD = 0.15;

const args = parseArgs(process.argv.slice(2));
if (args.child !== undefined) {
  await runChild(JSON.parse(args.child));
} else {
  await runParent(args);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]?.replace(/^--/, '');
    if (key === 'no-pytorch' || key === 'json') out[key] = true;
    else out[key] = argv[++i];
  }
  return out;
}

// ---------------------------------------------------------------- parent

async function runParent(options) {
  const steps = Number(options.steps ?? 60);
  const warmup = Number(options.warmup ?? 50);
  const cpuSteps = Number(options['cpu-steps'] ?? 2);
  const rounds = Math.max(1, Number(options.rounds ?? 3));
  const batches = String(options.batches ?? '64,128')
    .split(',')
    .map(Number);
  const nets = String(options.nets ?? 'lenet5,mycnn').split(',');
  const backends = String(options.backends ?? 'tfjs-node,wasm,cpu').split(',');
  const workerSettings = String(options.workers ?? '1,2,auto').split(',');
  const log = (line) => process.stderr.write(`${line}\n`);
  const { resolveWorkers } = await import('../dist/train/parallel/index.js');
  const cores = availableParallelism();
  const autoOf = (backend, batch) =>
    resolveWorkers('auto', { backend, batchSize: batch, cores }).count;

  const torch = options['no-pytorch']
    ? { available: false, why: 'skipped (--no-pytorch)' }
    : probeTorch();
  log(
    `[bench] node ${process.version}, ${steps} timed steps after ${warmup} warm-up (cpu: ${cpuSteps} after 1), ${rounds} round(s)`,
  );
  log(`[bench] PyTorch: ${torch.available ? `torch ${torch.version}` : torch.why}`);
  log(`[bench] load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);

  // Every measurement once per round, interleaved, so a busy spell hits all alike.
  const jobs = [];
  for (const net of nets) {
    for (const batch of batches) {
      for (const backend of backends) {
        const counts =
          backend === 'wasm'
            ? [
                ...new Set(
                  workerSettings.map((w) => (w === 'auto' ? autoOf(backend, batch) : Number(w))),
                ),
              ]
            : [1];
        const isCpu = backend === 'cpu';
        for (const workers of counts) {
          jobs.push({
            kind: 'tfjs',
            key: `${net}/${batch}/${backend}/${workers}`,
            job: {
              backend,
              net,
              batch,
              workers,
              auto: workers === autoOf(backend, batch),
              steps: isCpu ? cpuSteps : steps,
              warmup: isCpu ? 1 : warmup,
            },
          });
        }
      }
      if (torch.available) {
        const threads = [...new Set([1, autoOf('wasm', batch)])];
        for (const t of threads) {
          jobs.push({
            kind: 'pytorch',
            key: `${net}/${batch}/pytorch-${t}t/${t}`,
            net,
            batch,
            threads: t,
          });
        }
      }
    }
  }
  const measured = new Map();
  const unavailable = new Map();
  for (let round = 1; round <= rounds; round++) {
    for (const entry of jobs) {
      if (entry.kind === 'tfjs' && unavailable.has(entry.job.backend)) continue;
      const before = loadavg()[0];
      let result;
      if (entry.kind === 'tfjs') {
        const { job } = entry;
        log(
          `[bench] round ${round}: ${job.net} batch ${job.batch} on ${job.backend}, ${job.workers} worker(s) ...`,
        );
        result = runChildProcess(job);
        if (result.error !== undefined) {
          unavailable.set(job.backend, result.error);
          log(`[bench]   ${job.backend} not available: ${result.error}`);
          continue;
        }
        result = { ...result, framework: 'tfjs', auto: job.auto };
      } else {
        log(
          `[bench] round ${round}: ${entry.net} batch ${entry.batch} in PyTorch, ${entry.threads} thread(s) ...`,
        );
        result = runPytorch(entry, steps, warmup);
      }
      const row = { ...result, loadBefore: before, loadAfter: loadavg()[0] };
      measured.set(entry.key, [...(measured.get(entry.key) ?? []), row]);
    }
  }
  const rows = [...measured.values()].map(medianRow);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ rows, unavailable: Object.fromEntries(unavailable), torch, cores })}\n`,
    );
    return;
  }
  printTable(rows, nets, batches, unavailable, torch, rounds, warmup);
}

function runPytorch(entry, steps, warmup) {
  const out = execFileSync(
    PYTHON,
    [
      `${HERE}pytorch_steps.py`,
      '--net',
      entry.net,
      '--batch',
      String(entry.batch),
      '--threads',
      String(entry.threads),
      '--steps',
      String(steps),
      '--warmup',
      String(warmup),
    ],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').pop());
  return {
    framework: 'pytorch',
    backend: `pytorch-${entry.threads}t`,
    workers: entry.threads,
    net: entry.net,
    batch: entry.batch,
    imagesPerSec: r.images_per_sec,
    imagesPerCpuSec: r.images_per_cpu_sec,
    msPerStep: (1000 * r.seconds) / r.steps,
    warmupMsPerStep: r.warmup > 0 ? (1000 * r.warmup_seconds) / r.warmup : undefined,
    steps: r.steps,
  };
}

/** The round with the median images/s, with the spread over rounds as (max - min) / median. */
function medianRow(rounds) {
  const sorted = [...rounds].sort((a, b) => a.imagesPerSec - b.imagesPerSec);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const spread =
    sorted.length > 1
      ? (sorted.at(-1).imagesPerSec - sorted[0].imagesPerSec) / median.imagesPerSec
      : undefined;
  const loads = rounds.flatMap((r) => [r.loadBefore, r.loadAfter]);
  return {
    ...median,
    values: rounds.map((r) => r.imagesPerSec),
    rounds: rounds.length,
    spread,
    loadMin: Math.min(...loads),
    loadMax: Math.max(...loads),
  };
}

function probeTorch() {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return { available: true, version: probe.stdout.trim() };
  return {
    available: false,
    why: `not measured here: torch is not importable by ${PYTHON} (to compare: apt-get install -y python3-torch, then rerun)`,
  };
}

function runChildProcess(job) {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return {
      error: `child failed (exit ${child.status}): ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
}

function printTable(rows, nets, batches, unavailable, torch, rounds, warmup) {
  const fmt = (n, digits = 0) =>
    n === undefined
      ? '—'
      : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  // The ratio of medians, and whether the rounds' ranges separate (two-sided, see verdict.mjs).
  // In brackets the worst and best pairing of rounds (slowest of A over fastest of B, and back):
  // a target ratio is shown met only when even the worst pairing reaches it.
  const ratio = (a, b) =>
    a === undefined || b === undefined
      ? '—'
      : `${(a.imagesPerSec / b.imagesPerSec).toFixed(2)}x` +
        (a.values.length > 1 && b.values.length > 1
          ? ` (${(Math.min(...a.values) / Math.max(...b.values)).toFixed(2)}-${(Math.max(...a.values) / Math.min(...b.values)).toFixed(2)})`
          : '') +
        ` ${compareRounds(a.values, b.values)}`;
  const header = [
    'net',
    'batch',
    'backend',
    'workers',
    'images/s',
    'spread',
    'ms/step',
    'warm-up ms/step',
    'vs 1 worker',
    'vs PyTorch same threads',
    'images/CPU-s',
    'CPU vs PyTorch',
    'calls/step',
    'load avg',
  ];
  const table = [header];
  for (const net of nets) {
    for (const batch of batches) {
      const here = rows.filter((x) => x.net === net && x.batch === batch);
      const find = (backend, workers) =>
        here.find((r) => r.backend === backend && r.workers === workers);
      for (const r of here) {
        const ours = r.framework === 'tfjs';
        const one = ours ? find(r.backend, 1) : undefined;
        const torchSame = find(`pytorch-${r.workers}t`, r.workers);
        table.push([
          NET_TITLES[net] ?? net,
          String(batch),
          r.backend,
          ours ? `${r.workers}${r.auto ? ' (auto)' : ''}` : `${r.workers} thread(s)`,
          fmt(r.imagesPerSec),
          r.spread === undefined ? '—' : `${Math.round(100 * r.spread)}%`,
          fmt(r.msPerStep, 1),
          fmt(r.warmupMsPerStep, 1),
          ours && r.workers > 1 ? ratio(r, one) : '',
          ours ? ratio(r, torchSame) : '',
          fmt(r.imagesPerCpuSec),
          ours && torchSame !== undefined
            ? `${(r.imagesPerCpuSec / torchSame.imagesPerCpuSec).toFixed(2)}x`
            : ours
              ? '—'
              : '',
          r.kernelCalls === undefined ? '' : fmt(r.kernelCalls),
          `${r.loadMin.toFixed(1)}-${r.loadMax.toFixed(1)}`,
        ]);
      }
    }
  }
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row) =>
    row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const first = rows.find((r) => r.framework === 'tfjs');
  const out = (text) => process.stdout.write(`${text}\n`);
  out(
    `Training speed (${first ? `tfjs ${first.tfjsVersion}, models from ${first.models}` : 'no tfjs backend loaded'}; ` +
      `steady state, one process per measurement, median of ${rounds} interleaved round(s); ` +
      `load average now ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
  );
  out(line(table[0]));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table.slice(1)) out(line(row));
  out(
    '  images/s: wall clock. images/CPU-s: per second of CPU time the process used (all its threads,',
  );
  out(
    "  workers included), which a busy machine disturbs far less; it counts V8's own background threads",
  );
  out(
    '  too, so on a quiet machine it reads below wall-clock throughput: there, compare images/s.',
  );
  out(
    '  spread: (max - min) / median images/s over the rounds; a large one means a noisy machine.',
  );
  out(
    `  ms/step: after ${warmup} untimed warm-up steps (cpu: 1); warm-up ms/step: those steps' own time (the round with the median images/s).`,
  );
  const noisy = rows.filter((r) => r.spread !== undefined && r.spread > NOISY_SPREAD);
  if (noisy.length > 0) {
    out(
      `  the spread stayed above ${100 * NOISY_SPREAD}% in ${noisy.length} of ${rows.length} rows after ${rounds} round(s): ` +
        'the machine was noisy; more --rounds, or a quieter machine, would narrow it.',
    );
  }
  out(
    "  vs columns: ratio of medians (in brackets: slowest round over the other's fastest, fastest over slowest); faster/slower when every round of one beat every round of the other, else inconclusive.",
  );
  out(
    '  calls/step: kernels one replica runs in one step (tf.profile); load avg: 1-minute, min-max over the rounds.',
  );
  for (const r of rows.filter((x) => x.framework === 'tfjs' && x.kernels)) {
    if (r.net === nets[0] && r.batch === batches[0] && r.workers === 1)
      out(`  ${r.backend}: ${r.kernels}`);
  }
  // What one step calls, per net and backend (the same at every batch size and worker count).
  const shown = new Set();
  for (const r of rows.filter((x) => x.framework === 'tfjs' && x.kernelNames)) {
    const key = `${r.net}/${r.backend}`;
    if (shown.has(key)) continue;
    shown.add(key);
    out(
      `  calls/step, ${NET_TITLES[r.net] ?? r.net} on ${r.backend}: ${r.kernelCalls} = ${r.kernelNames}`,
    );
  }
  // Where a step with workers goes, on the main thread (the median round's): what stays serial.
  for (const r of rows.filter((x) => x.framework === 'tfjs' && x.phases)) {
    const p = r.phases;
    const rest = r.msPerStep - p.prepareMs - p.ownShareMs - p.waitMs - p.averageMs;
    out(
      `  ${r.workers} workers, ${NET_TITLES[r.net] ?? r.net} batch ${r.batch}, ms of a ${r.msPerStep.toFixed(1)} ms step on the main thread: ` +
        `prepare ${p.prepareMs.toFixed(2)}, own share ${p.ownShareMs.toFixed(2)}, wait ${p.waitMs.toFixed(2)}, ` +
        `average ${p.averageMs.toFixed(2)}, update and rest ${rest.toFixed(2)}; a worker busy ${p.workerMs.toFixed(2)}` +
        (p.rungShare === undefined
          ? ''
          : `, ${(100 * p.rungShare).toFixed(0)}% of its steps from the doorbell`),
    );
  }
  for (const [backend, why] of unavailable) out(`  ${backend}: not measured: ${why}`);
  if (!torch.available) out(`  PyTorch: ${torch.why}`);
}

// ---------------------------------------------------------------- child

async function runChild(job) {
  const tf = await import('../dist/tf.js');
  const { selectBackend } = await import('../dist/backend/index.js');
  let info;
  try {
    info = await selectBackend(job.backend);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
    return;
  }
  const { model, models, spec, seed } = await buildNet(tf, job.net);
  // The runner's Adam, as `train.optimizer: {type: adam}` creates it (the bench's own if not built).
  const optimizer = await createAdam();
  const batches = Array.from({ length: 4 }, () =>
    tf.tidy(() => ({
      xs: tf.randomUniform([job.batch, 28, 28, 1]),
      labels: tf.randomUniform([job.batch], 0, 10, 'int32'),
    })),
  );
  const variables = model.trainableWeights.map((w) => w.read());
  let pool;
  if (job.workers > 1) {
    if (spec === undefined)
      throw new Error("workers > 1 needs the runner's buildModel (npm run build)");
    const { startReplicaPool } = await import('../dist/train/parallel/index.js');
    pool = await startReplicaPool({
      replicas: job.workers,
      model,
      variables,
      modelSpec: spec,
      seed,
      backend: info.name,
      objective: { numClasses: 10, labelSmoothing: 0 },
      batchSize: job.batch,
    });
  }
  // With workers, steps take the batch as arrays, as the training loop gives them (its loader's).
  const arrays = batches.map(({ xs, labels }) => ({
    xs: xs.dataSync(),
    labels: labels.dataSync(),
    size: job.batch,
  }));
  const { parallelTrainStep } = await import('../dist/train/parallel/index.js');
  const { trainStep } = await import('../dist/train/index.js');
  const settings = {
    numClasses: 10,
    labelSmoothing: 0,
    gradientClipping: undefined,
    learningRate: 1e-3,
    momentum: undefined,
  };
  const step = async (i) => {
    const { xs, labels } = batches[i % batches.length];
    const value = pool
      ? (await parallelTrainStep(pool, optimizer, variables, arrays[i % arrays.length], settings))
          .loss
      : trainStep(model, optimizer, variables, xs, labels, settings).loss;
    if (!Number.isFinite(value)) throw new Error(`loss is ${value} at step ${i}`);
  };
  const warmupStart = performance.now();
  for (let i = 0; i < job.warmup; i++) await step(i);
  const warmupMs = performance.now() - warmupStart;
  const timesBefore = pool?.times();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < job.steps; i++) await step(i);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const phases = pool ? phasesPerStep(timesBefore, pool.times()) : undefined;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // Kernel calls of one step of this thread's replica, after the timing (profiling slows it).
  const profile = await tf.profile(() => step(job.warmup + job.steps));
  await pool?.close();
  process.stdout.write(
    `${JSON.stringify({
      backend: info.name,
      kernels: info.kernels,
      tfjsVersion: info.tfjsVersion,
      models,
      net: job.net,
      batch: job.batch,
      workers: job.workers,
      steps: job.steps,
      msPerStep: ms / job.steps,
      warmupMsPerStep: job.warmup > 0 ? warmupMs / job.warmup : undefined,
      imagesPerSec: (job.batch * job.steps * 1000) / ms,
      imagesPerCpuSec: (job.batch * job.steps * 1000) / cpuMs,
      kernelCalls: profile.kernels.length,
      kernelNames: countNames(profile.kernels),
      phases,
    })}\n`,
  );
}

/** The replica pool's time per step between two of its `times()`: main thread phases, workers' busy time. */
function phasesPerStep(before, after) {
  const steps = after.steps - before.steps;
  const per = (key) => (after[key] - before[key]) / steps;
  const workers = after.workerMs.map((ms, i) => (ms - before.workerMs[i]) / steps);
  return {
    prepareMs: per('prepareMs'),
    ownShareMs: per('ownShareMs'),
    waitMs: per('waitMs'),
    averageMs: per('averageMs'),
    workerMs: workers.reduce((a, b) => a + b, 0) / workers.length,
    // Steps the workers started from the doorbell rather than their message (src/train/parallel/).
    ...(after.workerRungSteps === undefined
      ? {}
      : {
          rungShare:
            after.workerRungSteps.reduce((sum, n, i) => sum + n - before.workerRungSteps[i], 0) /
            (steps * workers.length),
        }),
  };
}

/** Kernel calls by name, most frequent first: "Reshape 12, PadV2 3, ...". */
function countNames(kernels) {
  const counts = new Map();
  for (const k of kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

/** The runner's Adam update rule (needs `npm run build`). */
async function createAdam() {
  const { createOptimizer } = await import('../dist/train/optimizers/index.js');
  return createOptimizer({ type: 'adam', learningRate: 1e-3, options: {} });
}

/** The net as the runner builds it from its config; the bench's own copy if those stages are not built. */
async function buildNet(tf, net) {
  try {
    const { loadExperiment } = await import('../dist/config/index.js');
    const { buildModel } = await import('../dist/model/index.js');
    const { REGISTRIES } = await import('../dist/registries.js');
    const experiment = await loadExperiment(CONFIGS[net], { cwd: ROOT, registries: REGISTRIES });
    return {
      model: buildModel(experiment.model, { seed: experiment.seed }),
      models: 'configs/*.yaml via buildModel',
      spec: experiment.model,
      seed: experiment.seed,
    };
  } catch (error) {
    process.stderr.write(
      `[bench] runner's buildModel not usable (${error.message}); using the bench's own definition\n`,
    );
    return {
      model: net === 'lenet5' ? lenet5(tf) : mycnn(tf),
      models: "the bench's own tf.sequential definitions",
    };
  }
}

function lenet5(tf) {
  const L = tf.layers;
  return tf.sequential({
    layers: [
      L.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 120, activation: 'relu' }),
      L.dense({ units: 84, activation: 'relu' }),
      L.dense({ units: 10 }),
    ],
  });
}

function mycnn(tf) {
  const L = tf.layers;
  const block = (filters) => [
    L.conv2d({ filters, kernelSize: 3, padding: 'same' }),
    L.batchNormalization(),
    L.leakyReLU({ alpha: 0.2 }),
    L.maxPooling2d({ poolSize: 2 }),
  ];
  return tf.sequential({
    layers: [
      L.zeroPadding2d({ inputShape: [28, 28, 1], padding: 2 }),
      L.conv2d({ filters: 3, kernelSize: 3 }),
      L.batchNormalization(),
      L.leakyReLU({ alpha: 0.2 }),
      L.maxPooling2d({ poolSize: 2 }),
      ...block(16),
      ...block(32),
      L.flatten(),
      L.dense({ units: 10 }),
    ],
  });
}
