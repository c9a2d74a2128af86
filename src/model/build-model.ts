import * as tf from '../tf.js';
import type { ModelSpec } from '../config/experiment.js';
import { compileGraph } from './compile-graph.js';
import type { LayerDefinition } from './layers/index.js';
import { fuseLeakyReluAfterBatchNorm } from './layers/batch-norm-training.js';

/**
 * Builds the tf.LayersModel of a model graph with seeded initial weights:
 * the same seed gives the same weights. The output is the logits
 * ([batch, classes]); the caller compiles it with its optimizer and loss,
 * and disposes it (`model.dispose()`).
 *
 * @throws ConfigError with every shape problem, located at its node.
 * @example
 * const model = buildModel(experiment.model, { seed: experiment.seed });
 */
export function buildModel(
  model: ModelSpec,
  options: {
    readonly seed: number;
    readonly name?: string;
    readonly layers?: readonly LayerDefinition[];
  },
): tf.LayersModel {
  const graph = compileGraph(model, options);
  const built = tf.model({
    inputs: graph.input,
    outputs: graph.output,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  fuseLeakyReluAfterBatchNorm(built);
  return built;
}
