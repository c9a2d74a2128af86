import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flattenConfig, openStore, type NewRun, type Store } from '../../src/store/index.js';

/** A temporary folder, removed by the returned cleanup. */
export function makeTempDir(prefix = 'runner-dashboard-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FakeRunOptions {
  readonly name: string;
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly sweepId?: number;
  readonly trialIndex?: number;
  readonly seed?: number;
}

/** What `runner exp` records at the start of a run, built from a small config. */
export function newRun(options: FakeRunOptions): NewRun {
  const config = {
    name: options.name,
    seed: options.seed ?? 1,
    data: { dataset: 'synthetic', batchSize: options.batchSize ?? 32 },
    model: { input: [8, 8, 1], layers: [{ flatten: {} }, { dense: { units: 10 } }] },
    train: { epochs: 3, optimizer: { type: 'adam', learningRate: options.learningRate ?? 0.001 } },
  };
  const configYaml = [
    `name: ${options.name}`,
    `seed: ${config.seed}`,
    'data:',
    '  dataset: synthetic',
    `  batchSize: ${config.data.batchSize}`,
    'train:',
    '  epochs: 3',
    '  optimizer:',
    '    type: adam',
    `    learningRate: ${config.train.optimizer.learningRate}`,
    '',
  ].join('\n');
  return {
    name: options.name,
    configYaml,
    config,
    configHash: `hash-${options.name}-${config.train.optimizer.learningRate}-${config.data.batchSize}`,
    params: flattenConfig(config),
    seed: config.seed,
    backend: 'cpu',
    dataset: 'synthetic',
    datasetSource: 'generated in memory',
    versions: { runner: '0.1.0', tfjs: '4.22.0', node: process.versions.node },
    host: 'test-host',
    ...(options.sweepId !== undefined ? { sweepId: options.sweepId } : {}),
    ...(options.trialIndex !== undefined ? { trialIndex: options.trialIndex } : {}),
  };
}

/**
 * Records a finished run: `steps` training steps of a decaying loss in
 * `epochs` epochs, and test metrics at each epoch end.
 */
export async function recordRun(
  store: Store,
  options: FakeRunOptions & {
    readonly steps: number;
    readonly epochs?: number;
    readonly finalAccuracy?: number;
  },
): Promise<number> {
  const runId = await store.createRun(newRun(options));
  const writer = await store.createMetricWriter(runId, {
    flushIntervalMs: 60_000,
    maxPending: 1_000_000,
  });
  const epochs = options.epochs ?? 3;
  const perEpoch = Math.ceil(options.steps / epochs);
  const finalAccuracy = options.finalAccuracy ?? 0.9;
  const t0 = Date.now();
  for (let step = 1; step <= options.steps; step++) {
    const epoch = Math.ceil(step / perEpoch);
    const progress = step / options.steps;
    writer.add(
      'train/loss',
      step,
      epoch,
      2.3 * Math.exp(-3 * progress) + 0.05 * Math.sin(step),
      t0 + step,
    );
    writer.add(
      'train/accuracy',
      step,
      epoch,
      Math.min(1, 0.1 + finalAccuracy * progress),
      t0 + step,
    );
    if (step % perEpoch === 0 || step === options.steps) {
      writer.add('test/loss', step, epoch, 2.3 * Math.exp(-3 * progress) + 0.1, t0 + step);
      writer.add('test/accuracy', step, epoch, 0.1 + (finalAccuracy - 0.1) * progress, t0 + step);
    }
  }
  await writer.close();
  await store.finishRun(runId, { status: 'completed' });
  return runId;
}

/** A writable store at a temporary path. */
export async function makeStore(
  dir: string,
  name = 'runner.db',
): Promise<{ store: Store; path: string }> {
  const path = join(dir, name);
  return { store: await openStore(path), path };
}
