import type { OptimizerConfigEntry, OptimizerOptionEntry } from '../../config/index.js';
import type { UpdateRule } from '../update-rules/index.js';

type Widen<T> = T extends number ? number : T extends boolean ? boolean : string;

/** The options an optimizer's `create` gets: every declared option, defaults filled in. */
export type ResolvedOptions<O extends Readonly<Record<string, OptimizerOptionEntry>>> = {
  readonly [K in keyof O]: Widen<O[K]['default']>;
};

/**
 * One entry of the optimizer registry: what config needs (name, description,
 * options with schema and default) and how to build its update rule (runner
 * applies updates itself, so that the whole state can be checkpointed).
 */
export interface OptimizerDefinition<Name extends string = string> extends OptimizerConfigEntry {
  readonly name: Name;
  /** `options` holds every declared option, the config's value or the default. */
  create(options: Readonly<Record<string, unknown>>): UpdateRule;
  /** Values of state kept per trainable parameter (Adam's two moments: 2), for the memory estimate. */
  stateSlots(options: Readonly<Record<string, unknown>>): number;
}

/**
 * Declares an optimizer; `create` sees its options typed by their defaults.
 *
 * @example
 *   export const sgd = defineOptimizer({
 *     name: 'sgd',
 *     description: 'stochastic gradient descent',
 *     options: {},
 *     create: () => createSgd({ momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }),
 *     stateSlots: () => 0,
 *   });
 */
export function defineOptimizer<
  const Name extends string,
  O extends Readonly<Record<string, OptimizerOptionEntry>>,
>(definition: {
  readonly name: Name;
  readonly description: string;
  readonly options: O;
  create(options: ResolvedOptions<O>): UpdateRule;
  stateSlots(options: ResolvedOptions<O>): number;
}): OptimizerDefinition<Name> {
  return {
    name: definition.name,
    description: definition.description,
    options: definition.options,
    // The caller resolves every declared option (createOptimizer), so the cast holds.
    create: (options) => definition.create(options as ResolvedOptions<O>),
    stateSlots: (options) => definition.stateSlots(options as ResolvedOptions<O>),
  };
}
