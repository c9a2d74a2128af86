import * as tf from '../../tf.js';
import { formatShape, valuesPerExample } from '../shape.js';
import { ACTIVATION_FIELD, resolveActivationField } from './activations.js';
import {
  argsObject,
  createInitializer,
  KERNEL_INITIALIZER,
  KERNEL_REGULARIZER,
  positiveInt,
  readBoolean,
  readIntegerList,
  readKernelInitializer,
  readKernelRegularizer,
  readNumber,
  regularizerArgs,
  USE_BIAS,
} from './layer-args.js';
import { ONE_INPUT, type LayerDefinition } from './layer-definition.js';
import { SeededDropout } from './seeded-dropout.js';

export const dense: LayerDefinition = {
  kind: 'dense',
  description: 'Fully connected layer on [batch, features] (PyTorch nn.Linear).',
  argsSchema: argsObject(
    {
      units: positiveInt('Number of outputs (PyTorch out_features).', { maximum: 1_000_000 }),
      activation: ACTIVATION_FIELD,
      useBias: USE_BIAS,
      kernelInitializer: KERNEL_INITIALIZER,
      kernelRegularizer: KERNEL_REGULARIZER,
    },
    ['units'],
  ),
  inputs: ONE_INPUT,
  examples: [
    { units: 10 },
    { units: 120, activation: 'relu' },
    { units: 5, activation: 'gelu', useBias: false },
    { units: 8, activation: 'relu', kernelRegularizer: { l2: 0.0005 } },
  ],
  configure(args) {
    const units = readNumber(args, 'units');
    const useBias = readBoolean(args, 'useBias');
    const initializer = readKernelInitializer(args);
    const regularizer = readKernelRegularizer(args);
    return {
      checkInputs([shape]) {
        if (shape === undefined || shape.length === 2) return undefined;
        return {
          code: 'bad-input-rank',
          message: `dense expects a 2-D input [batch, features], found ${formatShape(shape)}`,
          hint:
            shape.length > 2
              ? 'add `- flatten: {}` or `- globalAvgPool2d: {}` before it'
              : 'the input needs a features dimension',
        };
      },
      createLayers({ name, seed }) {
        const activation = resolveActivationField(args, name);
        return [
          tf.layers.dense({
            name,
            units,
            useBias,
            ...(activation.native === undefined ? {} : { activation: activation.native }),
            kernelInitializer: createInitializer(initializer, seed),
            ...regularizerArgs('kernelRegularizer', regularizer),
          }),
          ...activation.after,
        ];
      },
    };
  },
};

export const flatten: LayerDefinition = {
  kind: 'flatten',
  description: 'Flattens each example to one dimension: [batch, h, w, c] to [batch, h*w*c].',
  argsSchema: argsObject({}),
  inputs: ONE_INPUT,
  examples: [{}],
  configure: () => ({
    checkInputs: () => undefined,
    createLayers({ name, inputShapes: [shape] }) {
      // Already flat ([batch, n]): tfjs's Flatten refuses rank 2, PyTorch's is a no-op; reshape to [n] is one.
      const features = shape?.length === 2 ? shape[1] : undefined;
      if (typeof features === 'number')
        return [tf.layers.reshape({ name, targetShape: [features] })];
      return [tf.layers.flatten({ name })];
    },
  }),
};

export const reshape: LayerDefinition = {
  kind: 'reshape',
  description:
    'Reshapes each example (batch dimension excluded); one dimension may be -1, inferred from the others.',
  argsSchema: argsObject(
    {
      targetShape: {
        type: 'array',
        description: 'The new shape without the batch dimension, e.g. [28, 28, 1] or [-1, 1].',
        items: { type: 'integer', anyOf: [{ minimum: 1 }, { const: -1 }] },
        minItems: 1,
      },
    },
    ['targetShape'],
  ),
  inputs: ONE_INPUT,
  examples: [{ targetShape: [28, 28, 1] }, { targetShape: [-1] }],
  configure(args) {
    const targetShape = readIntegerList(args, 'targetShape');
    return {
      checkInputs([shape]) {
        if (shape === undefined) return undefined;
        const unknown = targetShape.filter((d) => d === -1).length;
        const target = `[${targetShape.join(', ')}]`;
        if (unknown > 1) {
          return {
            code: 'bad-target-shape',
            message: `reshape targetShape ${target} has ${unknown} dimensions of -1, at most one may be`,
          };
        }
        const values = valuesPerExample(shape);
        if (values === undefined) return undefined;
        const known = targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const fits = unknown === 1 ? values % known === 0 : values === known;
        if (fits) return undefined;
        return {
          code: 'bad-target-shape',
          message: `reshape to ${target} needs ${unknown === 1 ? `a multiple of ${known}` : known} values per example, the input ${formatShape(shape)} has ${values}`,
        };
      },
      createLayers({ name, inputShapes: [shape] }) {
        // tfjs leaves a -1 unresolved in the symbolic shape: resolve it here.
        const values = shape === undefined ? undefined : valuesPerExample(shape);
        const known = targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const resolved =
          values === undefined
            ? targetShape
            : targetShape.map((d) => (d === -1 ? values / known : d));
        return [tf.layers.reshape({ name, targetShape: resolved })];
      },
    };
  },
};

export const dropout: LayerDefinition = {
  kind: 'dropout',
  description:
    'Zeroes a random fraction of values while training and scales the rest by 1/(1-rate); does nothing at evaluation (PyTorch nn.Dropout).',
  argsSchema: argsObject({
    rate: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0.5,
      description: 'Fraction of values dropped (PyTorch p; default 0.5 as in PyTorch).',
    },
  }),
  inputs: ONE_INPUT,
  examples: [{}, { rate: 0.25 }],
  configure(args) {
    const rate = readNumber(args, 'rate');
    return {
      checkInputs: () => undefined,
      createLayers: ({ name, seed }) => [new SeededDropout({ name, rate, seed })],
    };
  },
};

export const CORE_LAYERS: readonly LayerDefinition[] = [dense, flatten, reshape, dropout];
