import { describe, expect, it } from 'vitest';
import { loadExperiment, parseSetFlag } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { ConfigError } from '../../src/errors.js';
import { FIXTURES, REPO, errorLinesOf } from './config-test-kit.js';

const lenet = (set: string[]) =>
  loadExperiment('configs/lenet.yaml', { registries: REGISTRIES, cwd: REPO, set });

describe('--set overrides', () => {
  it('parses values as YAML: 3e-4 is a number, [32, 32, 1] a list', async () => {
    const experiment = await lenet([
      'train.optimizer.learningRate=3e-4',
      'model.input=[32,32,1]',
      'name=lenet-small',
      'data.shuffle=false',
    ]);
    expect(experiment.train.optimizer.learningRate).toBe(0.0003);
    expect(experiment.model.input).toEqual([32, 32, 1]);
    expect(experiment.name).toBe('lenet-small');
    expect(experiment.data.shuffle).toBe(false);
    expect(experiment.source.overrides).toEqual([
      'train.optimizer.learningRate=3e-4',
      'model.input=[32,32,1]',
      'name=lenet-small',
      'data.shuffle=false',
    ]);
    expect(experiment.source.document['name']).toBe('lenet-small');
  });

  it('creates missing mappings and reaches into layers by index', async () => {
    const experiment = await lenet(['data.limit.train=500', 'model.layers[0].conv2d.filters=12']);
    expect(experiment.data.limit.train).toBe(500);
    expect(experiment.model.nodes[0]?.spec['filters']).toBe(12);
  });

  it('removes a key set to null, and fills defaults for what the overrides chose', async () => {
    const mnist = await loadExperiment('configs/quick.yaml', {
      registries: REGISTRIES,
      cwd: REPO,
      set: ['data.dataset=mnist', 'data.synthetic=null', 'model.input=[28, 28, 1]'],
    });
    expect(mnist.data.dataset).toBe('mnist');
    expect(mnist.data.options).toEqual({});
    const synthetic = await lenet(['data.dataset=synthetic']);
    expect(synthetic.data.options['synthetic']).toMatchObject({ train: 512, shape: [28, 28, 1] });
  });

  it("reaches a dataset's own options (data.test.file of csv, data.test.dir of images)", async () => {
    const load = (file: string, set: string[]) =>
      loadExperiment(file, { registries: REGISTRIES, cwd: REPO, set });
    const table = await load('configs/house-prices-csv.yaml', ['data.test.file=other.csv']);
    expect(table.data.options['test']).toEqual({ file: 'other.csv' });
    const images = await load('configs/pets-images.yaml', ['data.test.dir=photos']);
    expect(images.data.options['test']).toEqual({ dir: 'photos' });
    // Another dataset's key is checked against the dataset the file names.
    expect(
      await errorLinesOf(load('configs/house-prices-csv.yaml', ['data.test.dir=photos'])),
    ).toEqual(['error unknown-key: --set data.test: unknown key "dir" (expected one of file)']);
  });

  it('applies overrides in order, the last one winning', async () => {
    const experiment = await lenet(['train.epochs=2', 'train.epochs=3']);
    expect(experiment.train.epochs).toBe(3);
  });

  it.each([
    [
      'train.optimizer.learningrate=0.1',
      'error unknown-set-path: --set: "train.optimizer.learningrate" is not a config path (did you mean "train.optimizer.learningRate"?)',
    ],
    [
      'optimizer.learningRate=0.1',
      'error unknown-set-path: --set: "optimizer.learningRate" is not a config path (did you mean "train.optimizer.learningRate"?)',
    ],
    [
      'model.layers[1].conv2d.filtres=3',
      'error unknown-set-path: --set: "model.layers[1].conv2d.filtres" is not a config path (did you mean "model.layers[1].conv2d.filters"?)',
    ],
    [
      'train.epochs',
      'error invalid-set: --set: expected key.path=value, found "train.epochs" (e.g. --set train.optimizer.learningRate=3e-4)',
    ],
    [
      'model.layers[8].dense.units=3',
      'error set-index-out-of-range: --set: model.layers[8]: no item 8 (the list has 8) (--set can change an existing item; to replace the whole list, set model.layers=[...])',
    ],
    [
      'extends=./mycnn.yaml',
      'error unknown-set-path: --set: extends cannot be set from the command line (pass the file to extend as the config instead)',
    ],
  ])('refuses --set %s, naming the flag', async (flag, line) => {
    expect(await errorLinesOf(lenet([flag]))).toEqual([line]);
  });

  it.each([
    [
      'train.epochs=abc',
      'error wrong-type: --set train.epochs: expected integer, found string "abc"',
    ],
    [
      'train.optimizer.learningRate=-1',
      'error out-of-range: --set train.optimizer.learningRate: must be > 0, found -1',
    ],
    [
      'train.optimizer.learningRate=1e-2,1e-3',
      'error wrong-type: --set train.optimizer.learningRate: expected number, found string "1e-2,1e-3" (a comma list sweeps several values: use `runner sweep` for that)',
    ],
    [
      'train.optimizer.type=adamx',
      'error unknown-optimizer: --set train.optimizer.type: unknown optimizer "adamx"; expected one of adam, adamw, sgd, rmsprop (did you mean "adam"?)',
    ],
  ])('checks the value of --set %s against the schema', async (flag, line) => {
    expect(await errorLinesOf(lenet([flag]))).toEqual([line]);
  });

  it('reports a bad --set together with the problems of the file', async () => {
    const lines = await errorLinesOf(
      loadExperiment('unknown-key.yaml', {
        registries: REGISTRIES,
        cwd: FIXTURES,
        set: ['train.epochz=1'],
      }),
    );
    expect(lines[0]).toBe(
      'error unknown-set-path: --set: "train.epochz" is not a config path (did you mean "train.epochs"?)',
    );
    expect(lines.slice(1).map((line) => line.split(' ')[0])).toEqual([
      'unknown-key.yaml:4:3',
      'unknown-key.yaml:8:16',
      'unknown-key.yaml:13:3',
    ]);
  });

  it('reports every bad --set at once', async () => {
    const lines = await errorLinesOf(lenet(['trian.epochs=1', 'data.batchsize=2']));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('did you mean "train.epochs"?');
    expect(lines[1]).toContain('did you mean "data.batchSize"?');
  });
});

describe('parseSetFlag', () => {
  it.each([
    [
      'train.optimizer.learningRate=1e-2,1e-3,1e-4',
      'train.optimizer.learningRate',
      [0.01, 0.001, 0.0001],
    ],
    [
      'model.input=[28,28,1],[32, 32, 1]',
      'model.input',
      [
        [28, 28, 1],
        [32, 32, 1],
      ],
    ],
    ['train.optimizer.type=adam,sgd', 'train.optimizer.type', ['adam', 'sgd']],
    ['name="a,b",c', 'name', ['a,b', 'c']],
    [
      'train.optimizer={type: sgd, momentum: 0.9},{type: adam}',
      'train.optimizer',
      [{ type: 'sgd', momentum: 0.9 }, { type: 'adam' }],
    ],
    ['train.epochs=5', 'train.epochs', [5]],
    ['data.shuffle=true,false', 'data.shuffle', [true, false]],
  ])('splits %s into values parsed as YAML', (flag, path, values) => {
    const parsed = parseSetFlag(flag);
    expect(parsed.path).toBe(path);
    expect(parsed.values).toEqual(values);
  });

  it('gives the path as segments too', () => {
    expect(parseSetFlag('model.layers[2].conv2d.filters=4,8').segments).toEqual([
      'model',
      'layers',
      2,
      'conv2d',
      'filters',
    ]);
  });

  it('throws a ConfigError naming --set for a malformed flag', () => {
    expect(() => parseSetFlag('no-equals-sign')).toThrow(ConfigError);
    expect(() => parseSetFlag('a=[1,2')).toThrow(/--set|not valid YAML/);
    expect(() => parseSetFlag('a=*alias')).toThrow(ConfigError);
  });
});
