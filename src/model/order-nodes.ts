import type { LayerNode, ModelSpec } from '../config/experiment.js';
import type { Diagnostic } from '../errors.js';

/**
 * The nodes in an order where every node comes after its inputs: file order
 * when the file already is one (the usual case). Duplicate names, unknown
 * inputs and cycles are reported on the node; the config stage normally
 * reports them first, with the same codes.
 */
export function orderNodes(
  model: ModelSpec,
  inputName: string,
  diagnostics: Diagnostic[],
): { node: LayerNode; index: number }[] | undefined {
  const before = diagnostics.length;
  const indexOf = new Map<string, number>();
  model.nodes.forEach((node, index) => {
    const where = { path: node.path, ...(node.loc === undefined ? {} : { loc: node.loc }) };
    if (node.name === inputName || indexOf.has(node.name)) {
      diagnostics.push({
        code: 'duplicate-node',
        message: `node name "${node.name}" is ${node.name === inputName ? 'reserved for the model input' : 'used twice'}`,
        ...where,
      });
    } else indexOf.set(node.name, index);
  });
  for (const node of model.nodes) {
    for (const name of node.inputs) {
      if (name !== inputName && !indexOf.has(name)) {
        diagnostics.push({
          code: 'unknown-input',
          message: `input "${name}" of node "${node.name}" is not a node of the graph`,
          path: node.path,
          ...(node.loc === undefined ? {} : { loc: node.loc }),
        });
      }
    }
  }
  if (diagnostics.length > before) return undefined;
  reportUnused(model, inputName, diagnostics);
  if (diagnostics.length > before) return undefined;

  // Kahn's algorithm, always taking the earliest ready node in file order.
  const remaining = new Map(model.nodes.map((node, index) => [node.name, { node, index }]));
  const done = new Set<string>([inputName]);
  const ordered: { node: LayerNode; index: number }[] = [];
  while (remaining.size > 0) {
    const next = [...remaining.values()].find(({ node }) => node.inputs.every((n) => done.has(n)));
    if (next === undefined) {
      const cycle = [...remaining.values()];
      const first = cycle[0]!.node;
      diagnostics.push({
        code: 'graph-cycle',
        message: `nodes ${cycle.map(({ node }) => `"${node.name}"`).join(', ')} feed each other in a cycle (or from one)`,
        path: first.path,
        ...(first.loc === undefined ? {} : { loc: first.loc }),
      });
      return undefined;
    }
    ordered.push(next);
    done.add(next.node.name);
    remaining.delete(next.node.name);
  }
  return ordered;
}

/** Nodes whose output never reaches the model output are a mistake (a dangling branch). */
function reportUnused(model: ModelSpec, inputName: string, diagnostics: Diagnostic[]): void {
  const byName = new Map(model.nodes.map((node) => [node.name, node]));
  const used = new Set<string>();
  const stack = [model.output];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (used.has(name) || name === inputName) continue;
    used.add(name);
    stack.push(...(byName.get(name)?.inputs ?? []));
  }
  for (const node of model.nodes) {
    if (used.has(node.name) || !byName.has(model.output)) continue;
    diagnostics.push({
      code: 'unused-node',
      message: `node "${node.name}" does not lead to the model output "${model.output}"`,
      hint: 'use it as an input of a later node, or remove it',
      path: node.path,
      ...(node.loc === undefined ? {} : { loc: node.loc }),
    });
  }
}
