/**
 * The test suite's shared fixtures, one module: temporary folders (made per test
 * or per file, always removed) and run records as `runner exp` writes them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { stringify } from 'yaml';
import { flattenConfig, openStore, type NewRun, type Store } from '../src/store/index.js';

/** A temporary folder, `runner-<name>-XXXXXX` in the system's temp dir. */
export interface TempDir {
  readonly dir: string;
  /** `<dir>/runs/runner.db`: where a project keeps its run store. */
  readonly db: string;
  /** Writes a file (parent folders made), returns its path. */
  write(file: string, text: string): string;
  /** Removes the folder and everything in it. */
  remove(): void;
}

/** A temporary folder whose lifetime the caller owns (`remove()` in an after-hook). */
export function makeTempDir(name = 'test'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `runner-${name}-`));
  return {
    dir,
    db: join(dir, 'runs', 'runner.db'),
    write(file, text) {
      const target = join(dir, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      return target;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Folders per test, removed after each: `dir()` is this test's folder (made on
 * first use), `write` puts files in it, `fresh()` makes another one.
 */
export function useTempDir(name = 'test'): {
  dir: () => string;
  write: (file: string, text: string) => string;
  fresh: () => string;
} {
  const made: TempDir[] = [];
  let current: TempDir | undefined;
  afterEach(() => {
    for (const temp of made.splice(0)) temp.remove();
    current = undefined;
  });
  const make = (): TempDir => {
    const temp = makeTempDir(name);
    made.push(temp);
    return temp;
  };
  const use = (): TempDir => (current ??= make());
  return {
    dir: () => use().dir,
    write: (file, text) => use().write(file, text),
    fresh: () => make().dir,
  };
}

export interface RunFixtureOptions {
  readonly name?: string;
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly optimizer?: string;
  readonly seed?: number;
  readonly sweepId?: number;
  readonly trialIndex?: number;
}

/** What `runner exp` records at the start of a run: a small LeNet-ish config, flattened into params. */
export function newRun(options: RunFixtureOptions = {}): NewRun {
  const config = {
    name: options.name ?? 'lenet',
    seed: options.seed ?? 1,
    data: { dataset: 'synthetic', batchSize: options.batchSize ?? 128, shuffle: true },
    model: {
      input: [28, 28, 1],
      layers: [{ conv2d: { filters: 6, kernelSize: 5 } }, { dense: { units: 10 } }],
    },
    train: {
      epochs: 2,
      optimizer: {
        type: options.optimizer ?? 'adam',
        learningRate: options.learningRate ?? 0.001,
      },
    },
  };
  return {
    name: config.name,
    configYaml: stringify(config),
    config,
    configHash: `hash-${config.name}-${config.train.optimizer.learningRate}-${config.data.batchSize}`,
    params: flattenConfig(config),
    seed: config.seed,
    backend: 'cpu',
    dataset: 'synthetic',
    datasetSource: 'generated in memory',
    versions: { runner: '0.1.0', tfjs: '4.22.0', node: process.versions.node },
    host: 'test-host',
    pid: process.pid,
    ...(options.sweepId === undefined ? {} : { sweepId: options.sweepId }),
    ...(options.trialIndex === undefined ? {} : { trialIndex: options.trialIndex }),
  };
}

/**
 * Records a finished run: `steps` training steps of a decaying loss in
 * `epochs` epochs, and test metrics at each epoch end.
 */
export async function recordRun(
  store: Store,
  options: RunFixtureOptions & {
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
