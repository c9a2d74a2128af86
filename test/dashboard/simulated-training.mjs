// A stand-in for `runner exp` in the dashboard's browser test: a separate
// process that records a run through the store API (from the build in dist/),
// a batch at a time, as training would. Prints {"runId": N} once the run exists.
//
// usage: node simulated-training.mjs DB_PATH STEPS_PER_EPOCH EPOCHS DELAY_MS
import { hostname } from 'node:os';
import { flattenConfig, openStore } from '../../dist/store/index.js';

const [dbPath, stepsPerEpochText = '40', epochsText = '3', delayText = '50'] =
  process.argv.slice(2);
const stepsPerEpoch = Number(stepsPerEpochText);
const epochs = Number(epochsText);
const delayMs = Number(delayText);

const config = {
  name: 'live-synthetic',
  seed: 7,
  data: { dataset: 'synthetic', batchSize: 64 },
  model: { input: [28, 28, 1], layers: [{ flatten: {} }, { dense: { units: 10 } }] },
  train: { epochs, optimizer: { type: 'adam', learningRate: 0.001 } },
};
const store = openStore(dbPath);
const runId = store.createRun({
  name: config.name,
  configYaml: `name: live-synthetic\nseed: 7\ndata:\n  dataset: synthetic\n  batchSize: 64\ntrain:\n  epochs: ${epochs}\n  optimizer:\n    type: adam\n    learningRate: 0.001\n`,
  config,
  configHash: 'simulated',
  params: flattenConfig(config),
  seed: config.seed,
  backend: 'cpu',
  dataset: 'synthetic',
  datasetSource: 'generated (simulated training process)',
  versions: { runner: '0.1.0', tfjs: '4.22.0', node: process.versions.node },
  host: hostname(),
  pid: process.pid,
});
process.stdout.write(`${JSON.stringify({ runId })}\n`);

const writer = store.createMetricWriter(runId, { flushIntervalMs: 200 });
let stopped = false;
process.on('SIGTERM', () => (stopped = true));
let step = 0;
let seed = 42;
const noise = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};
for (let epoch = 1; epoch <= epochs && !stopped; epoch++) {
  for (let batch = 0; batch < stepsPerEpoch && !stopped; batch++) {
    step += 1;
    const progress = step / (stepsPerEpoch * epochs);
    const loss = 2.3 * Math.exp(-4 * progress) + 0.08 + 0.15 * noise() * (1 - progress);
    writer.add('train/loss', step, epoch, loss);
    writer.add(
      'train/accuracy',
      step,
      epoch,
      Math.min(1, 0.12 + 0.85 * (1 - Math.exp(-4 * progress)) + 0.05 * noise()),
    );
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  const progress = step / (stepsPerEpoch * epochs);
  writer.add('test/loss', step, epoch, 2.3 * Math.exp(-4 * progress) + 0.12);
  writer.add('test/accuracy', step, epoch, 0.1 + 0.84 * (1 - Math.exp(-4 * progress)));
  writer.flush();
}
writer.close();
store.finishRun(runId, { status: stopped ? 'interrupted' : 'completed' });
store.close();
