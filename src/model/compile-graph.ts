import * as tf from '../tf.js';
import type { LayerNode, ModelSpec } from '../config/experiment.js';
import { MODEL_INPUT, type DiagnosticCode } from '../config/index.js';
import { ConfigError, type Diagnostic } from '../errors.js';
import { createArgsChecker } from './layer-args-check.js';
import { findLayer, LAYERS, type LayerDefinition } from './layers/index.js';
import { orderNodes } from './order-nodes.js';
import { deriveSeed } from './seed.js';
import { formatShape, type Shape } from './shape.js';
import { tfLayerName } from './tf-names.js';

/** Errors reported in one go, at most; more are summarised in one line. */
const MAX_DIAGNOSTICS = 20;

/** One node of the compiled graph: the tf layers it became and its output. */
export interface CompiledNode {
  readonly node: LayerNode;
  readonly index: number;
  readonly layers: readonly tf.layers.Layer[];
  readonly output: tf.SymbolicTensor;
}

/** The model graph applied symbolically: shapes known, weights created, nothing run. */
export interface CompiledGraph {
  readonly input: tf.SymbolicTensor;
  readonly output: tf.SymbolicTensor;
  /** In topological order (file order where the graph allows). */
  readonly nodes: readonly CompiledNode[];
}

/**
 * Applies every node's tf layers to symbolic tensors, in topological order,
 * checking each node's input shapes first. Problems are collected per node
 * (a node fed by a failed node is skipped, so each branch reports its first
 * error) and thrown together as one ConfigError located at the nodes.
 * On error, every weight created so far is disposed.
 */
export function compileGraph(
  model: ModelSpec,
  options: {
    readonly seed: number;
    readonly layers?: readonly LayerDefinition[];
    /** Planning only: weights made as zeros (no random fill; the OS commits zero pages lazily). */
    readonly zeroWeights?: boolean;
  },
): CompiledGraph {
  const registry = options.layers ?? LAYERS;
  const diagnostics: Diagnostic[] = [];
  const inputShape = checkInputShape(model, diagnostics);
  const ordered = orderNodes(model, MODEL_INPUT, diagnostics);
  if (inputShape === undefined || ordered === undefined) throw new ConfigError(diagnostics);

  const checkArgs = createArgsChecker();
  const created: tf.layers.Layer[] = [];
  const input = tf.input({ shape: [...inputShape], name: MODEL_INPUT });
  const outputs = new Map<string, tf.SymbolicTensor>([[MODEL_INPUT, input]]);
  const compiled: CompiledNode[] = [];
  const usedNames = new Set<string>([MODEL_INPUT]);

  for (const { node, index } of ordered) {
    const inputs = node.inputs.map((name) => outputs.get(name));
    if (inputs.some((t) => t === undefined)) continue; // fed by a failed node: already reported
    const problem = (code: DiagnosticCode, message: string, hint?: string): void => {
      diagnostics.push(locate(node, { code, message, ...(hint === undefined ? {} : { hint }) }));
    };
    const definition = findLayer(node.kind, registry);
    if (definition === undefined) {
      problem('unknown-layer', `unknown layer kind "${node.kind}"`);
      continue;
    }
    const args = checkArgs(definition, node);
    if (Array.isArray(args)) {
      diagnostics.push(...args);
      continue;
    }
    const symbolic = inputs as tf.SymbolicTensor[];
    const { min, max = Number.POSITIVE_INFINITY } = definition.inputs;
    if (symbolic.length < min || symbolic.length > max) {
      problem(
        'bad-input-count',
        `${node.kind} ${describeCount(definition)}, found ${symbolic.length}`,
      );
      continue;
    }
    const configured = definition.configure(args);
    const issue = configured.checkInputs(symbolic.map((t) => t.shape));
    if (issue !== undefined) {
      problem(issue.code, issue.message, issue.hint);
      continue;
    }
    const name = tfLayerName(node.name, usedNames);
    let layers: tf.layers.Layer[] = [];
    try {
      layers = configured.createLayers({
        name,
        seed: deriveSeed(options.seed, index),
        inputShapes: symbolic.map((t) => t.shape),
      });
      created.push(...layers);
      let current: tf.SymbolicTensor | tf.SymbolicTensor[] =
        symbolic.length === 1 ? symbolic[0]! : symbolic;
      for (const layer of layers) {
        if (options.zeroWeights) zeroInitializers(layer);
        current = applySymbolic(layer, current);
      }
      const output = current as tf.SymbolicTensor;
      outputs.set(node.name, output);
      compiled.push({ node, index, layers, output });
    } catch (error) {
      // tfjs's own checks: map its message to the node, never a stack trace.
      problem(
        'layer-build-failed',
        `${node.kind} cannot be built on ${symbolic.map((t) => formatShape(t.shape)).join(', ')}: ${firstLine(error)}`,
      );
    }
  }

  const output = outputs.get(model.output);
  if (!model.nodes.some((n) => n.name === model.output)) {
    diagnostics.push({
      code: 'unknown-output',
      message: `the model output "${model.output}" is not a layer of the graph`,
      path: 'model.output',
      ...(model.loc === undefined ? {} : { loc: model.loc }),
    });
  } else if (output !== undefined) {
    checkOutput(model, output.shape, diagnostics);
  }
  if (diagnostics.length > 0 || output === undefined) {
    disposeLayers(created);
    throw new ConfigError(limit(diagnostics));
  }
  return { input, output, nodes: compiled };
}

/** Frees the weights of layers that were created (built or half-built). */
export function disposeLayers(layers: readonly tf.layers.Layer[]): void {
  for (const layer of layers) for (const weight of layer.weights) weight.dispose();
}

/**
 * A plan discards its weights: filling 1.6 billion of them with random values took 45 s and
 * 6 GB before the memory check could refuse the model. Zeros cost neither on the cpu backend.
 */
function zeroInitializers(layer: tf.layers.Layer): void {
  const fields = layer as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    // tfjs-layers does not export its Initializer class: an initializer is what has apply and getConfig.
    if (
      key.endsWith('Initializer') &&
      typeof value === 'object' &&
      value !== null &&
      'apply' in value &&
      'getConfig' in value
    ) {
      fields[key] = tf.initializers.zeros();
    }
  }
}

function applySymbolic(
  layer: tf.layers.Layer,
  input: tf.SymbolicTensor | tf.SymbolicTensor[],
): tf.SymbolicTensor {
  const result = layer.apply(input);
  if (result instanceof tf.SymbolicTensor) return result;
  throw new Error(`layer ${layer.name} did not give one output`);
}

function checkInputShape(
  model: ModelSpec,
  diagnostics: Diagnostic[],
): readonly number[] | undefined {
  const input = model.input;
  if (input === undefined) {
    diagnostics.push({
      code: 'missing-key',
      message:
        'model.input is left out: it is taken from the data, so the model can only be built once the data is loaded',
      hint: 'give model.input (e.g. [28, 28, 1]) to plan the model without its data',
      path: 'model.input',
      ...(model.loc === undefined ? {} : { loc: model.loc }),
    });
    return undefined;
  }
  const ok = input.length > 0 && input.every((d) => Number.isInteger(d) && d > 0);
  if (ok) return input;
  diagnostics.push({
    code: 'bad-input-shape',
    message: `model.input must be a list of positive integers without the batch dimension, found [${input.join(', ')}]`,
    hint: 'e.g. [28, 28, 1] for MNIST images',
    path: 'model.input',
    ...(model.loc === undefined ? {} : { loc: model.loc }),
  });
  return undefined;
}

function checkOutput(model: ModelSpec, shape: Shape, diagnostics: Diagnostic[]): void {
  if (shape.length === 2) return;
  const node = model.nodes.find((n) => n.name === model.output);
  const base = { code: 'bad-output-shape' as const, path: node?.path ?? 'model.output' };
  const loc = node?.loc ?? model.loc;
  diagnostics.push({
    ...base,
    message: `the model output must be [batch, classes], found ${formatShape(shape)}`,
    hint: 'end the model with `- flatten: {}` (or a global pool) and `- dense: {units: <classes>}`',
    ...(loc === undefined ? {} : { loc }),
  });
}

function locate(node: LayerNode, d: Omit<Diagnostic, 'path' | 'loc'>): Diagnostic {
  return { ...d, path: node.path, ...(node.loc === undefined ? {} : { loc: node.loc }) };
}

function describeCount(definition: LayerDefinition): string {
  const { min, max } = definition.inputs;
  if (min === max) return `takes ${min} input${min === 1 ? '' : 's'}`;
  return max === undefined ? `takes at least ${min} inputs` : `takes ${min} to ${max} inputs`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? text;
}

function limit(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return [...diagnostics];
  const rest = diagnostics.length - MAX_DIAGNOSTICS;
  return [
    ...diagnostics.slice(0, MAX_DIAGNOSTICS),
    {
      code: 'too-many-errors',
      message: `${rest} more error${rest === 1 ? '' : 's'} not shown`,
      path: '',
    },
  ];
}
