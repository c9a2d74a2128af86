import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { errorLinesOf } from './config-test-kit.js';
import { useTempDir } from '../test-kit.js';

/** An experiment whose model.layers are `layers` (YAML lines indented by 4). */
const withLayers = (layers: string, extra = ''): string => `name: graph
data: {dataset: synthetic, batchSize: 8}
model:
  input: [28, 28, 1]
  layers:
${layers}
${extra}train: {epochs: 1}
`;

describe('layer graph', () => {
  const { write, dir } = useTempDir('config');
  const load = (text: string, set: string[] = []) => {
    write('g.yaml', text);
    return loadExperiment('g.yaml', { registries: REGISTRIES, cwd: dir(), set });
  };

  it('names unnamed layers <kind>_<position> and chains each to the previous one', async () => {
    const { model } = await load(
      withLayers(
        '    - flatten:\n    - name: hidden\n      dense: {units: 4}\n    - dense: {units: 2}',
      ),
    );
    expect(model.nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['flatten_1', ['input']],
      ['hidden', ['flatten_1']],
      ['dense_3', ['hidden']],
    ]);
    expect(model.nodes[0]?.spec).toEqual({}); // `- flatten:` with no value
    expect(model.nodes.map((n) => n.path)).toEqual([
      'model.layers[0]',
      'model.layers[1]',
      'model.layers[2]',
    ]);
    expect(model.nodes.map((n) => n.loc?.line)).toEqual([6, 7, 9]);
    expect(model.output).toBe('dense_3');
  });

  it('accepts inputs that name later layers, and an explicit output', async () => {
    const { model } = await load(
      withLayers(
        [
          '    - name: head',
          '      dense: {units: 2}',
          '      inputs: [flat]',
          '    - name: flat',
          '      flatten: {}',
          '      inputs: [input]',
        ].join('\n'),
        '  output: head\n',
      ),
    );
    expect(model.nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['head', ['flat']],
      ['flat', ['input']],
    ]);
    expect(model.output).toBe('head');
  });

  it('names a layer that takes itself as a cycle', async () => {
    const lines = await errorLinesOf(
      load(
        withLayers(
          '    - name: loop\n      relu: {}\n      inputs: [loop]\n    - flatten: {}\n    - dense: {units: 2}',
        ),
      ),
    );
    expect(lines).toEqual([
      'g.yaml:6:7 error graph-cycle: model.layers[0]: layers form a cycle: loop → loop (a layer can only take layers that do not depend on it)',
    ]);
  });

  it.each([
    [
      'an item with no layer kind',
      '    - name: lonely\n    - dense: {units: 2}',
      /^g\.yaml:6:7 error missing-layer-kind: model\.layers\[0\]: no layer kind in this item \(add one, e\.g\. "dense: \{units: 10\}"; kinds: conv2d, /,
    ],
    [
      'a layer written as a bare word',
      '    - flatten\n    - dense: {units: 2}',
      /^g\.yaml:6:7 error wrong-type: model\.layers\[0\]: expected mapping, found string "flatten" \(write it as "- flatten: \{\}"\)$/,
    ],
    [
      'a layer named input',
      '    - name: input\n      flatten: {}\n    - dense: {units: 2}',
      /^g\.yaml:6:13 error reserved-name: model\.layers\[0\]\.name: "input" is the model input and cannot name a layer/,
    ],
    [
      'a layer name with spaces',
      '    - name: my layer\n      flatten: {}\n    - dense: {units: 2}',
      /^g\.yaml:6:13 error invalid-value: model\.layers\[0\]\.name: "my layer" is not a valid layer name \(use letters, digits/,
    ],
    [
      'a layer with required arguments left empty',
      '    - flatten: {}\n    - dense:',
      /^g\.yaml:7:7 error wrong-type: model\.layers\[1\]\.dense: expected mapping, found nothing \(an empty value\) \(it needs units\)$/,
    ],
    [
      'a softmax output layer',
      '    - flatten: {}\n    - dense: {units: 2}\n    - softmax: {}',
      /^g\.yaml:8:7 error softmax-before-loss: model\.layers\[2\]: the output layer "softmax_3" is a softmax, but crossEntropy expects logits/,
    ],
  ])('refuses %s', async (_what, layers, line) => {
    const lines = await errorLinesOf(load(withLayers(layers)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('points at the --set flag when the override broke the graph', async () => {
    const text = withLayers('    - flatten: {}\n    - dense: {units: 2}');
    const lines = await errorLinesOf(
      load(text, ['model.layers[1]={name: out, dense: {units: 2}, inputs: [flatten_2]}']),
    );
    expect(lines).toEqual([
      'error unknown-input: --set model.layers[1].inputs[0]: layer "out" takes "flatten_2", which is not a layer (did you mean "flatten_1"?)',
    ]);
  });
});
