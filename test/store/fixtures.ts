import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flattenConfig } from '../../src/store/index.js';
import type { NewRun } from '../../src/store/index.js';

/** A temporary folder per test, removed by the returned cleanup. */
export function makeTempDir(prefix = 'runner-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A realistic run record: a resolved LeNet-ish config flattened into params. */
export function newRun(
  overrides: {
    name?: string;
    learningRate?: number;
    batchSize?: number;
    optimizer?: string;
    seed?: number;
    sweepId?: number;
    trialIndex?: number;
  } = {},
): NewRun {
  const config = {
    name: overrides.name ?? 'lenet',
    seed: overrides.seed ?? 1,
    data: { dataset: 'synthetic', batchSize: overrides.batchSize ?? 128, shuffle: true },
    model: {
      input: [28, 28, 1],
      layers: [{ conv2d: { filters: 6, kernelSize: 5 } }, { dense: { units: 10 } }],
    },
    train: {
      epochs: 2,
      optimizer: {
        type: overrides.optimizer ?? 'adam',
        learningRate: overrides.learningRate ?? 0.001,
      },
    },
  };
  return {
    name: config.name,
    configYaml: `name: ${config.name}\nseed: ${config.seed}\n`,
    config,
    configHash: `hash-${config.name}-${config.train.optimizer.learningRate}`,
    params: flattenConfig(config),
    seed: config.seed,
    backend: 'cpu',
    dataset: 'synthetic',
    datasetSource: 'generated',
    versions: { runner: '0.1.0', tfjs: '4.22.0', node: process.version },
    host: 'test-host',
    pid: process.pid,
    ...(overrides.sweepId === undefined ? {} : { sweepId: overrides.sweepId }),
    ...(overrides.trialIndex === undefined ? {} : { trialIndex: overrides.trialIndex }),
  };
}
