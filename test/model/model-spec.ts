import type { LayerNode, ModelSpec } from '../../src/config/experiment.js';

/** A ModelSpec in the sequential form, as the config stage resolves `model.layers`. */
export function sequential(
  input: readonly number[],
  layers: readonly Readonly<Record<string, Readonly<Record<string, unknown>>>>[],
  file = 'test.yaml',
): ModelSpec {
  const counts = new Map<string, number>();
  let previous = 'input';
  const nodes: LayerNode[] = layers.map((entry, i) => {
    const [kind, spec] = Object.entries(entry)[0]!;
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    const node: LayerNode = {
      kind,
      name: `${kind}_${n}`,
      inputs: [previous],
      spec,
      path: `model.layers[${i}]`,
      loc: { file, line: 10 + i, col: 7 },
    };
    previous = node.name;
    return node;
  });
  return { input, nodes, output: previous, loc: { file, line: 8, col: 3 } };
}

/** A ModelSpec in the graph form: named nodes with explicit inputs. */
export function graph(
  input: readonly number[],
  nodes: readonly {
    name: string;
    kind: string;
    inputs: string[];
    spec?: Record<string, unknown>;
  }[],
  output: string,
  file = 'graph.yaml',
): ModelSpec {
  return {
    input,
    nodes: nodes.map((n, i) => ({
      kind: n.kind,
      name: n.name,
      inputs: n.inputs,
      spec: n.spec ?? {},
      path: `model.graph.${n.name}`,
      loc: { file, line: 20 + i, col: 5 },
    })),
    output,
    loc: { file, line: 18, col: 3 },
  };
}

export const LENET = sequential(
  [28, 28, 1],
  [
    { conv2d: { filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' } },
    { maxPool2d: { poolSize: 2 } },
    { conv2d: { filters: 16, kernelSize: 5, activation: 'relu' } },
    { maxPool2d: { poolSize: 2 } },
    { flatten: {} },
    { dense: { units: 120, activation: 'relu' } },
    { dense: { units: 84, activation: 'relu' } },
    { dense: { units: 10 } },
  ],
);

/** The tutorial's net: three conv-BN-leakyReLU-pool blocks and one dense layer. */
export const MYCNN = sequential(
  [28, 28, 1],
  [
    { conv2d: { filters: 3, kernelSize: 3, padding: 2 } },
    { batchNorm: {} },
    { leakyRelu: { alpha: 0.2 } },
    { maxPool2d: { poolSize: 2 } },
    { conv2d: { filters: 16, kernelSize: 3, padding: 1 } },
    { batchNorm: {} },
    { leakyRelu: { alpha: 0.2 } },
    { maxPool2d: { poolSize: 2 } },
    { conv2d: { filters: 32, kernelSize: 3, padding: 1 } },
    { batchNorm: {} },
    { leakyRelu: { alpha: 0.2 } },
    { maxPool2d: { poolSize: 2 } },
    { flatten: {} },
    { dense: { units: 10 } },
  ],
);
