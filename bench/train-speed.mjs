#!/usr/bin/env node
/**
 * Training speed, side by side in one run: LeNet-5 (configs/lenet.yaml) and
 * the tutorial net (configs/mycnn.yaml) at batch 64 and 128, on every tfjs
 * backend that loads, and in PyTorch (1 and 2 threads) when Debian's
 * python3-torch is installed. Prints images/s and the ratios between them.
 *
 *   npm run bench:train
 *   npm run build && node bench/train-speed.mjs --steps 30 --warmup 5 --batches 64,128
 *
 * Options: --steps N (timed steps, default 30), --warmup N (default 5),
 * --batches 64,128, --nets lenet5,mycnn, --backends tfjs-node,wasm,cpu,
 * --cpu-steps N (the cpu backend trains at ~12 images/s: default 2 timed
 * steps after 1 warm-up), --no-pytorch, --json.
 *
 * One step = forward, softmax cross-entropy, backward, Adam update, and
 * reading the loss, as the training loop does (without its recording).
 * Data: MNIST-shaped random images and labels (speed does not depend on the
 * values). Every measurement runs in its own child process, one at a time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const CONFIGS = { lenet5: 'configs/lenet.yaml', mycnn: 'configs/mycnn.yaml' };
const NET_TITLES = { lenet5: 'LeNet-5', mycnn: 'tutorial net' };

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
  const steps = Number(options.steps ?? 30);
  const warmup = Number(options.warmup ?? 5);
  const cpuSteps = Number(options['cpu-steps'] ?? 2);
  const batches = String(options.batches ?? '64,128')
    .split(',')
    .map(Number);
  const nets = String(options.nets ?? 'lenet5,mycnn').split(',');
  const backends = String(options.backends ?? 'tfjs-node,wasm,cpu').split(',');
  const log = (line) => process.stderr.write(`${line}\n`);

  const torch = options['no-pytorch']
    ? { available: false, why: 'skipped (--no-pytorch)' }
    : probeTorch();
  log(
    `[bench] node ${process.version}, ${steps} timed steps after ${warmup} warm-up (cpu: ${cpuSteps} after 1)`,
  );
  log(`[bench] PyTorch: ${torch.available ? `torch ${torch.version}` : torch.why}`);
  log(`[bench] load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);

  const rows = [];
  const unavailable = new Map();
  for (const net of nets) {
    for (const batch of batches) {
      for (const backend of backends) {
        if (unavailable.has(backend)) continue;
        const isCpu = backend === 'cpu';
        const job = {
          backend,
          net,
          batch,
          steps: isCpu ? cpuSteps : steps,
          warmup: isCpu ? 1 : warmup,
        };
        log(`[bench] ${net} batch ${batch} on ${backend} ...`);
        const result = runChildProcess(job);
        if (result.error !== undefined) {
          unavailable.set(backend, result.error);
          log(`[bench]   ${backend} not available: ${result.error}`);
          continue;
        }
        rows.push({ ...result, framework: 'tfjs' });
      }
      if (torch.available) {
        for (const threads of [1, 2]) {
          log(`[bench] ${net} batch ${batch} in PyTorch, ${threads} thread(s) ...`);
          const out = execFileSync(
            PYTHON,
            [
              `${HERE}pytorch_steps.py`,
              '--net',
              net,
              '--batch',
              String(batch),
              '--threads',
              String(threads),
              '--steps',
              String(steps),
              '--warmup',
              String(warmup),
            ],
            { encoding: 'utf8' },
          );
          const r = JSON.parse(out.trim().split('\n').pop());
          rows.push({
            framework: 'pytorch',
            backend: `pytorch-${threads}t`,
            net,
            batch,
            imagesPerSec: r.images_per_sec,
            imagesPerCpuSec: r.images_per_cpu_sec,
            msPerStep: (1000 * r.seconds) / r.steps,
            steps: r.steps,
          });
        }
      }
    }
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ rows, unavailable: Object.fromEntries(unavailable), torch })}\n`,
    );
    return;
  }
  printTable(rows, nets, batches, unavailable, torch);
}

function probeTorch() {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return { available: true, version: probe.stdout.trim() };
  return {
    available: false,
    why: `not installed, PyTorch columns left out (to compare: apt-get install -y python3-torch, then rerun)`,
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

function printTable(rows, nets, batches, unavailable, torch) {
  const fmt = (n, digits = 0) =>
    n === undefined
      ? '—'
      : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}x`);
  const header = [
    'net',
    'batch',
    'backend',
    'images/s',
    'ms/step',
    'vs cpu',
    'vs PyTorch 1t',
    'vs PyTorch 2t',
    'images/CPU-s',
    'vs PyTorch 1t',
  ];
  const table = [header];
  for (const net of nets) {
    for (const batch of batches) {
      const find = (backend) =>
        rows.find((r) => r.net === net && r.batch === batch && r.backend === backend);
      const cpu = find('cpu')?.imagesPerSec;
      const t1 = find('pytorch-1t');
      const t2 = find('pytorch-2t');
      for (const r of rows.filter((x) => x.net === net && x.batch === batch)) {
        const ours = r.framework === 'tfjs';
        table.push([
          NET_TITLES[net] ?? net,
          String(batch),
          r.backend,
          fmt(r.imagesPerSec),
          fmt(r.msPerStep, 1),
          ours && r.backend !== 'cpu' ? ratio(r.imagesPerSec, cpu) : '',
          ours ? ratio(r.imagesPerSec, t1?.imagesPerSec) : '',
          ours ? ratio(r.imagesPerSec, t2?.imagesPerSec) : '',
          fmt(r.imagesPerCpuSec),
          ours ? ratio(r.imagesPerCpuSec, t1?.imagesPerCpuSec) : '',
        ]);
      }
    }
  }
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row) =>
    row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const first = rows.find((r) => r.framework === 'tfjs');
  const out = (text) => process.stdout.write(`${text}\n`);
  out(
    `Training speed (${first ? `tfjs ${first.tfjsVersion}, models from ${first.models}` : 'no tfjs backend loaded'}; ` +
      `steady state, one process per measurement; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
  );
  out(line(table[0]));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table.slice(1)) out(line(row));
  out(
    '  images/s: wall clock. images/CPU-s: per second of CPU time the process used (all its threads),',
  );
  out(
    "  which a busy machine disturbs far less; it counts V8's own background threads too, so on a",
  );
  out('  quiet machine it reads below wall-clock throughput: there, compare images/s.');
  for (const r of rows.filter((x) => x.framework === 'tfjs' && x.kernels)) {
    if (r.net === nets[0] && r.batch === batches[0]) out(`  ${r.backend}: ${r.kernels}`);
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
  const { model, models } = await buildNet(tf, job.net);
  const optimizer = tf.train.adam(1e-3);
  const batches = Array.from({ length: 4 }, () =>
    tf.tidy(() => ({
      xs: tf.randomUniform([job.batch, 28, 28, 1]),
      ys: tf.oneHot(tf.randomUniform([job.batch], 0, 10, 'int32'), 10),
    })),
  );
  const step = (i) => {
    const { xs, ys } = batches[i % batches.length];
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true })),
      true,
    );
    const value = loss.dataSync()[0];
    loss.dispose();
    if (!Number.isFinite(value)) throw new Error(`loss is ${value} at step ${i}`);
  };
  for (let i = 0; i < job.warmup; i++) step(i);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < job.steps; i++) step(i);
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      backend: info.name,
      kernels: info.kernels,
      tfjsVersion: info.tfjsVersion,
      models,
      net: job.net,
      batch: job.batch,
      steps: job.steps,
      msPerStep: ms / job.steps,
      imagesPerSec: (job.batch * job.steps * 1000) / ms,
      imagesPerCpuSec: (job.batch * job.steps * 1000) / cpuMs,
    })}\n`,
  );
}

/** The net as the runner builds it from its config; the bench's own copy if those stages are not built. */
async function buildNet(tf, net) {
  try {
    const { loadExperiment } = await import('../dist/config/index.js');
    const { buildModel } = await import('../dist/model/index.js');
    const experiment = await loadExperiment(CONFIGS[net], { cwd: ROOT });
    return {
      model: buildModel(experiment.model, { seed: experiment.seed }),
      models: 'configs/*.yaml via buildModel',
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
