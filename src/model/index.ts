/**
 * The model stage: layer registry, shape inference and parameter counts
 * (`planModel`), and the tf.LayersModel (`buildModel`).
 */
export { buildModel } from './build-model.js';
export { planModel, type LayerPlan, type ModelPlan } from './plan-model.js';
export { quietTf } from './quiet-tf.js';
export { registerRunnerLayers } from './register-runner-layers.js';
export { deriveSeed } from './seed.js';
export { SeededDropout } from './layers/seeded-dropout.js';
export { formatShape, valuesPerExample, type Shape } from './shape.js';
export { MODEL_INPUT } from '../config/index.js';
export {
  LAYERS,
  findLayer,
  ACTIVATION_NAMES,
  type ActivationName,
  type ConfiguredLayer,
  type InputCount,
  type JsonSchema,
  type LayerArgs,
  type LayerContext,
  type LayerDefinition,
  type ShapeIssue,
} from './layers/index.js';
