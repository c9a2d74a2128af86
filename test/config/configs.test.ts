import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { EXPERIMENT_SCHEMA_URL, loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configs = readdirSync(path.join(root, 'configs')).filter((f) => f.endsWith('.yaml'));

const shippedSchema = JSON.parse(
  readFileSync(fileURLToPath(EXPERIMENT_SCHEMA_URL), 'utf8'),
) as object;

describe('configs/', () => {
  it.each(configs)(
    '%s names the schema for editors and passes it as an editor checks it',
    (file) => {
      const text = readFileSync(path.join(root, 'configs', file), 'utf8');
      expect(text.split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schema/experiment.schema.json',
      );
      // The editor sees the file alone (no extends merged) against the full schema.
      const validate = new Ajv2020({ allErrors: true, strict: false }).compile(shippedSchema);
      const valid = validate(parse(text));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  it.each(configs)('loads %s', async (file) => {
    const experiment = await loadExperiment(`configs/${file}`, {
      registries: REGISTRIES,
      cwd: root,
    });
    expect(experiment.model.nodes.length).toBeGreaterThan(0);
    expect(Object.isFrozen(experiment.model.nodes)).toBe(true);
  });

  it('reads lenet.yaml as the issue writes it', async () => {
    const lenet = await loadExperiment('configs/lenet.yaml', { registries: REGISTRIES, cwd: root });
    expect(lenet.name).toBe('lenet5-mnist');
    expect(lenet.seed).toBe(1);
    expect(lenet.backend).toBe('auto');
    expect(lenet.data).toMatchObject({
      dataset: 'mnist',
      batchSize: 128,
      source: 'auto',
      shuffle: true,
      validationSplit: 0,
    });
    expect(lenet.data.limit).toEqual({ train: undefined, test: undefined });
    expect(lenet.model.input).toEqual([28, 28, 1]);
    expect(lenet.model.nodes.map((n) => n.kind)).toEqual([
      'conv2d',
      'maxPool2d',
      'conv2d',
      'maxPool2d',
      'flatten',
      'dense',
      'dense',
      'dense',
    ]);
    expect(lenet.model.nodes[0]).toEqual({
      kind: 'conv2d',
      name: 'conv2d_1',
      inputs: ['input'],
      spec: { filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' },
      path: 'model.layers[0]',
      loc: { file: 'configs/lenet.yaml', line: 10, col: 7 },
    });
    expect(lenet.model.nodes[1]?.inputs).toEqual(['conv2d_1']);
    expect(lenet.model.output).toBe('dense_8');
    expect(lenet.train).toEqual({
      epochs: 5,
      loss: 'crossEntropy',
      optimizer: {
        type: 'adam',
        learningRate: 0.001,
        options: {},
      },
      maxSteps: undefined,
      schedule: undefined,
      gradientClipping: undefined,
      labelSmoothing: 0,
      earlyStopping: undefined,
      checkpointEvery: undefined,
      checkpointMetric: 'accuracy',
      workers: 'auto',
    });
    expect(lenet.sweep).toBeUndefined();
    expect(lenet.source.files).toEqual(['configs/lenet.yaml']);
  });

  it('reads mycnn.yaml: numeric padding, batch norm, leaky relu 0.2, learning rate 1e-3', async () => {
    const mycnn = await loadExperiment('configs/mycnn.yaml', { registries: REGISTRIES, cwd: root });
    expect(mycnn.model.nodes.map((n) => n.kind).join(' ')).toBe(
      'conv2d batchNorm leakyRelu maxPool2d conv2d batchNorm leakyRelu maxPool2d conv2d batchNorm leakyRelu maxPool2d flatten dense',
    );
    expect(mycnn.model.nodes[0]?.spec).toEqual({ filters: 3, kernelSize: 3, padding: 2 });
    expect(mycnn.model.nodes[2]?.spec).toEqual({ alpha: 0.2 });
    expect(mycnn.train.optimizer.learningRate).toBe(0.001);
  });
});
