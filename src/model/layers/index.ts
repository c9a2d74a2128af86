import { ACTIVATION_LAYERS } from './activations.js';
import { CONVOLUTION_LAYERS } from './convolution.js';
import { CORE_LAYERS } from './core.js';
import type { LayerDefinition } from './layer-definition.js';
import { MERGE_LAYERS } from './merge.js';
import { NORMALIZATION_LAYERS } from './normalization.js';
import { POOLING_LAYERS } from './pooling.js';
import { zeroPadding2d } from './zero-padding.js';

/**
 * The layer registry: every kind a config may name. To add a kind, write its
 * definition in this folder and add it here; the JSON Schema
 * (`runner schema`), docs and table-driven tests pick it up.
 */
export const LAYERS: readonly LayerDefinition[] = [
  ...CONVOLUTION_LAYERS,
  ...POOLING_LAYERS,
  ...CORE_LAYERS,
  ...NORMALIZATION_LAYERS,
  zeroPadding2d,
  ...MERGE_LAYERS,
  ...ACTIVATION_LAYERS,
];

/** The definition of a kind, or undefined. */
export function findLayer(
  kind: string,
  layers: readonly LayerDefinition[] = LAYERS,
): LayerDefinition | undefined {
  return layers.find((layer) => layer.kind === kind);
}

export type {
  ConfiguredLayer,
  InputCount,
  JsonSchema,
  LayerArgs,
  LayerContext,
  LayerDefinition,
  ShapeIssue,
} from './layer-definition.js';
export { ACTIVATION_NAMES, type ActivationName } from './activations.js';
