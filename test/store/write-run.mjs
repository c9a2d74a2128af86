// A training process in miniature, for the concurrency test: one run, `steps` steps of
// two metrics, flushed every few milliseconds, through the built store (dist/).
import { openStore } from '../../dist/store/index.js';

const [path, stepsText, name] = process.argv.slice(2);
const steps = Number(stepsText);
const store = await openStore(path);
const runId = await store.createRun({
  name,
  configYaml: `name: ${name}\n`,
  config: { name },
  configHash: name,
  params: [['name', name]],
  seed: 1,
  backend: 'cpu',
  dataset: 'synthetic',
  versions: { runner: '0', tfjs: '0', node: process.version },
  host: 'test',
  pid: process.pid,
});
const writer = await store.createMetricWriter(runId, { flushIntervalMs: 2 });
for (let step = 1; step <= steps; step++) {
  writer.add('train/loss', step, 0, 1 / step);
  writer.add('train/accuracy', step, 0, step / steps);
  // A step takes time, as in training: the writer flushes by the clock, and a loop with no
  // pause can finish all its steps inside one flush interval on a fast Node.
  if (step % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
}
await writer.close();
await store.finishRun(runId, { status: 'completed' });
await store.close();
process.stdout.write(`${JSON.stringify({ runId, ...writer.stats })}\n`);
