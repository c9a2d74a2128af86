import * as tf from '../../src/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { LAYERS, planModel, quietTf, type LayerDefinition } from '../../src/model/index.js';
import { graph, LENET, MYCNN, sequential } from './model-spec.js';

beforeAll(async () => {
  quietTf();
  await tf.setBackend('cpu');
});

function diagnosticsOf(fn: () => unknown): ConfigError['diagnostics'] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('planModel', () => {
  it('counts LeNet-5: 61,706 trainable parameters', () => {
    const plan = planModel(LENET);
    expect(plan.trainableParams).toBe(61_706);
    expect(plan.nonTrainableParams).toBe(0);
    expect(plan.inputShape).toEqual([null, 28, 28, 1]);
    expect(plan.outputShape).toEqual([null, 10]);
    expect(plan.layers.map((l) => [l.name, l.outputShape, l.trainableParams])).toEqual([
      ['conv2d_1', [null, 28, 28, 6], 156],
      ['maxPool2d_1', [null, 14, 14, 6], 0],
      ['conv2d_2', [null, 10, 10, 16], 2416],
      ['maxPool2d_2', [null, 5, 5, 16], 0],
      ['flatten_1', [null, 400], 0],
      ['dense_1', [null, 120], 48_120],
      ['dense_2', [null, 84], 10_164],
      ['dense_3', [null, 10], 850],
    ]);
  });

  it("counts the tutorial's net: 8,212 parameters, 8,110 trainable, 102 batch-norm statistics", () => {
    const plan = planModel(MYCNN);
    expect(plan.totalParams).toBe(8212);
    expect(plan.trainableParams).toBe(8110);
    expect(plan.nonTrainableParams).toBe(102);
    // PyTorch's padding=2 on a 3x3 kernel grows 28 to 30, as in the tutorial.
    expect(plan.layers[0]!.outputShape).toEqual([null, 30, 30, 3]);
    expect(plan.layers.find((l) => l.kind === 'flatten')!.outputShape).toEqual([null, 288]);
  });

  it('frees every weight it creates', () => {
    const before = tf.memory().numTensors;
    planModel(MYCNN);
    expect(() =>
      planModel(
        sequential([4], [{ dense: { units: 3 } }, { flatten: {} }, { dense: { units: 0 } }]),
      ),
    ).toThrow(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('tells a dense layer fed a 4-D tensor to flatten first, at the layer', () => {
    const model = sequential(
      [28, 28, 1],
      [{ conv2d: { filters: 16, kernelSize: 3 } }, { maxPool2d: {} }, { dense: { units: 10 } }],
    );
    const [d, ...rest] = diagnosticsOf(() => planModel(model));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: 'bad-input-rank',
      path: 'model.layers[2]',
      loc: { file: 'test.yaml', line: 12, col: 7 },
      message: 'dense expects a 2-D input [batch, features], found [batch, 13, 13, 16]',
    });
    expect(d!.hint).toContain('flatten');
  });

  it('says when a kernel is larger than its input', () => {
    const model = sequential(
      [8, 8, 1],
      [
        { conv2d: { filters: 4, kernelSize: 3 } },
        { maxPool2d: { poolSize: 2 } },
        { conv2d: { filters: 4, kernelSize: 5 } },
        { flatten: {} },
        { dense: { units: 2 } },
      ],
    );
    const [d] = diagnosticsOf(() => planModel(model));
    expect(d).toMatchObject({ code: 'window-too-large', path: 'model.layers[2]' });
    expect(d!.message).toBe(
      'conv2d kernelSize 5 is larger than the input 3x3 from [batch, 3, 3, 4]',
    );
  });

  it('counts explicit padding when checking that a kernel fits', () => {
    const fits = sequential(
      [3, 3, 1],
      [{ conv2d: { filters: 1, kernelSize: 5, padding: 1 } }, { flatten: {} }],
    );
    expect(planModel(fits).outputShape).toEqual([null, 1]);
    const tooBig = sequential(
      [3, 3, 1],
      [{ conv2d: { filters: 1, kernelSize: [5, 6], padding: 1 } }],
    );
    expect(diagnosticsOf(() => planModel(tooBig))[0]!.message).toContain(
      'kernelSize [5, 6] is larger than the padded input 5x5 (3x3 plus padding)',
    );
  });

  it('says when a pool window is larger than its input', () => {
    const model = sequential([2, 2, 1], [{ maxPool2d: { poolSize: 3 } }, { flatten: {} }]);
    const [d] = diagnosticsOf(() => planModel(model));
    expect(d!.message).toBe(
      'maxPool2d poolSize 3 is larger than the input 2x2 from [batch, 2, 2, 1]',
    );
  });

  it('requires the output to be [batch, classes]', () => {
    const model = sequential([8, 8, 1], [{ conv2d: { filters: 4, kernelSize: 3 } }]);
    const [d] = diagnosticsOf(() => planModel(model));
    expect(d).toMatchObject({ code: 'bad-output-shape', path: 'model.layers[0]' });
    expect(d!.message).toBe('the model output must be [batch, classes], found [batch, 6, 6, 4]');
  });

  it('reports the first error of each independent branch', () => {
    const model = graph(
      [8, 8, 3],
      [
        { name: 'a', kind: 'dense', inputs: ['input'], spec: { units: 4 } },
        { name: 'a2', kind: 'relu', inputs: ['a'] },
        { name: 'b', kind: 'conv2d', inputs: ['input'], spec: { filters: 4, kernelSize: 9 } },
        { name: 'c', kind: 'conv2d', inputs: ['input'], spec: { filters: 4, kernelSize: 3 } },
        { name: 'sum', kind: 'add', inputs: ['a2', 'b', 'c'] },
        { name: 'out', kind: 'flatten', inputs: ['sum'] },
      ],
      'out',
    );
    const diagnostics = diagnosticsOf(() => planModel(model));
    expect(diagnostics.map((d) => [d.path, d.code])).toEqual([
      ['model.graph.a', 'bad-input-rank'],
      ['model.graph.b', 'window-too-large'],
    ]);
  });

  it('names mismatched shapes of an add', () => {
    const model = graph(
      [8, 8, 3],
      [
        {
          name: 'left',
          kind: 'conv2d',
          inputs: ['input'],
          spec: { filters: 4, kernelSize: 3, padding: 'same' },
        },
        { name: 'right', kind: 'conv2d', inputs: ['input'], spec: { filters: 4, kernelSize: 3 } },
        { name: 'sum', kind: 'add', inputs: ['left', 'right'] },
        { name: 'pool', kind: 'globalAvgPool2d', inputs: ['sum'] },
      ],
      'pool',
    );
    const [d] = diagnosticsOf(() => planModel(model));
    expect(d).toMatchObject({
      code: 'merge-shape-mismatch',
      path: 'model.graph.sum',
      loc: { line: 22 },
    });
    expect(d!.message).toBe(
      'add expects inputs of one shape, found [batch, 8, 8, 4], [batch, 6, 6, 4]',
    );
  });

  it('names mismatched shapes of a concatenate', () => {
    const model = graph(
      [8, 8, 3],
      [
        { name: 'left', kind: 'conv2d', inputs: ['input'], spec: { filters: 4, kernelSize: 1 } },
        { name: 'right', kind: 'maxPool2d', inputs: ['input'], spec: {} },
        { name: 'cat', kind: 'concatenate', inputs: ['left', 'right'] },
        { name: 'pool', kind: 'globalAvgPool2d', inputs: ['cat'] },
      ],
      'pool',
    );
    const [d] = diagnosticsOf(() => planModel(model));
    expect(d!.message).toBe(
      'concatenate on axis -1 expects inputs equal in every other dimension, found [batch, 8, 8, 4], [batch, 4, 4, 3]',
    );
  });

  it('checks a merge has at least two inputs', () => {
    const model = graph([4], [{ name: 'sum', kind: 'add', inputs: ['input'] }], 'sum');
    expect(diagnosticsOf(() => planModel(model))[0]).toMatchObject({
      code: 'bad-input-count',
      message: 'add takes at least 2 inputs, found 1',
    });
  });

  it('flattens an already flat input as a no-op, as PyTorch does', () => {
    const plan = planModel(sequential([4], [{ dense: { units: 3 } }, { flatten: {} }]));
    expect(plan.outputShape).toEqual([null, 3]);
  });

  it('checks reshape sizes', () => {
    const model = sequential([28, 28, 1], [{ reshape: { targetShape: [27, 27] } }]);
    expect(diagnosticsOf(() => planModel(model))[0]!.message).toBe(
      'reshape to [27, 27] needs 729 values per example, the input [batch, 28, 28, 1] has 784',
    );
  });

  it('rejects arguments its schema does not allow, at the layer', () => {
    const model = sequential([4], [{ dense: { units: 3, filters: 2 } }]);
    expect(diagnosticsOf(() => planModel(model))[0]).toMatchObject({
      code: 'bad-layer-args',
      path: 'model.layers[0]',
      message: 'dense arguments must NOT have additional properties (filters)',
    });
  });

  it('reports graph errors on the node: unknown inputs, cycles, dangling nodes', () => {
    const unknown = graph(
      [4],
      [{ name: 'a', kind: 'dense', inputs: ['nope'], spec: { units: 2 } }],
      'a',
    );
    expect(diagnosticsOf(() => planModel(unknown))[0]).toMatchObject({
      code: 'unknown-input',
      path: 'model.graph.a',
    });
    const cycle = graph(
      [4],
      [
        { name: 'a', kind: 'add', inputs: ['input', 'b'] },
        { name: 'b', kind: 'relu', inputs: ['a'] },
      ],
      'b',
    );
    expect(diagnosticsOf(() => planModel(cycle))[0]).toMatchObject({ code: 'graph-cycle' });
    const dangling = graph(
      [4],
      [
        { name: 'a', kind: 'dense', inputs: ['input'], spec: { units: 2 } },
        { name: 'b', kind: 'dense', inputs: ['input'], spec: { units: 2 } },
      ],
      'b',
    );
    expect(diagnosticsOf(() => planModel(dangling))[0]).toMatchObject({
      code: 'unused-node',
      path: 'model.graph.a',
    });
  });

  it('maps tfjs exceptions to the node instead of a stack trace', () => {
    // A kind whose own checks let everything through, so only tfjs objects.
    const unchecked: LayerDefinition = {
      kind: 'unchecked',
      description: 'test only',
      argsSchema: { type: 'object', additionalProperties: false },
      inputs: { min: 1, max: 1 },
      examples: [{}],
      configure: () => ({
        checkInputs: () => undefined,
        createLayers: ({ name }) => [tf.layers.conv2d({ name, filters: 1, kernelSize: 1 })],
      }),
    };
    const model = sequential([4], [{ unchecked: {} }]);
    const before = tf.memory().numTensors;
    const [d, ...rest] = diagnosticsOf(() => planModel(model, { layers: [...LAYERS, unchecked] }));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: 'layer-build-failed',
      path: 'model.layers[0]',
      loc: { line: 10 },
    });
    expect(d!.message).toMatch(
      /^unchecked cannot be built on \[batch, 4\]: .*ndim=4, found ndim=2/,
    );
    expect(d!.message).not.toContain('\n');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports an output that is not a layer', () => {
    const model = { ...sequential([4], [{ dense: { units: 2 } }]), output: 'logits' };
    expect(diagnosticsOf(() => planModel(model))).toEqual([
      expect.objectContaining({ code: 'unknown-output', path: 'model.output' }),
    ]);
  });

  it('reports an unknown kind at the node', () => {
    const model = sequential([4], [{ dnse: { units: 2 } }]);
    expect(diagnosticsOf(() => planModel(model))[0]).toMatchObject({
      code: 'unknown-layer',
      message: 'unknown layer kind "dnse"',
      path: 'model.layers[0]',
    });
  });
});
