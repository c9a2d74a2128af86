/**
 * Data-parallel training (train.workers). The main thread runs this file's
 * code from src/; the worker threads run the built replica
 * (dist/train/parallel/replica-worker.js): `npm test` builds it first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../src/backend/index.js';
import { setSimdLoopsEnabled, simdLoopsFor } from '../../src/backend/kernels/simd/simd-loops.js';
import { loadExperiment } from '../../src/config/index.js';
import { buildModel } from '../../src/model/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { openStore } from '../../src/store/index.js';
import { runExperiment, type StepEvent } from '../../src/train/index.js';
import {
  defaultReplicaWorkerUrl,
  resolveWorkers,
  shareBounds,
  startReplicaPool,
  type ReplicaPool,
} from '../../src/train/parallel/index.js';
import { computeShareGradients } from '../../src/train/parallel/share-gradients.js';
import { makeTempDir } from '../test-kit.js';

const temp = makeTempDir('parallel');
const dir = temp.dir;
afterAll(() => temp.remove());

beforeAll(async () => {
  if (!existsSync(fileURLToPath(defaultReplicaWorkerUrl()))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does) first');
  }
  await selectBackend('wasm');
});

/** A small conv net without batch norm or dropout: one function of the weights, however the batch is split. */
const PLAIN = (workers: number, extra = ''): string => `name: plain
seed: 11
backend: wasm
data:
  dataset: synthetic
  batchSize: 32
  synthetic: {train: 256, test: 96, classes: 3, shape: [8, 8, 1], noise: 0.2}
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 4, kernelSize: 3, padding: same, activation: relu}
    - maxPool2d: {poolSize: 2}
    - flatten: {}
    - dense: {units: 3}
train:
  epochs: 1
  workers: ${workers}
  optimizer: {type: sgd, learningRate: 0.1}
${extra}`;

/** PLAIN with kernel penalties on both weighted layers. */
const PENALISED = (workers: number, extra = ''): string =>
  PLAIN(workers, extra)
    .replace('activation: relu}', 'activation: relu, kernelRegularizer: {l1: 0.001}}')
    .replace('dense: {units: 3}', 'dense: {units: 3, kernelRegularizer: {l2: 0.05}}');

const BATCH_NORM = (workers: number): string => `name: bn
seed: 4
backend: wasm
data:
  dataset: synthetic
  batchSize: 64
  synthetic: {train: 768, test: 300, classes: 4, shape: [8, 8, 1], noise: 0.35}
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 6, kernelSize: 3, padding: same}
    - batchNorm: {}
    - leakyRelu: {alpha: 0.2}
    - maxPool2d: {poolSize: 2}
    - flatten: {}
    - dense: {units: 4}
train:
  epochs: 3
  workers: ${workers}
  optimizer: {type: adam, learningRate: 0.01}
`;

let files = 0;
async function experimentOf(text: string) {
  const file = join(dir, `config-${++files}.yaml`);
  writeFileSync(file, text);
  return loadExperiment(file, { registries: REGISTRIES });
}

async function train(text: string, env?: NodeJS.ProcessEnv) {
  const experiment = await experimentOf(text);
  const store = await openStore(join(dir, `runs-${files}.db`));
  const steps: StepEvent[] = [];
  try {
    const result = await runExperiment({
      experiment,
      store,
      runsDir: dir,
      shouldStop: () => false,
      reporter: { onStep: (event) => steps.push(event) },
      ...(env ? { env } : {}),
    });
    const detail = (await store.getRun(result.runId))!;
    return { result, steps, detail };
  } finally {
    await store.close();
  }
}

describe('train.workers: auto', () => {
  it.each([
    [{ backend: 'wasm', batchSize: 128, cores: 2 }, 2],
    [{ backend: 'wasm', batchSize: 128, cores: 1 }, 1],
    [{ backend: 'wasm', batchSize: 512, cores: 16 }, 4],
    [{ backend: 'wasm', batchSize: 50, cores: 2 }, 1],
    [{ backend: 'cpu', batchSize: 64, cores: 2 }, 2],
    [{ backend: 'tfjs-node', batchSize: 128, cores: 8 }, 1],
  ] as const)('resolves %o to %i replicas, saying why', (context, count) => {
    const plan = resolveWorkers('auto', context);
    expect(plan.count).toBe(count);
    expect(plan.reason).toMatch(/^auto: /);
  });

  it('takes a number as given', () => {
    expect(resolveWorkers(3, { backend: 'wasm', batchSize: 8, cores: 1 })).toEqual({
      count: 3,
      reason: 'train.workers: 3',
    });
  });

  it('uses the cores RUNNER_CORES gives it (a sweep trial among others)', async () => {
    const auto = PLAIN(2)
      .replace('workers: 2', 'workers: auto')
      .replace('batchSize: 32', 'batchSize: 64');
    const limit = '  maxSteps: 2\n';
    const shared = await train(auto + limit, { RUNNER_CORES: '1' });
    expect(shared.detail.metrics['perf/workers']?.last.value).toBe(1);
    const both = await train(auto + limit, { RUNNER_CORES: '2' });
    expect(both.detail.metrics['perf/workers']?.last.value).toBe(2);
  });
});

describe('the replica pool', () => {
  let pool: ReplicaPool | undefined;
  afterAll(async () => pool?.close());

  /** The net of `config` (seed 11) and a new pool of `replicas` on wasm over it; the last pool is closed. */
  async function poolOver(
    config: string,
    replicas: number,
    objective: { numClasses: number; labelSmoothing: number },
    batchSize?: number,
    doorbellWatchMs?: number,
  ): Promise<{ model: tf.LayersModel; variables: tf.Variable[]; pool: ReplicaPool }> {
    const experiment = await experimentOf(config);
    const model = buildModel(experiment.model, { seed: 11 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    await pool?.close();
    pool = await startReplicaPool({
      replicas,
      model,
      variables,
      modelSpec: experiment.model,
      seed: 11,
      backend: 'wasm',
      objective,
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(doorbellWatchMs === undefined ? {} : { doorbellWatchMs }),
    });
    return { model, variables, pool };
  }

  it('averages the shares into the whole batch gradient, for uneven and tiny batches', async () => {
    // Label smoothing and kernel penalties too: every replica minimises the main thread's objective.
    const objective = { numClasses: 3, labelSmoothing: 0.1 };
    const { model, variables, pool } = await poolOver(PENALISED(3), 3, objective);
    // 7 examples: shares of 3, 2 and 2, so a plain mean of the three would be wrong;
    // 2 examples: the third replica has nothing to do.
    for (const size of [7, 2, 32]) {
      const xs = tf.randomUniform([size, 8, 8, 1], -1, 1, 'float32', size) as tf.Tensor4D;
      const labels = tf.tensor1d(
        Array.from({ length: size }, (_, i) => (i * 7) % 3),
        'int32',
      );
      const whole = computeShareGradients(model, variables, xs, labels, objective);
      const split = await pool.computeGradients(xs, labels);
      expect(split.loss).toBeCloseTo(whole.loss, 5);
      expect(split.correct).toBe(whole.correct);
      variables.forEach((v, i) => {
        const expected = whole.grads[i]!.dataSync();
        const actual = split.grads[v.name]!.dataSync();
        const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
        for (let j = 0; j < expected.length; j++) {
          expect(Math.abs(actual[j]! - expected[j]!) / scale).toBeLessThan(1e-5);
        }
      });
      tf.dispose([xs, labels, ...whole.grads, ...Object.values(split.grads)]);
    }
    model.dispose();
  });

  it('takes steps from the doorbell with the same gradients as from their messages', async () => {
    const objective = { numClasses: 3, labelSmoothing: 0.1 };
    const xs = tf.randomUniform([13, 8, 8, 1], -1, 1, 'float32', 6) as tf.Tensor4D;
    const labels = tf.tensor1d(
      Array.from({ length: 13 }, (_, i) => i % 3),
      'int32',
    );
    /** Four steps' gradients on the same weights, and the steps the worker took from the doorbell. */
    const fourSteps = async (watchMs: number) => {
      const { model, pool } = await poolOver(PENALISED(2), 2, objective, undefined, watchMs);
      const grads: number[][][] = [];
      for (let step = 0; step < 4; step++) {
        const result = await pool.computeGradients(xs, labels);
        grads.push(Object.values(result.grads).map((g) => Array.from(g.dataSync())));
        tf.dispose(result.grads);
      }
      const rung = pool.times().workerRungSteps[0]!;
      await pool.close();
      model.dispose();
      return { grads, rung };
    };
    // Never watched: every step by message. Watched for 2 s: every step after the first by the bell.
    const byMessage = await fourSteps(0);
    const byBell = await fourSteps(2000);
    expect(byMessage.rung).toBe(0);
    expect(byBell.rung).toBe(3);
    expect(byBell.grads).toEqual(byMessage.grads);
    for (const step of byBell.grads) expect(step).toEqual(byBell.grads[0]);
    tf.dispose([xs, labels]);
  });

  it('leaks no tensor in the workers or the main thread, step after step', async () => {
    const { model, pool } = await poolOver(PLAIN(2), 2, { numClasses: 3, labelSmoothing: 0 });
    const xs = tf.randomUniform([16, 8, 8, 1]) as tf.Tensor4D;
    const labels = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 3),
      'int32',
    );
    const counts: number[][] = [];
    let mainBefore = 0;
    for (let step = 0; step < 5; step++) {
      if (step === 1) mainBefore = tf.memory().numTensors;
      const { grads } = await pool.computeGradients(xs, labels);
      tf.dispose(grads);
      counts.push([...pool.workerTensors()]);
    }
    expect(tf.memory().numTensors).toBe(mainBefore);
    expect(counts[0]![0]).toBeGreaterThan(0);
    for (const c of counts) expect(c).toEqual(counts[0]);
    tf.dispose([xs, labels]);
    model.dispose();
  });

  it('averages two replicas into the same bits with the SIMD loop as with the JavaScript loop', async () => {
    // Two input channels: a convolution of one takes SIMD loops of its own (fused-conv2d.ts),
    // whose sums are not XNNPACK's, and what is compared here is the averaging.
    const twoChannels = PENALISED(2).replaceAll('[8, 8, 1]', '[8, 8, 2]');
    const { model, variables, pool } = await poolOver(twoChannels, 2, {
      numClasses: 3,
      labelSmoothing: 0.1,
    });
    // 13 examples: shares of 7 and 6, weights that do not round to a power of two.
    const xs = tf.randomUniform([13, 8, 8, 2], -1, 1, 'float32', 5) as tf.Tensor4D;
    const labels = tf.tensor1d(
      Array.from({ length: 13 }, (_, i) => (i * 2) % 3),
      'int32',
    );
    const bitsOf = async (simd: boolean): Promise<Uint32Array[]> => {
      setSimdLoopsEnabled(simd);
      try {
        // Without this, a SIMD module that failed to load would compare the JavaScript loop with itself.
        expect(simdLoopsFor(tf.backend() as BackendWasm) !== null).toBe(simd);
        const { grads } = await pool!.computeGradients(xs, labels);
        const bits = variables.map(
          (v) => new Uint32Array(grads[v.name]!.dataSync().slice().buffer),
        );
        tf.dispose(grads);
        return bits;
      } finally {
        setSimdLoopsEnabled(true);
      }
    };
    const simd = await bitsOf(true);
    expect(await bitsOf(false)).toEqual(simd);
    tf.dispose([xs, labels]);
    model.dispose();
  });

  it('takes a batch as arrays, runs whileWaiting once a step, and ends a step whose whileWaiting throws only after its workers', async () => {
    const objective = { numClasses: 3, labelSmoothing: 0 };
    // Uneven shares (9/8, 12/11, 7/6); the worker's buffers grow past the batch size given.
    const { model, variables, pool } = await poolOver(PLAIN(2), 2, objective, 18);
    const batchOf = (size: number, seed: number) => {
      const xs = tf.randomUniform([size, 8, 8, 1], -1, 1, 'float32', seed) as tf.Tensor4D;
      const labels = tf.tensor1d(
        Array.from({ length: size }, (_, i) => (i * 5 + seed) % 3),
        'int32',
      );
      const arrays = {
        xs: xs.dataSync() as Float32Array,
        labels: labels.dataSync() as Int32Array,
        size,
      };
      return { xs, labels, arrays };
    };
    const expectWhole = async (size: number, seed: number, whileWaiting?: () => void) => {
      const { xs, labels, arrays } = batchOf(size, seed);
      const whole = computeShareGradients(model, variables, xs, labels, objective);
      const split = await pool!.computeBatchGradients(arrays, whileWaiting);
      expect(split.loss).toBeCloseTo(whole.loss, 5);
      variables.forEach((v, i) => {
        const expected = whole.grads[i]!.dataSync();
        const actual = split.grads[v.name]!.dataSync();
        const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
        for (let j = 0; j < expected.length; j++) {
          expect(Math.abs(actual[j]! - expected[j]!) / scale).toBeLessThan(1e-5);
        }
      });
      tf.dispose([xs, labels, ...whole.grads, ...Object.values(split.grads)]);
    };
    let calls = 0;
    await expectWhole(17, 1, () => (calls += 1));
    await expectWhole(23, 2, () => (calls += 1));
    expect(calls).toBe(2);
    const { xs, labels, arrays } = batchOf(10, 3);
    const before = tf.memory().numTensors;
    await expect(
      pool.computeBatchGradients(arrays, () => {
        throw new Error('the next batch cannot be made');
      }),
    ).rejects.toThrow('the next batch cannot be made');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, labels]);
    // The worker's answer to that step was taken then, so it cannot pass for the next step's.
    await expectWhole(13, 4);
    // Where the time went, for the speed bench: every step counted, the worker's own time too.
    const times = pool.times();
    expect(times.steps).toBe(4);
    expect(times.ownShareMs).toBeGreaterThan(0);
    expect(times.workerMs).toHaveLength(1);
    expect(times.workerMs[0]).toBeGreaterThan(0);
    for (const ms of [times.prepareMs, times.waitMs, times.averageMs]) {
      expect(ms).toBeGreaterThanOrEqual(0);
    }
    model.dispose();
  });

  it('splits a batch into contiguous shares, the first ones larger', () => {
    expect(shareBounds(7, 3)).toEqual([
      [0, 3],
      [3, 5],
      [5, 7],
    ]);
    expect(shareBounds(1, 2)).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });
});

describe('train.workers in a run', () => {
  it('trains as one worker does, and the same way every time for a fixed count', async () => {
    const limit = '  maxSteps: 8\n';
    const one = await train(PLAIN(1, limit));
    const first = await train(PLAIN(2, limit));
    const again = await train(PLAIN(2, limit));
    const lossesOf = (steps: StepEvent[]) => steps.map((s) => s.loss);
    expect(lossesOf(first.steps)).toHaveLength(8);
    expect(lossesOf(again.steps)).toEqual(lossesOf(first.steps));
    first.steps.forEach((step, i) => {
      expect(Math.abs(step.loss - one.steps[i]!.loss)).toBeLessThan(1e-4);
      expect(step.accuracy).toBe(one.steps[i]!.accuracy);
    });
    expect(Math.abs(first.result.final!.loss - one.result.final!.loss)).toBeLessThan(1e-4);
    // It is recorded: the count as a metric, the split as a notice.
    expect(first.detail.metrics['perf/workers']?.last.value).toBe(2);
    expect(one.detail.metrics['perf/workers']?.last.value).toBe(1);
    expect(first.detail.notices.join('\n')).toMatch(/data-parallel: 2 replicas/);
    expect(one.detail.notices.join('\n')).not.toMatch(/data-parallel/);
  });

  it('applies label smoothing and kernel penalties as one worker does', async () => {
    const limit = '  maxSteps: 6\n  labelSmoothing: 0.2\n';
    const one = await train(PENALISED(1, limit));
    const two = await train(PENALISED(2, limit));
    const plain = await train(PLAIN(2, '  maxSteps: 6\n'));
    two.steps.forEach((step, i) => {
      expect(Math.abs(step.loss - one.steps[i]!.loss)).toBeLessThan(1e-4);
      // The smoothed, penalised objective is not the plain cross-entropy.
      expect(Math.abs(step.loss - plain.steps[i]!.loss)).toBeGreaterThan(1e-3);
    });
    expect(two.steps).toHaveLength(6);
    expect(two.detail.metrics['perf/workers']?.last.value).toBe(2);
  });

  it('trains a batch-norm net to its one-worker accuracy with per-replica statistics', async () => {
    const one = await train(BATCH_NORM(1));
    const two = await train(BATCH_NORM(2));
    expect(one.result.final!.accuracy).toBeGreaterThan(0.85);
    expect(two.result.final!.accuracy).toBeGreaterThan(one.result.final!.accuracy! - 0.03);
    expect(two.detail.notices.join('\n')).toMatch(/batch norm: per-replica statistics/);
  });

  it('ends the run failed with the message of a worker that throws, leaving no thread behind', async () => {
    const file = join(dir, 'failing.yaml');
    writeFileSync(file, PLAIN(2));
    const db = join(dir, 'failing.db');
    const script = fileURLToPath(new URL('./fixtures/run-failing.mjs', import.meta.url));
    // A worker thread still running would keep the child alive past the timeout.
    const child = spawnSync(process.execPath, [script, file, db, dir], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    const outcome = JSON.parse(child.stdout.trim()) as { outcome: string; message: string };
    expect(outcome.outcome).toBe('rejected');
    expect(outcome.message).toMatch(/worker 1 failed: replica failed on purpose at its third step/);
    const store = await openStore(db);
    const run = (await store.listRuns())[0]!;
    const detail = (await store.getRun(run.id))!;
    await store.close();
    expect(detail.status).toBe('failed');
    expect(detail.error).toMatch(/replica failed on purpose/);
    // The two steps before the failure stay recorded.
    expect(detail.metrics['train/loss']?.count).toBe(2);
  });
});
