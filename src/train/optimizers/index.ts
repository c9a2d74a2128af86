import type { OptimizerSpec } from '../../config/index.js';
import { InternalError } from '../../errors.js';
import { adam } from './adam.js';
import { adamw } from './adamw.js';
import type { OptimizerDefinition } from './optimizer-definition.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';
import type { UpdateRule } from '../update-rules/index.js';

/**
 * The optimizer registry: every `train.optimizer.type` a config may name; the
 * first is the default. To add one, write its file in this folder and add it
 * here; the schema (`npm run schema`), the option rules and the tests follow.
 * Defaults follow PyTorch's, so a config ported from a PyTorch script trains
 * the same way.
 */
export const OPTIMIZERS = [
  adam,
  adamw,
  sgd,
  rmsprop,
] as const satisfies readonly OptimizerDefinition[];

/** The names the registry knows, as a type. */
export type OptimizerName = (typeof OPTIMIZERS)[number]['name'];

/** Builds the update rule of a resolved experiment; options left out take the registry's defaults. */
export function createOptimizer(spec: OptimizerSpec): UpdateRule {
  const { definition, options } = resolveOptimizer(spec);
  return definition.create(options);
}

/** Values of optimizer state kept per trainable parameter (Adam: 2), for the memory estimate. */
export function optimizerStateSlots(spec: OptimizerSpec): number {
  const { definition, options } = resolveOptimizer(spec);
  return definition.stateSlots(options);
}

function resolveOptimizer(spec: OptimizerSpec): {
  definition: OptimizerDefinition;
  options: Record<string, unknown>;
} {
  const definition: OptimizerDefinition | undefined = OPTIMIZERS.find((o) => o.name === spec.type);
  // The schema's enum is built from OPTIMIZERS: an unknown name here is a bug.
  if (!definition) throw new InternalError(`optimizer "${spec.type}" is not in the registry`);
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(definition.options))
    options[key] = spec.options[key] ?? option.default;
  return { definition, options };
}

export { defineOptimizer, type OptimizerDefinition } from './optimizer-definition.js';
