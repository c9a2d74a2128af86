import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../src/tf.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { openStore } from '../../src/store/index.js';
import { runExperiment, type StepEvent } from '../../src/train/index.js';
import { makeTempDir } from '../test-kit.js';

const temp = makeTempDir('train');
const dir = temp.dir;
afterAll(() => temp.remove());

const CONFIG = `name: lib
seed: 5
data:
  dataset: synthetic
  batchSize: 50
  synthetic: {train: 230, test: 70, classes: 3, shape: [8, 8, 1], noise: 0.1}
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 4, kernelSize: 3, padding: 1}
    - batchNorm: {}
    - leakyRelu: {alpha: 0.2}
    - maxPool2d: {poolSize: 2}
    - flatten: {}
    - dropout: {rate: 0.3}
    - dense: {units: 3}
train:
  epochs: 2
  optimizer: {type: adam, learningRate: 0.01}
`;

describe('runExperiment', () => {
  it('trains, records and frees every tensor it made', async () => {
    const file = join(dir, 'lib.yaml');
    writeFileSync(file, CONFIG);
    const experiment = await loadExperiment(file, { registries: REGISTRIES });
    const store = await openStore(join(dir, 'runner.db'));
    const steps: StepEvent[] = [];
    const run = () =>
      runExperiment({
        experiment,
        store,
        runsDir: dir,
        shouldStop: () => false,
        reporter: { onStep: (event) => steps.push(event) },
      });
    await run(); // the first run loads the backend and registers kernels
    const before = tf.memory().numTensors;
    const result = await run();
    expect(tf.memory().numTensors).toBe(before);
    // 230 examples at batch 50: four full batches and one of 30, kept.
    expect(steps.slice(-5).map((s) => s.size)).toEqual([50, 50, 50, 50, 30]);
    expect(result).toMatchObject({ status: 'completed', steps: 10, epochs: 2, evalName: 'test' });
    expect(result.final?.count).toBe(70);
    const detail = (await store.getRun(result.runId))!;
    expect(detail.status).toBe('completed');
    // Which loops computed the kernels is recorded with the run (auto picks wasm here).
    if (detail.backend === 'wasm') expect(detail.backendReason).toMatch(/, SIMD loops$/);
    expect(detail.backendReason).toContain('; ');
    expect(detail.metrics['train/loss']?.count).toBe(10);
    expect(detail.metrics['test/accuracy']?.count).toBe(2);
    await store.close();
  });

  it('marks a run that throws as failed with the message, keeping the steps recorded so far', async () => {
    const file = join(dir, 'lib.yaml');
    writeFileSync(file, CONFIG);
    const experiment = await loadExperiment(file, { registries: REGISTRIES });
    const store = await openStore(join(dir, 'failing.db'));
    const failure = runExperiment({
      experiment,
      store,
      runsDir: dir,
      shouldStop: () => false,
      reporter: {
        onStep: (event) => {
          if (event.step === 3) throw new Error('disk full while drawing progress');
        },
      },
    });
    await expect(failure).rejects.toThrow('disk full');
    const [run] = await store.listRuns();
    const detail = (await store.getRun(run!.id))!;
    expect(detail.status).toBe('failed');
    expect(detail.error).toBe('disk full while drawing progress');
    expect(detail.endedAt).not.toBeNull();
    // Steps 1 to 3 were written before the reporter threw; none is lost.
    expect((await store.getCurve(run!.id, 'train/loss')).map((p) => p.step)).toEqual([1, 2, 3]);
    await store.close();
  });
});
