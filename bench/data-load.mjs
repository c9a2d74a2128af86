#!/usr/bin/env node
// Data stage benchmark: load full Fashion-MNIST from the Debian path (time and
// memory of the decoded set against its raw IDX size), then produce every batch
// of one epoch at batch 128 (without training).
//
//   npm run bench:data
//   (builds, then runs `node --expose-gc bench/data-load.mjs`; needs `apt-get install dataset-fashion-mnist`)
//
// Figures to reach (issue 3): load < 1.5 s; decoded memory <= 2x raw (~55 MB).
// Batches must be >= 20x faster than one training epoch; the trainer's bench
// measures training, this one prints the loader's own rate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tf from '../dist/tf.js';
import { createBatchArrays, createBatches, loadData } from '../dist/data/index.js';

const RUNS = 3;
const BATCH = 128;
const RAW_BYTES = 47_040_016 + 60_008 + 7_840_016 + 10_008; // the four decompressed IDX files

const gc = globalThis.gc;
if (typeof gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench:data does)');
  process.exit(1);
}
// V8 frees ArrayBuffer memory on a background thread: collect, wait a moment, collect again.
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

// An empty home: no cache, so the loader finds Fashion-MNIST where Debian puts it.
const home = mkdtempSync(join(tmpdir(), 'runner-bench-data-'));
const env = { HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
const spec = {
  dataset: 'fashion-mnist',
  batchSize: BATCH,
  root: undefined,
  source: 'official',
  limit: { train: undefined, test: undefined },
  validationSplit: 0,
  shuffle: true,
  normalize: undefined,
  options: {},
  loc: undefined,
};

try {
  // 1. Load: checksum verification, gunzip, IDX parse, label checks.
  const loadTimes = [];
  let data;
  let heldBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    data = undefined;
    await settle();
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    data = await loadData(spec, { seed: 1, env });
    loadTimes.push(performance.now() - started);
    await settle();
    heldBytes = process.memoryUsage().arrayBuffers - before;
  }
  if (data.source.kind !== 'debian')
    throw new Error(`expected the Debian copy, got ${data.source.kind}`);
  const buffers = new Set(
    [data.train.images, data.train.labels, data.eval.images, data.eval.labels].map((a) => a.buffer),
  );
  const backing = [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
  console.log(
    `fashion-mnist from ${data.source.location}: ${data.train.count} train + ${data.eval.count} test`,
  );
  console.log(
    `load: median ${median(loadTimes).toFixed(0)} ms of ${RUNS} (${loadTimes.map((t) => t.toFixed(0)).join(', ')} ms); target < 1500 ms`,
  );
  console.log(
    `memory: raw IDX ${mb(RAW_BYTES)}; decoded set holds ${mb(backing)} of buffers (${(backing / RAW_BYTES).toFixed(2)}x raw); ` +
      `process arrayBuffers grew ${mb(heldBytes)} (${(heldBytes / RAW_BYTES).toFixed(2)}x raw); target <= 2x`,
  );

  // 2. One epoch of batches, shuffled, batch 128: plain arrays (the loader's own work), then tensors.
  const epochArrays = [];
  const epochTensors = [];
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  for (let run = 0; run < RUNS; run++) {
    const options = {
      batchSize: BATCH,
      shuffle: true,
      seed: 1,
      epoch: run,
      normalize: { mean: 0.286, std: 0.353 },
    };
    let started = performance.now();
    let batches = 0;
    let images = 0;
    for (const batch of createBatchArrays(data.train, options)) {
      batches++;
      images += batch.size;
    }
    epochArrays.push({ ms: performance.now() - started, batches, images });
    started = performance.now();
    batches = 0;
    images = 0;
    for (const batch of createBatches(data.train, options)) {
      batches++;
      images += batch.size;
      batch.xs.dispose();
      batch.labels.dispose();
    }
    epochTensors.push({ ms: performance.now() - started, batches, images });
  }
  for (const [name, runs] of [
    ['arrays (createBatchArrays)', epochArrays],
    ['tensors (createBatches, cpu backend)', epochTensors],
  ]) {
    const ms = median(runs.map((r) => r.ms));
    const { batches, images } = runs[0];
    console.log(
      `epoch of batches, ${name}: ${batches} batches of ${BATCH} (last ${images - (batches - 1) * BATCH}), ` +
        `median ${ms.toFixed(0)} ms: ${Math.round((batches / ms) * 1000).toLocaleString('en-US')} batches/s, ` +
        `${Math.round((images / ms) * 1000).toLocaleString('en-US')} images/s`,
    );
  }
  console.log(`tensors left: ${tf.memory().numTensors}`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
