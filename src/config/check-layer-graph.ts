import type { DiagnosticCode } from './diagnostic-codes.js';
import type { Diagnostic } from '../errors.js';
import type { LayerNode } from './experiment.js';
import { LAYER_ITEM_KEYS } from './build-experiment-schema.js';
import { closestMatch } from './did-you-mean.js';
import { formatPath, isPlainObject, type PathSegment } from './document-path.js';
import { diagnosticAt, locationOf, type SourceMap } from './source-map.js';
import type { InputLimits } from './validate-schema.js';

/** The name the model input goes by in `inputs:`. */
export const MODEL_INPUT = 'input';

export interface LayerGraph {
  /** Undefined when the graph has a problem (then `diagnostics` says which). */
  readonly nodes: readonly LayerNode[] | undefined;
  readonly output: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

type Report = (
  path: readonly PathSegment[],
  code: DiagnosticCode,
  message: string,
  hint?: string,
) => void;
type NodeIndex = ReadonlyMap<string, { readonly node: LayerNode; readonly index: number }>;

/**
 * Reads `model.layers` into graph nodes and checks what needs no tensors:
 * one layer kind per item, input counts, unique names, inputs that exist, an
 * output that exists, no cycles, every layer used. Robust to a document that
 * failed the schema check: malformed items are left to its diagnostics.
 */
export function checkLayerGraph(
  document: Readonly<Record<string, unknown>>,
  sourceMap: SourceMap,
  layerKinds: readonly string[],
  layerInputs: Readonly<Record<string, InputLimits>> = {},
): LayerGraph {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (path, code, message, hint) =>
    diagnostics.push(diagnosticAt(sourceMap, path, code, message, { hint }));
  const model = document['model'];
  const layers = isPlainObject(model) ? model['layers'] : undefined;
  if (!Array.isArray(layers)) return { nodes: undefined, output: undefined, diagnostics };
  const nodes = readNodes(layers, layerKinds, sourceMap, report);
  if (!nodes) return { nodes: undefined, output: undefined, diagnostics };

  // Wrong input counts do not hide the other graph problems, nor they them.
  const countProblems: Diagnostic[] = [];
  checkInputCounts(nodes, layers, layerInputs, (path, code, message, hint) =>
    countProblems.push(diagnosticAt(sourceMap, path, code, message, { hint })),
  );
  const byName = indexNames(nodes, layers, report);
  checkInputsExist(nodes, layers, byName, report);
  const output = readOutput(model, nodes, byName, report);
  // A cycle or a dangling layer only means something once every name resolves.
  if (diagnostics.length === 0) checkCycles(nodes, byName, report);
  if (diagnostics.length === 0) checkDangling(nodes, output, report);
  const all = [...diagnostics, ...countProblems];
  return all.length > 0
    ? { nodes: undefined, output, diagnostics: all }
    : { nodes, output, diagnostics: [] };
}

/** Items → nodes, or undefined when an item is malformed. */
function readNodes(
  layers: readonly unknown[],
  layerKinds: readonly string[],
  sourceMap: SourceMap,
  report: Report,
): LayerNode[] | undefined {
  const nodes: LayerNode[] = [];
  let malformed = false;
  layers.forEach((item, index) => {
    const path: PathSegment[] = ['model', 'layers', index];
    if (!isPlainObject(item)) {
      malformed = true; // the schema check reports the type
      return;
    }
    const keys = Object.keys(item);
    const kinds = keys.filter((k) => layerKinds.includes(k));
    if (kinds.length > 1) {
      report(
        path,
        'multiple-layer-kinds',
        `one item holds ${kinds.length} layers (${kinds.join(', ')})`,
        'put each layer in its own list item: "- conv2d: {...}"',
      );
    }
    const kind = kinds[0];
    const name = item['name'];
    const inputs = item['inputs'];
    if (kind === undefined) {
      const itemKeys: readonly string[] = LAYER_ITEM_KEYS;
      if (keys.every((k) => itemKeys.includes(k))) {
        report(
          path,
          'missing-layer-kind',
          'no layer kind in this item',
          `add one, e.g. "dense: {units: 10}"; kinds: ${layerKinds.join(', ')}`,
        );
      }
      malformed = true; // an unknown kind is reported by the schema check
      return;
    }
    if (
      (name !== undefined && typeof name !== 'string') ||
      (inputs !== undefined && !isStringList(inputs))
    ) {
      malformed = true; // wrong types are reported by the schema check
      return;
    }
    const previous = nodes[index - 1];
    const args = item[kind];
    nodes.push({
      kind,
      name: name ?? `${kind}_${index + 1}`,
      inputs: inputs ?? [previous ? previous.name : MODEL_INPUT],
      spec: Object.freeze(isPlainObject(args) ? { ...args } : {}),
      path: formatPath(path),
      loc: locationOf(sourceMap, path).loc,
    });
  });
  return malformed ? undefined : nodes;
}

/** `add` takes two or more, most layers exactly one (limits from the schema). */
function checkInputCounts(
  nodes: readonly LayerNode[],
  layers: readonly unknown[],
  layerInputs: Readonly<Record<string, InputLimits>>,
  report: Report,
): void {
  nodes.forEach((node, index) => {
    const { min, max } = layerInputs[node.kind] ?? { min: 1, max: 1 };
    const count = node.inputs.length;
    const at = inputsWritten(layers, index)
      ? ['model', 'layers', index, 'inputs']
      : ['model', 'layers', index];
    if (count < min) {
      report(
        at,
        'layer-inputs',
        `${node.kind} needs at least ${min} inputs, found ${count}`,
        'list the layers it joins: inputs: [a, b]',
      );
    } else if (max !== undefined && count > max) {
      report(
        at,
        'layer-inputs',
        `${node.kind} takes ${max} input${max === 1 ? '' : 's'}, found ${count}`,
        'join branches with add or concatenate first',
      );
    }
  });
}

function indexNames(
  nodes: readonly LayerNode[],
  layers: readonly unknown[],
  report: Report,
): NodeIndex {
  const byName = new Map<string, { node: LayerNode; index: number }>();
  nodes.forEach((node, index) => {
    const at =
      isPlainObject(layers[index]) && layers[index]['name'] !== undefined
        ? ['model', 'layers', index, 'name']
        : ['model', 'layers', index];
    const first = byName.get(node.name);
    if (node.name === MODEL_INPUT) {
      report(
        at,
        'reserved-name',
        `"${MODEL_INPUT}" is the model input and cannot name a layer`,
        'pick another name',
      );
    } else if (first) {
      report(
        at,
        'duplicate-name',
        `layer name "${node.name}" is already used by ${first.node.path}`,
        'give each layer its own name',
      );
    } else {
      byName.set(node.name, { node, index });
    }
  });
  return byName;
}

function checkInputsExist(
  nodes: readonly LayerNode[],
  layers: readonly unknown[],
  byName: NodeIndex,
  report: Report,
): void {
  const names = [MODEL_INPUT, ...byName.keys()];
  nodes.forEach((node, index) => {
    node.inputs.forEach((input, j) => {
      if (input === MODEL_INPUT || byName.has(input)) return;
      const suggestion = closestMatch(input, names);
      report(
        inputsWritten(layers, index)
          ? ['model', 'layers', index, 'inputs', j]
          : ['model', 'layers', index],
        'unknown-input',
        `layer "${node.name}" takes "${input}", which is not a layer`,
        suggestion ? `did you mean "${suggestion}"?` : `known: ${names.join(', ')}`,
      );
    });
  });
}

/** `model.output`, else the last layer. */
function readOutput(
  model: unknown,
  nodes: readonly LayerNode[],
  byName: NodeIndex,
  report: Report,
): string | undefined {
  const declared = isPlainObject(model) ? model['output'] : undefined;
  if (typeof declared !== 'string') return nodes[nodes.length - 1]?.name;
  if (!byName.has(declared)) {
    const suggestion = closestMatch(declared, [...byName.keys()]);
    report(
      ['model', 'output'],
      'unknown-output',
      `"${declared}" is not a layer`,
      suggestion ? `did you mean "${suggestion}"?` : undefined,
    );
  }
  return declared;
}

function checkCycles(nodes: readonly LayerNode[], byName: NodeIndex, report: Report): void {
  for (const cycle of findCycles(nodes, byName)) {
    const first = cycle[0] as LayerNode;
    report(
      pathOf(first, byName),
      'graph-cycle',
      `layers form a cycle: ${[...cycle, first].map((n) => n.name).join(' → ')}`,
      'a layer can only take layers that do not depend on it',
    );
  }
}

function checkDangling(
  nodes: readonly LayerNode[],
  output: string | undefined,
  report: Report,
): void {
  const consumed = new Set(nodes.flatMap((n) => n.inputs));
  nodes.forEach((node, index) => {
    if (node.name === output || consumed.has(node.name)) return;
    report(
      ['model', 'layers', index],
      'dangling-layer',
      `layer "${node.name}" is not used: no layer takes it and it is not the output (${output ?? '?'})`,
      'add it to the inputs of a later layer, or remove it',
    );
  });
}

function inputsWritten(layers: readonly unknown[], index: number): boolean {
  const item = layers[index];
  return isPlainObject(item) && item['inputs'] !== undefined;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function pathOf(node: LayerNode, byName: NodeIndex): PathSegment[] {
  return ['model', 'layers', byName.get(node.name)?.index ?? 0];
}

/** Each cycle once, in data-flow order (input → consumer), starting at the layer first in the file. */
function findCycles(nodes: readonly LayerNode[], byName: NodeIndex): LayerNode[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: LayerNode[] = [];
  const cycles: LayerNode[][] = [];
  const visit = (node: LayerNode): void => {
    state.set(node.name, 'active');
    stack.push(node);
    for (const input of node.inputs) {
      const next = byName.get(input)?.node;
      if (!next) continue;
      const seen = state.get(next.name);
      // The stack runs consumer → input; reversed, it is the order data flows.
      if (seen === 'active')
        cycles.push(startAtFirst(stack.slice(stack.indexOf(next)).reverse(), byName));
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node.name, 'done');
  };
  for (const node of nodes) if (!state.has(node.name)) visit(node);
  return cycles;
}

function startAtFirst(cycle: readonly LayerNode[], byName: NodeIndex): LayerNode[] {
  const position = (node: LayerNode): number => byName.get(node.name)?.index ?? 0;
  let start = 0;
  cycle.forEach((node, i) => {
    if (position(node) < position(cycle[start] as LayerNode)) start = i;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}
