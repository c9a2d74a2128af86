import type { Diagnostic } from '../errors.js';
import type { LayerNode } from './experiment.js';
import { closestMatch } from './did-you-mean.js';
import { formatPath, isPlainObject, type PathSegment } from './document-path.js';
import { LAYER_ITEM_KEYS } from './build-experiment-schema.js';
import { locationOf, type SourceMap } from './source-map.js';
import type { InputLimits } from './validate-schema.js';

/** The name the model input goes by in `inputs:`. */
export const MODEL_INPUT = 'input';

export interface LayerGraph {
  /** Undefined when an item is malformed (reported by the schema check or here). */
  readonly nodes: readonly LayerNode[] | undefined;
  readonly output: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads `model.layers` into graph nodes and checks what needs no tensors:
 * one layer kind per item, unique names, inputs that exist, no cycles, every
 * layer used. Robust to a document that failed the schema check (malformed
 * items are skipped and the graph checks wait until they are fixed).
 */
export function checkLayerGraph(
  document: Readonly<Record<string, unknown>>,
  sourceMap: SourceMap,
  layerKinds: readonly string[],
  layerInputs: Readonly<Record<string, InputLimits>> = {},
): LayerGraph {
  const diagnostics: Diagnostic[] = [];
  // Wrong input counts do not stop the other graph checks.
  const countProblems: Diagnostic[] = [];
  const report = (
    path: readonly PathSegment[],
    code: string,
    message: string,
    hint?: string,
    into: Diagnostic[] = diagnostics,
  ): void => {
    const { loc, setFlag } = locationOf(sourceMap, path);
    into.push({
      code,
      path: setFlag ? `--set ${formatPath(path)}` : formatPath(path),
      message,
      ...(loc ? { loc } : {}),
      ...(hint ? { hint } : {}),
    });
  };
  const model = document['model'];
  const layers = isPlainObject(model) ? model['layers'] : undefined;
  if (!Array.isArray(layers)) return { nodes: undefined, output: undefined, diagnostics };

  const nodes: LayerNode[] = [];
  let malformed = false;
  layers.forEach((item: unknown, index) => {
    const path: PathSegment[] = ['model', 'layers', index];
    if (!isPlainObject(item)) {
      malformed = true; // the schema check reports the type
      return;
    }
    const keys = Object.keys(item);
    const kinds = keys.filter((k) => layerKinds.includes(k));
    const unknown = keys.filter(
      (k) => !kinds.includes(k) && !(LAYER_ITEM_KEYS as readonly string[]).includes(k),
    );
    if (kinds.length > 1) {
      report(
        path,
        'multiple-layer-kinds',
        `one item holds ${kinds.length} layers (${kinds.join(', ')})`,
        'put each layer in its own list item: "- conv2d: {...}"',
      );
    }
    const kind = kinds[0];
    if (kind === undefined) {
      if (unknown.length === 0) {
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
    const name = item['name'];
    const inputs = item['inputs'];
    if (
      (name !== undefined && typeof name !== 'string') ||
      (inputs !== undefined && !isStringList(inputs))
    ) {
      malformed = true;
      return;
    }
    const args = item[kind];
    const previous = nodes[nodes.length - 1];
    nodes.push({
      kind,
      name: name ?? `${kind}_${index + 1}`,
      inputs: inputs ?? [previous && nodes.length === index ? previous.name : MODEL_INPUT],
      spec: Object.freeze(isPlainObject(args) ? { ...args } : {}),
      path: formatPath(path),
      loc: locationOf(sourceMap, path).loc,
    });
  });
  if (malformed || nodes.length === 0) return { nodes: undefined, output: undefined, diagnostics };

  const byName = new Map<string, { node: LayerNode; index: number }>();
  nodes.forEach((node, index) => {
    const path: PathSegment[] = ['model', 'layers', index];
    const named = layers[index] as Record<string, unknown>;
    const namePath = named['name'] === undefined ? path : [...path, 'name'];
    if (node.name === MODEL_INPUT) {
      report(
        namePath,
        'reserved-name',
        `"${MODEL_INPUT}" is the model input and cannot name a layer`,
        'pick another name',
      );
      return;
    }
    const first = byName.get(node.name);
    if (first) {
      report(
        namePath,
        'duplicate-name',
        `layer name "${node.name}" is already used by ${first.node.path}`,
        'give each layer its own name',
      );
    } else byName.set(node.name, { node, index });
  });

  const names = [MODEL_INPUT, ...byName.keys()];
  let unresolved = false;
  nodes.forEach((node, index) => {
    const given = (layers[index] as Record<string, unknown>)['inputs'];
    node.inputs.forEach((input, j) => {
      if (input === MODEL_INPUT || byName.has(input)) return;
      unresolved = true;
      const suggestion = closestMatch(input, names);
      report(
        Array.isArray(given) ? ['model', 'layers', index, 'inputs', j] : ['model', 'layers', index],
        'unknown-input',
        `layer "${node.name}" takes "${input}", which is not a layer`,
        suggestion ? `did you mean "${suggestion}"?` : `known: ${names.join(', ')}`,
      );
    });
  });

  nodes.forEach((node, index) => {
    const limits = layerInputs[node.kind] ?? { min: 1, max: 1 };
    const count = node.inputs.length;
    const given = (layers[index] as Record<string, unknown>)['inputs'] !== undefined;
    const at: PathSegment[] = given
      ? ['model', 'layers', index, 'inputs']
      : ['model', 'layers', index];
    if (count < limits.min) {
      report(
        at,
        'layer-inputs',
        `${node.kind} needs at least ${limits.min} inputs, found ${count}`,
        'list the layers it joins: inputs: [a, b]',
        countProblems,
      );
    } else if (limits.max !== undefined && count > limits.max) {
      report(
        at,
        'layer-inputs',
        `${node.kind} takes ${limits.max} input${limits.max === 1 ? '' : 's'}, found ${count}`,
        'join branches with add or concatenate first',
        countProblems,
      );
    }
  });

  const declared = isPlainObject(model) ? model['output'] : undefined;
  const output = typeof declared === 'string' ? declared : nodes[nodes.length - 1]?.name;
  if (typeof declared === 'string' && !byName.has(declared)) {
    const suggestion = closestMatch(declared, [...byName.keys()]);
    report(
      ['model', 'output'],
      'unknown-output',
      `"${declared}" is not a layer`,
      suggestion ? `did you mean "${suggestion}"?` : undefined,
    );
    unresolved = true;
  }
  const failed = (): LayerGraph => ({
    nodes: undefined,
    output,
    diagnostics: [...diagnostics, ...countProblems],
  });
  if (unresolved || diagnostics.length > 0) return failed();

  for (const cycle of findCycles(nodes, byName)) {
    const first = cycle[0] as LayerNode;
    report(
      pathOf(first),
      'graph-cycle',
      `layers form a cycle: ${[...cycle, first].map((n) => n.name).join(' → ')}`,
      'a layer can only take layers that do not depend on it',
    );
  }
  if (diagnostics.length > 0) return failed();

  const consumed = new Set(nodes.flatMap((n) => n.inputs));
  for (const node of nodes) {
    if (node.name === output || consumed.has(node.name)) continue;
    report(
      pathOf(node),
      'dangling-layer',
      `layer "${node.name}" is not used: no layer takes it and it is not the output (${output ?? '?'})`,
      'add it to the inputs of a later layer, or remove it',
    );
  }
  if (diagnostics.length > 0 || countProblems.length > 0) return failed();
  return { nodes, output, diagnostics };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function pathOf(node: LayerNode): PathSegment[] {
  const index = Number(/\[(\d+)\]$/.exec(node.path)?.[1] ?? 0);
  return ['model', 'layers', index];
}

/** Each cycle once, as the nodes on it in order, starting from the one first in the file. */
function findCycles(
  nodes: readonly LayerNode[],
  byName: ReadonlyMap<string, { node: LayerNode; index: number }>,
): LayerNode[][] {
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
      if (seen === 'active') {
        const cycle = stack.slice(stack.indexOf(next)).reverse();
        cycles.push(rotateToFirst(cycle, byName));
      } else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node.name, 'done');
  };
  for (const node of nodes) if (!state.has(node.name)) visit(node);
  return cycles;
}

/** Cycle in data-flow order (input → consumer), starting at the node earliest in the file. */
function rotateToFirst(
  cycle: LayerNode[],
  byName: ReadonlyMap<string, { node: LayerNode; index: number }>,
): LayerNode[] {
  let start = 0;
  cycle.forEach((node, i) => {
    if ((byName.get(node.name)?.index ?? 0) < (byName.get(cycle[start]?.name ?? '')?.index ?? 0))
      start = i;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}
