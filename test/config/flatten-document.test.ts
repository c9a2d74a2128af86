import { describe, expect, it } from 'vitest';
import { flattenDocument, loadExperiment, parseSetFlag } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { REPO } from './config-test-kit.js';

describe('flattenDocument', () => {
  it('gives one row per leaf, in document order, lists as [i]', () => {
    expect(
      flattenDocument({
        name: 'x',
        model: { input: [28, 28, 1], layers: [{ conv2d: { filters: 6 } }, { flatten: {} }] },
        sweep: { grid: { 'train.epochs': [1, 2] } },
        data: { limit: {}, root: null },
      }),
    ).toEqual([
      ['name', 'x'],
      ['model.input[0]', 28],
      ['model.input[1]', 28],
      ['model.input[2]', 1],
      ['model.layers[0].conv2d.filters', 6],
      ['model.layers[1].flatten', {}],
      ['sweep.grid["train.epochs"][0]', 1],
      ['sweep.grid["train.epochs"][1]', 2],
      ['data.limit', {}],
      ['data.root', null],
    ]);
  });

  it('gives paths that --set accepts back, for every row of a real config', async () => {
    const { source } = await loadExperiment('configs/lenet.yaml', {
      registries: REGISTRIES,
      cwd: REPO,
    });
    const rows = flattenDocument(source.document);
    expect(rows).toContainEqual(['train.optimizer.learningRate', 0.001]);
    expect(rows).toContainEqual(['model.layers[5].dense.units', 120]);
    const leaves = rows.filter(
      ([, value]) => typeof value === 'number' || typeof value === 'string',
    );
    const experiment = await loadExperiment('configs/lenet.yaml', {
      registries: REGISTRIES,
      cwd: REPO,
      set: leaves.map(([path, value]) => `${path}=${JSON.stringify(value)}`),
    });
    expect(experiment.source.document).toEqual(source.document);
    for (const [path] of leaves) expect(parseSetFlag(`${path}=1`).path).toBe(path);
  });
});
