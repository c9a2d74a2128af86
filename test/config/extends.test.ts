import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { MINIMAL, errorLinesOf } from './config-test-kit.js';
import { useTempDir } from '../test-kit.js';

describe('extends', () => {
  const { write, dir } = useTempDir('config');

  it('merges mappings key by key, replaces lists and scalars, and null removes a key', async () => {
    write(
      'base.yaml',
      `${MINIMAL}  optimizer: {type: adam, learningRate: 0.01}
data2: unused
`.replace('data2: unused\n', '') +
        `seed: 3
sweep:
  grid: {train.epochs: [1, 2]}
`,
    );
    write(
      'child.yaml',
      `extends: ./base.yaml
name: child
data:
  batchSize: 16
model:
  layers:
    - flatten: {}
    - dense: {units: 8, activation: relu}
    - dense: {units: 2}
train:
  optimizer: {learningRate: 0.5}
sweep: null
`,
    );
    const experiment = await loadExperiment('child.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(experiment.name).toBe('child');
    expect(experiment.seed).toBe(3);
    expect(experiment.data.dataset).toBe('synthetic');
    expect(experiment.data.batchSize).toBe(16);
    expect(experiment.model.input).toEqual([28, 28, 1]);
    expect(experiment.model.nodes.map((n) => n.kind)).toEqual(['flatten', 'dense', 'dense']);
    expect(experiment.train.optimizer).toMatchObject({ type: 'adam', learningRate: 0.5 });
    expect(experiment.train.epochs).toBe(1);
    expect(experiment.sweep).toBeUndefined();
    expect(experiment.source.files).toEqual(['child.yaml', 'base.yaml']);
    expect(experiment.source.document['extends']).toBeUndefined();
  });

  it('follows a chain, each path relative to the file that names it', async () => {
    write('shared/root.yaml', MINIMAL);
    write('shared/middle.yaml', 'extends: ./root.yaml\ntrain: {epochs: 4}\n');
    write('experiments/top.yaml', 'extends: ../shared/middle.yaml\nname: top\n');
    const experiment = await loadExperiment('experiments/top.yaml', {
      registries: REGISTRIES,
      cwd: dir(),
    });
    expect(experiment.train.epochs).toBe(4);
    expect(experiment.name).toBe('top');
    expect(experiment.source.files).toEqual([
      'experiments/top.yaml',
      'shared/middle.yaml',
      'shared/root.yaml',
    ]);
  });

  it('does not inherit the name: an extending file runs under its own', async () => {
    write('base.yaml', MINIMAL);
    write('fashion.yaml', 'extends: ./base.yaml\ntrain: {epochs: 2}\n');
    const experiment = await loadExperiment('fashion.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(experiment.name).toBe('fashion');
  });

  it('locates a problem in the file that wrote it, base or child', async () => {
    write('base.yaml', MINIMAL.replace('batchSize: 8', 'batchSize: 0'));
    write('child.yaml', 'extends: ./base.yaml\ntrain:\n  epochs: -1\n');
    expect(
      await errorLinesOf(loadExperiment('child.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([
      'child.yaml:3:11 error out-of-range: train.epochs: must be >= 1, found -1',
      'base.yaml:4:14 error out-of-range: data.batchSize: must be >= 1, found 0',
    ]);
  });

  it('locates layer nodes in the file their list came from', async () => {
    write('base.yaml', MINIMAL);
    write('child.yaml', 'extends: ./base.yaml\nname: child\n');
    const experiment = await loadExperiment('child.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(experiment.model.nodes[1]?.loc).toEqual({ file: 'base.yaml', line: 9, col: 7 });
  });

  it('reports a syntax error in the base file at its own position', async () => {
    write('base.yaml', 'name: [unclosed\n');
    write('child.yaml', 'extends: ./base.yaml\n');
    const [line] = await errorLinesOf(
      loadExperiment('child.yaml', { registries: REGISTRIES, cwd: dir() }),
    );
    expect(line).toMatch(/^base\.yaml:\d+:\d+ error yaml-syntax: /);
  });

  it('refuses an extends that is not a path', async () => {
    write('child.yaml', 'extends: [a.yaml]\n');
    expect(
      await errorLinesOf(loadExperiment('child.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([
      'child.yaml:1:1 error wrong-type: extends: expected a file path, found ["a.yaml"] (e.g. extends: ./lenet.yaml (relative to this file))',
    ]);
  });
});

describe('reading the file', () => {
  const { write, dir } = useTempDir('config');

  it.each([
    [
      'empty.yaml',
      '',
      'empty.yaml:1:1 error empty-config: the file is empty (an experiment needs at least name, data, model and train)',
    ],
    [
      'list.yaml',
      '- a\n- b\n',
      'list.yaml:1:1 error wrong-type: expected a mapping of keys (name, data, model, train), found a list',
    ],
    [
      'two.yaml',
      'name: a\n---\nname: b\n',
      'two.yaml:2:1 error yaml-syntax: Source contains multiple documents; please use YAML.parseAllDocuments() (fix the YAML syntax; indent with spaces, close every [ and {)',
    ],
    [
      'quote.yaml',
      'name: "lenet\nseed: 1\n',
      'quote.yaml:1:7 error yaml-syntax: the double quote opened here is never closed (end the text with ")',
    ],
    [
      'brace.yaml',
      'data: {dataset: mnist, # comment }\nseed: 1\n',
      'brace.yaml:1:7 error yaml-syntax: "{" opened here is never closed (end it with })',
    ],
    [
      'alias.yaml',
      'name: x\nseed: *nowhere\n',
      'alias.yaml:2:7 error yaml-syntax: seed: *nowhere refers to no anchor (define &nowhere before it is used)',
    ],
    [
      'key.yaml',
      'name: x\n[1, 2]: 3\n',
      'key.yaml:2:1 error invalid-key: a key must be a name, found a list',
    ],
    [
      'tabs.yaml',
      'data:\n\tbatchSize: 1\n',
      'tabs.yaml:2:1 error yaml-syntax: Tabs are not allowed as indentation (fix the YAML syntax; indent with spaces, close every [ and {)',
    ],
  ])('refuses %s with its position', async (file, text, line) => {
    write(file, text);
    expect(
      await errorLinesOf(loadExperiment(file, { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([line]);
  });

  it('reuses anchors kept under x- keys, with << merge keys', async () => {
    write(
      'anchors.yaml',
      MINIMAL.replace(
        'name: minimal\n',
        'name: anchors\nx-dense: &dense {activation: relu, useBias: false}\n',
      ).replace('- dense: {units: 2}', '- dense: {<<: *dense, units: 3}\n    - dense: {units: 2}'),
    );
    const experiment = await loadExperiment('anchors.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(experiment.model.nodes[1]?.spec).toEqual({
      activation: 'relu',
      useBias: false,
      units: 3,
    });
    expect(experiment.source.document['x-dense']).toBeUndefined();
  });

  it('refuses .inf and .nan where a number is expected', async () => {
    write('inf.yaml', MINIMAL.replace('epochs: 1', 'epochs: 1\n  optimizer: {learningRate: .inf}'));
    expect(
      await errorLinesOf(loadExperiment('inf.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([
      'inf.yaml:12:29 error wrong-type: train.optimizer.learningRate: expected a finite number, found Infinity',
    ]);
  });

  it('names a config file that does not exist', async () => {
    expect(
      await errorLinesOf(loadExperiment('nope.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual(['error config-not-found: cannot read nope.yaml: file not found']);
  });

  it('defaults the name to the file name', async () => {
    write('my-exp.yaml', MINIMAL.replace('name: minimal\n', ''));
    const experiment = await loadExperiment('my-exp.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(experiment.name).toBe('my-exp');
    expect(experiment.source.document['name']).toBe('my-exp');
  });

  it('fills every default into the document recorded for the run', async () => {
    write('x.yaml', MINIMAL);
    const { source } = await loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(source.document).toMatchObject({
      seed: 0,
      backend: 'auto',
      data: { source: 'auto', limit: {}, validationSplit: 0, shuffle: true },
      train: {
        loss: 'crossEntropy',
        optimizer: { type: 'adam', learningRate: 0.001 },
        checkpointMetric: 'accuracy',
      },
    });
  });

  it('fills the synthetic dataset defaults into data.options', async () => {
    write('x.yaml', MINIMAL.replace('batchSize: 8', 'batchSize: 8\n  synthetic: {classes: 3}'));
    const { data } = await loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(data.options).toEqual({
      synthetic: { train: 512, test: 128, classes: 3, shape: [28, 28, 1], noise: 0.1 },
    });
  });

  it('fills the synthetic defaults even when data.synthetic is left out', async () => {
    write('x.yaml', MINIMAL);
    const { data } = await loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() });
    expect(data.options).toEqual({
      synthetic: { train: 512, test: 128, classes: 10, shape: [28, 28, 1], noise: 0.1 },
    });
  });

  it('refuses a model input that is not the shape of the synthetic images', async () => {
    write(
      'x.yaml',
      MINIMAL.replace('batchSize: 8', 'batchSize: 8\n  synthetic: {shape: [12, 12, 1]}'),
    );
    expect(
      await errorLinesOf(loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([
      'x.yaml:7:10 error input-shape-mismatch: model.input: [28, 28, 1] is not the shape of the synthetic images, [12, 12, 1] (set model.input to [12, 12, 1], or data.synthetic.shape to [28, 28, 1])',
    ]);
  });

  it.each([
    [
      'a test/ sweep metric with a validation split',
      'batchSize: 8',
      'batchSize: 8\n  validationSplit: 0.1',
      'epochs: 1',
      'epochs: 1\nsweep: {grid: {train.epochs: [1, 2]}}',
      'x.yaml:13:1 error invalid-value: sweep.metric: "test/accuracy" is never measured: with data.validationSplit 0.1, evaluation is on the val split (use metric: val/accuracy)',
    ],
    [
      'an idx dataset with nothing to evaluate on',
      'dataset: synthetic',
      'dataset: idx\n  train: {images: a.idx3, labels: a.idx1}',
      'epochs: 1',
      'epochs: 1',
      'x.yaml:2:1 error missing-key: data: dataset idx without data.test has nothing to evaluate on (give data.test: {images, labels}, or set data.validationSplit, e.g. 0.1)',
    ],
  ])('refuses %s', async (_what, from1, to1, from2, to2, line) => {
    write('x.yaml', MINIMAL.replace(from1, to1).replace(from2, to2));
    expect(
      await errorLinesOf(loadExperiment('x.yaml', { registries: REGISTRIES, cwd: dir() })),
    ).toEqual([line]);
  });

  it('caps the report at 20 problems and counts the rest', async () => {
    const layers = Array.from({ length: 25 }, () => '    - dense: {units: 0}').join('\n');
    write('many.yaml', MINIMAL.replace('    - flatten: {}\n    - dense: {units: 2}', layers));
    const lines = await errorLinesOf(
      loadExperiment('many.yaml', { registries: REGISTRIES, cwd: dir() }),
    );
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(
      'many.yaml:8:22 error out-of-range: model.layers[0].dense.units: must be >= 1, found 0',
    );
    expect(lines[20]).toBe('error too-many-errors: 5 more errors not shown (fix these first)');
  });
});
