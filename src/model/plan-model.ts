import type * as tf from '../tf.js';
import type { ModelSpec } from '../config/experiment.js';
import { compileGraph, disposeLayers } from './compile-graph.js';
import type { LayerDefinition } from './layers/index.js';
import type { Shape } from './shape.js';

/** One node of the graph as compiled: what `runner plan` prints per row. */
export interface LayerPlan {
  readonly name: string;
  readonly kind: string;
  /** The document path, e.g. `model.layers[2]`. */
  readonly path: string;
  readonly inputs: readonly string[];
  readonly outputShape: Shape;
  readonly trainableParams: number;
  readonly nonTrainableParams: number;
}

/** The compiled model without its weights: shapes and parameter counts. */
export interface ModelPlan {
  readonly layers: readonly LayerPlan[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly trainableParams: number;
  /** E.g. batch norm's moving mean and variance. */
  readonly nonTrainableParams: number;
  readonly totalParams: number;
}

/**
 * Checks a model graph and infers every node's output shape and parameter
 * counts, by building it symbolically with tfjs (so plan and training agree
 * by construction), then frees the weights. Needs a tf backend (any).
 *
 * @throws ConfigError with every shape problem, located at its node.
 * @example
 * const plan = planModel(experiment.model);
 * plan.trainableParams; // 61706 for configs/lenet.yaml
 */
export function planModel(
  model: ModelSpec,
  options: { readonly layers?: readonly LayerDefinition[] } = {},
): ModelPlan {
  const graph = compileGraph(model, { seed: 0, ...options, zeroWeights: true });
  try {
    const layers = graph.nodes.map(({ node, layers, output }): LayerPlan => ({
      name: node.name,
      kind: node.kind,
      path: node.path,
      inputs: node.inputs,
      outputShape: output.shape,
      trainableParams: countParams(layers, 'trainableWeights'),
      nonTrainableParams: countParams(layers, 'nonTrainableWeights'),
    }));
    const trainableParams = sum(layers.map((l) => l.trainableParams));
    const nonTrainableParams = sum(layers.map((l) => l.nonTrainableParams));
    return {
      layers,
      inputShape: graph.input.shape,
      outputShape: graph.output.shape,
      trainableParams,
      nonTrainableParams,
      totalParams: trainableParams + nonTrainableParams,
    };
  } finally {
    disposeLayers(graph.nodes.flatMap((n) => n.layers));
  }
}

function countParams(
  layers: readonly tf.layers.Layer[],
  which: 'trainableWeights' | 'nonTrainableWeights',
): number {
  return sum(
    layers.flatMap((layer) =>
      layer[which].map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 0), 1)),
    ),
  );
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
