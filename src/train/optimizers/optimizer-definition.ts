import type * as tf from '../../tf.js';
import type { OptimizerConfigEntry, OptimizerOptionEntry } from '../../config/index.js';

type Widen<T> = T extends number ? number : T extends boolean ? boolean : string;

/** The options an optimizer's `create` gets: every declared option, defaults filled in. */
export type ResolvedOptions<O extends Readonly<Record<string, OptimizerOptionEntry>>> = {
  readonly [K in keyof O]: Widen<O[K]['default']>;
};

/**
 * One entry of the optimizer registry: what config needs (name, description,
 * options with schema and default) and how to build the tfjs optimizer.
 */
export interface OptimizerDefinition<Name extends string = string> extends OptimizerConfigEntry {
  readonly name: Name;
  /** `options` holds every declared option, the config's value or the default. */
  create(learningRate: number, options: Readonly<Record<string, unknown>>): tf.Optimizer;
}

/**
 * Declares an optimizer; `create` sees its options typed by their defaults.
 *
 * @example
 *   export const sgd = defineOptimizer({
 *     name: 'sgd',
 *     description: 'stochastic gradient descent',
 *     options: {},
 *     create: (learningRate) => tf.train.sgd(learningRate),
 *   });
 */
export function defineOptimizer<
  const Name extends string,
  O extends Readonly<Record<string, OptimizerOptionEntry>>,
>(definition: {
  readonly name: Name;
  readonly description: string;
  readonly options: O;
  create(learningRate: number, options: ResolvedOptions<O>): tf.Optimizer;
}): OptimizerDefinition<Name> {
  return {
    name: definition.name,
    description: definition.description,
    options: definition.options,
    // The caller resolves every declared option (createOptimizer), so the cast holds.
    create: (learningRate, options) =>
      definition.create(learningRate, options as ResolvedOptions<O>),
  };
}
