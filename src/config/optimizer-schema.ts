import type { OptimizerConfigEntry, OptimizerOptionEntry } from './registry-entries.js';

/** Keys of `train.optimizer` every optimizer reads; no optimizer may declare them as its own. */
export const COMMON_OPTIMIZER_KEYS = ['type', 'learningRate'] as const;

/**
 * `train.optimizer:` built from the optimizer registry: `type` lists the
 * registered names (the first is the default), and each option any optimizer
 * reads is a key, described with who reads it and the default of each.
 * Options are one flat object, as in PyTorch's keyword arguments; the rules
 * refuse an option the chosen optimizer does not read.
 */
export function optimizerSchema(
  optimizers: readonly OptimizerConfigEntry[],
): Record<string, unknown> {
  const names = optimizers.map((o) => o.name);
  const type =
    names.length > 0
      ? {
          enum: names,
          default: names[0],
          description: `${optimizers
            .map((o, i) => `${o.name}${i === 0 ? ' (default)' : ''}: ${o.description}`)
            .join('; ')}.`,
        }
      : { type: 'string', minLength: 1, description: 'The optimizer.' };
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'The optimizer and its settings.',
    properties: {
      type,
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 0.001,
        description: 'Step size. Default 0.001.',
      },
      ...optionSchemas(optimizers),
    },
  };
}

interface OptionUse {
  readonly optimizer: string;
  readonly option: OptimizerOptionEntry;
}

function optionSchemas(optimizers: readonly OptimizerConfigEntry[]): Record<string, unknown> {
  const uses = new Map<string, OptionUse[]>();
  for (const optimizer of optimizers) {
    for (const [key, option] of Object.entries(optimizer.options)) {
      if ((COMMON_OPTIMIZER_KEYS as readonly string[]).includes(key))
        throw new Error(
          `optimizer "${optimizer.name}" cannot declare "${key}": every optimizer reads it`,
        );
      const list = uses.get(key) ?? [];
      const first = list[0];
      if (first && JSON.stringify(first.option.schema) !== JSON.stringify(option.schema))
        throw new Error(
          `option "${key}" of optimizer "${optimizer.name}" has another schema than in "${first.optimizer}"`,
        );
      list.push({ optimizer: optimizer.name, option });
      uses.set(key, list);
    }
  }
  const schemas: Record<string, unknown> = {};
  for (const [key, list] of uses) {
    const first = list[0];
    if (!first) continue;
    schemas[key] = { ...first.option.schema, description: describeOption(list) };
  }
  return schemas;
}

/** `sgd and rmsprop: momentum, 0 for none (default 0).`, or one clause per optimizer when they differ. */
function describeOption(list: readonly OptionUse[]): string {
  const descriptions = new Set(list.map((u) => u.option.description));
  const defaults = new Set(list.map((u) => String(u.option.default)));
  if (descriptions.size === 1 && defaults.size === 1) {
    const [first] = list;
    return `${joinNames(list.map((u) => u.optimizer))}: ${first?.option.description ?? ''} (default ${[...defaults].join()}).`;
  }
  return `${list.map((u) => `${u.optimizer}: ${u.option.description} (default ${String(u.option.default)})`).join('; ')}.`;
}

/** `adam`, `adam and sgd`, `adam, sgd and rmsprop`. */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}
