#!/usr/bin/env node
// Own-data benchmark (issue 15): an image folder made from a real dataset and
// a CSV table, loaded as `data: {dataset: images}` and `{dataset: csv}` load them.
//
//   npm run bench:own-data   (= npm run build && node --expose-gc bench/own-data.mjs)
//   node --expose-gc bench/own-data.mjs --images 20000 --rows 100000 --rounds 3   (the defaults)
//
// 1. Writes the first N Fashion-MNIST training images (Debian's
//    /usr/share/datasets/fashion-mnist, else MNIST from RUNNER_MNIST_DIR or
//    ../shared/data/mnist) as PNG files, one folder per class, then loads the
//    folder: first load (decode with sharp, write the cache) and cached load
//    (a fresh cache folder per round). Memory held by the loaded split against
//    its raw pixel size (target: at most 2x).
// 2. Batching cost: every batch of one epoch at batch 64 (createBatches, as the
//    trainer's loop makes them) against one LeNet-5 training step (configs/lenet.yaml,
//    wasm, the runner's Adam); target: batching under 5% of a step.
// 3. A CSV of R rows (8 numeric columns, 2 categorical, a numeric target):
//    parse + standardise + one-hot time and the memory of the encoded table.
// Prints the load average with the figures (the machine must be quiet).
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { targetVerdict } from './verdict.mjs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const IMAGES = flag('images', 20_000);
const ROWS = flag('rows', 100_000);
const ROUNDS = flag('rounds', 3);
const BATCH = 64;

const gc = globalThis.gc;
if (typeof gc !== 'function') {
  console.error('run with node --expose-gc bench/own-data.mjs');
  process.exit(1);
}
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${((100 * (Math.max(...xs) - Math.min(...xs))) / median(xs)).toFixed(0)}%`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const { loadImageFolder } = await import('../dist/data/image-folder/load-image-folder.js');
const { loadCsvTable } = await import('../dist/data/csv/load-csv-table.js');
const { createBatches } = await import('../dist/data/index.js');

function sourceImages() {
  const dirs = [
    ['Fashion-MNIST (Debian)', '/usr/share/datasets/fashion-mnist'],
    ['MNIST', process.env.RUNNER_MNIST_DIR ?? resolve(ROOT, '../shared/data/mnist')],
  ];
  for (const [name, dir] of dirs) {
    const images = join(dir, 'train-images-idx3-ubyte.gz');
    if (!existsSync(images)) continue;
    const pixels = gunzipSync(readFileSync(images)).subarray(16);
    const labels = gunzipSync(readFileSync(join(dir, 'train-labels-idx1-ubyte.gz'))).subarray(8);
    return { name, dir, pixels, labels, count: labels.length };
  }
  throw new Error('no Fashion-MNIST or MNIST: apt-get install dataset-fashion-mnist');
}

const work = mkdtempSync(join(tmpdir(), 'runner-bench-own-data-'));
console.log(
  `own-data bench: ${IMAGES.toLocaleString('en-US')} images, ${ROWS.toLocaleString('en-US')} CSV rows, ${ROUNDS} rounds; node ${process.version}, ${cpus().length} cores; load average ${load()}`,
);
try {
  // ---------------------------------------------------------------- 1. image folder
  const source = sourceImages();
  const n = Math.min(IMAGES, source.count);
  const folder = join(work, 'images');
  const writeStart = performance.now();
  for (let c = 0; c < 10; c++) mkdirSync(join(folder, `class-${c}`), { recursive: true });
  const queue = Array.from({ length: n }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const raw = source.pixels.subarray(i * 784, (i + 1) * 784);
        await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toFile(join(folder, `class-${source.labels[i]}`, `${String(i).padStart(5, '0')}.png`));
      }
    }),
  );
  console.log(
    `wrote ${n.toLocaleString('en-US')} PNGs of ${source.name} (${source.dir}) in ${s(performance.now() - writeStart)}`,
  );
  const options = (cacheDir) => ({
    key: 'train',
    size: undefined,
    channels: 1,
    skipBadFiles: false,
    classes: undefined,
    cacheDir,
  });
  const first = [];
  const cached = [];
  let held = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const cacheDir = join(work, `cache-${round}`);
    await settle();
    let t = performance.now();
    let split = await loadImageFolder(folder, options(cacheDir));
    first.push(performance.now() - t);
    if (split.fromCache) throw new Error('first load came from a cache');
    split = undefined;
    await settle();
    const before = process.memoryUsage();
    t = performance.now();
    split = await loadImageFolder(folder, options(cacheDir));
    cached.push(performance.now() - t);
    if (!split.fromCache) throw new Error('second load did not come from the cache');
    await settle();
    const after = process.memoryUsage();
    held = Math.max(
      held,
      after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed,
    );
    globalThis.lastSplit = split;
  }
  const raw = n * 784;
  console.log(
    `image folder load, first (decode + cache write): median ${s(median(first))} (spread ${spread(first)}), ${Math.round(n / (median(first) / 1000)).toLocaleString('en-US')} images/s`,
  );
  console.log(`image folder load, cached: median ${s(median(cached))} (spread ${spread(cached)})`);
  console.log(
    `memory held by the loaded split: ${mb(held)} for ${mb(raw)} of raw pixels = ${(held / raw).toFixed(2)}x (target <= 2x): ${held / raw <= 2 ? 'met' : 'NOT met'}`,
  );

  // ---------------------------------------------------------------- 2. batching vs a step
  const tf = await import('../dist/tf.js');
  const { selectBackend } = await import('../dist/backend/index.js');
  const backend = await selectBackend('wasm');
  const split = globalThis.lastSplit.split;
  const batchTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    let batches = 0;
    const t = performance.now();
    for (const batch of createBatches(split, {
      batchSize: BATCH,
      shuffle: true,
      seed: 1,
      epoch: round,
      normalize: undefined,
    })) {
      batch.xs.dispose();
      batch.labels.dispose();
      batches++;
    }
    batchTimes.push((performance.now() - t) / batches);
  }
  const { loadExperiment } = await import('../dist/config/index.js');
  const { buildModel } = await import('../dist/model/index.js');
  const { REGISTRIES } = await import('../dist/registries.js');
  const { trainStep } = await import('../dist/train/index.js');
  const { createOptimizer } = await import('../dist/train/optimizers/index.js');
  const experiment = await loadExperiment('configs/lenet.yaml', {
    cwd: ROOT,
    registries: REGISTRIES,
  });
  const model = buildModel(experiment.model, { seed: 1 });
  const optimizer = createOptimizer({ type: 'adam', learningRate: 1e-3, options: {} });
  const variables = model.trainableWeights.map((w) => w.read());
  const settings = {
    numClasses: 10,
    labelSmoothing: 0,
    gradientClipping: undefined,
    learningRate: 1e-3,
  };
  const batches = [
    ...createBatches(split, {
      batchSize: BATCH,
      shuffle: true,
      seed: 2,
      epoch: 0,
      normalize: undefined,
    }),
  ].slice(0, 8);
  const stepTimes = [];
  for (let i = 0; i < 3; i++)
    trainStep(model, optimizer, variables, batches[i].xs, batches[i].labels, settings);
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    for (let i = 0; i < batches.length; i++) {
      trainStep(model, optimizer, variables, batches[i].xs, batches[i].labels, settings);
    }
    stepTimes.push((performance.now() - t) / batches.length);
  }
  const share = median(batchTimes) / median(stepTimes);
  console.log(
    `batching: ${median(batchTimes).toFixed(3)} ms per batch of ${BATCH} (spread ${spread(batchTimes)}); LeNet-5 step on ${backend.name}: ${median(stepTimes).toFixed(1)} ms (spread ${spread(stepTimes)}); batching = ${(100 * share).toFixed(2)}% of a step (target < 5%): ${targetVerdict(Math.min(...batchTimes) / Math.max(...stepTimes), Math.max(...batchTimes) / Math.min(...stepTimes), 0.05)} (two-sided, over the spread of both)`,
  );
  for (const b of batches) {
    b.xs.dispose();
    b.labels.dispose();
  }
  model.dispose();
  void tf;

  // ---------------------------------------------------------------- 3. CSV table
  const csvFile = join(work, 'table.csv');
  await new Promise((done, fail) => {
    const out = createWriteStream(csvFile);
    out.on('error', fail);
    out.write('a,b,c,d,e,f,g,h,city,kind,y\n');
    let state = 5;
    const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const cities = ['oslo', 'lima', 'pune', 'kyiv', 'rome', 'bern'];
    let chunk = '';
    for (let r = 0; r < ROWS; r++) {
      const xs = Array.from({ length: 8 }, () => (random() * 100).toFixed(3));
      const y = xs.reduce((sum, x, i) => sum + Number(x) * (i - 3.5), 0).toFixed(2);
      chunk += `${xs.join(',')},${cities[r % 6]},${r % 3 === 0 ? 'new' : 'old'},${y}\n`;
      if (chunk.length > 1 << 16) {
        out.write(chunk);
        chunk = '';
      }
    }
    out.end(chunk, done);
  });
  const csvTimes = [];
  let csvHeld = 0;
  let table;
  for (let round = 0; round < ROUNDS; round++) {
    table = undefined;
    await settle();
    const before = process.memoryUsage();
    const t = performance.now();
    table = await loadCsvTable(csvFile, {
      key: 'train',
      target: 'y',
      features: undefined,
      task: 'regression',
      missing: 'error',
      standardize: true,
      preprocessing: undefined,
      requireTarget: true,
    });
    csvTimes.push(performance.now() - t);
    await settle();
    const after = process.memoryUsage();
    csvHeld = Math.max(
      csvHeld,
      after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed,
    );
  }
  const encoded = table.features.byteLength + table.targets.byteLength;
  console.log(
    `CSV ${ROWS.toLocaleString('en-US')} rows x 11 columns (${table.width} encoded features): parse + encode median ${s(median(csvTimes))} (spread ${spread(csvTimes)}), ${Math.round(ROWS / (median(csvTimes) / 1000)).toLocaleString('en-US')} rows/s; memory held ${mb(csvHeld)} (float32 features + targets ${mb(encoded)})`,
  );
  console.log(`load average at the end ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
