import * as tf from '../../tf.js';
import type { JsonSchema, LayerArgs } from './layer-definition.js';

/*
 * Schema fragments shared by several layer kinds, and typed readers for
 * arguments that the schema has already checked (so a reader only narrows
 * the type; a wrong type here is a bug, not a user error).
 */

/** An `argsSchema` for a layer with the given properties, nothing else allowed. */
export function argsObject(
  properties: Record<string, JsonSchema>,
  required: string[] = [],
): JsonSchema {
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

export function positiveInt(description: string, extra: JsonSchema = {}): JsonSchema {
  return { type: 'integer', minimum: 1, description, ...extra };
}

/** `3` or `[3, 5]`: a size per spatial dimension (height, width). */
export function intOrPair(
  description: string,
  minimum: number,
  extra: JsonSchema = {},
): JsonSchema {
  return {
    description,
    anyOf: [
      { type: 'integer', minimum },
      { type: 'array', items: { type: 'integer', minimum }, minItems: 2, maxItems: 2 },
    ],
    ...extra,
  };
}

export const KERNEL_SIZE = intOrPair(
  'Kernel height and width: one integer, or [height, width].',
  1,
);
export const STRIDES = intOrPair('Step between windows: one integer, or [height, width].', 1, {
  default: 1,
});

/** Padding of a convolution: tfjs's modes, or PyTorch's explicit zero padding. */
export const CONV_PADDING: JsonSchema = {
  description:
    '`valid` (no padding), `same` (output size = ceil(input / stride), TensorFlow style), or an explicit number of zero rows/columns on each side like PyTorch `padding=2` (one integer or [height, width]).',
  anyOf: [
    { enum: ['valid', 'same'] },
    { type: 'integer', minimum: 0 },
    { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
  ],
  default: 'valid',
};

export const POOL_PADDING: JsonSchema = {
  description:
    '`valid` (windows inside the input, floor like PyTorch) or `same` (ceil(input / stride)).',
  enum: ['valid', 'same'],
  default: 'valid',
};

export const USE_BIAS: JsonSchema = {
  type: 'boolean',
  default: true,
  description: 'Add a learned bias (PyTorch `bias=True`).',
};

export const KERNEL_INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
] as const;
export type KernelInitializerName = (typeof KERNEL_INITIALIZERS)[number];

export const KERNEL_INITIALIZER: JsonSchema = {
  description:
    'Initial weights, seeded from the run seed: glorotUniform (the tfjs/Keras default), heNormal/heUniform (suits ReLU), lecun*. Biases start at zero.',
  enum: [...KERNEL_INITIALIZERS],
  default: 'glorotUniform',
};

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** A seeded tf initializer: the same seed gives the same weights. */
export function createInitializer(name: KernelInitializerName, seed: number): Initializer {
  const factories: Record<KernelInitializerName, (args: { seed: number }) => Initializer> = {
    glorotUniform: tf.initializers.glorotUniform,
    glorotNormal: tf.initializers.glorotNormal,
    heUniform: tf.initializers.heUniform,
    heNormal: tf.initializers.heNormal,
    lecunUniform: tf.initializers.leCunUniform,
    lecunNormal: tf.initializers.leCunNormal,
  };
  return factories[name]({ seed });
}

export function readNumber(args: LayerArgs, key: string): number {
  const value = args[key];
  if (typeof value !== 'number') throw new TypeError(`argument ${key} is not a number`);
  return value;
}

export function readBoolean(args: LayerArgs, key: string): boolean {
  const value = args[key];
  if (typeof value !== 'boolean') throw new TypeError(`argument ${key} is not a boolean`);
  return value;
}

export function readString<T extends string>(
  args: LayerArgs,
  key: string,
  allowed: readonly T[],
): T {
  const value = args[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`argument ${key} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** `3` → `[3, 3]`; `[3, 5]` stays. */
export function readPair(args: LayerArgs, key: string): [number, number] {
  const value = args[key];
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw new TypeError(`argument ${key} is not a number or a pair of numbers`);
}

export function readIntegerList(args: LayerArgs, key: string): number[] {
  const value = args[key];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  throw new TypeError(`argument ${key} is not a list of numbers`);
}

export type ConvPadding = 'valid' | 'same' | readonly [number, number];

export function readConvPadding(args: LayerArgs, key = 'padding'): ConvPadding {
  const value = args[key];
  if (value === 'valid' || value === 'same') return value;
  return readPair(args, key);
}

export function readKernelInitializer(
  args: LayerArgs,
  key = 'kernelInitializer',
): KernelInitializerName {
  return readString(args, key, KERNEL_INITIALIZERS);
}

/**
 * A per-layer weight penalty, as tfjs-layers' `l1l2` regularizer computes it
 * (Keras's convention): l1 * sum(|w|) + l2 * sum(w^2), no 1/2 factor, added
 * to the training objective by the training step. Biases are not penalised.
 */
export const KERNEL_REGULARIZER: JsonSchema = {
  description:
    "Penalty on this layer's kernel added to the training loss, as tfjs-layers/Keras compute it: l1 * sum(|w|) + l2 * sum(w^2) (no 1/2; PyTorch's weight_decay=wd is l2 = wd / 2). Biases are not penalised. train/loss includes the penalty, test/loss does not. Example: {l2: 0.0005}.",
  type: 'object',
  properties: {
    l1: { type: 'number', minimum: 0, description: 'Factor of sum(|w|).' },
    l2: { type: 'number', minimum: 0, description: 'Factor of sum(w^2).' },
  },
  minProperties: 1,
  additionalProperties: false,
};

type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;

/** The tf regularizer the `kernelRegularizer` argument asks for, or undefined when it is absent. */
export function readKernelRegularizer(
  args: LayerArgs,
  key = 'kernelRegularizer',
): Regularizer | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`argument ${key} is not an object`);
  }
  const { l1, l2 } = value as { l1?: unknown; l2?: unknown };
  return tf.regularizers.l1l2({
    l1: typeof l1 === 'number' ? l1 : 0,
    l2: typeof l2 === 'number' ? l2 : 0,
  });
}

/** `{kernelRegularizer: r}` for tf layer arguments, or nothing when there is no penalty. */
export function regularizerArgs<K extends string>(
  key: K,
  regularizer: Regularizer | undefined,
): Partial<Record<K, Regularizer>> {
  return regularizer === undefined ? {} : ({ [key]: regularizer } as Record<K, Regularizer>);
}
