import * as tf from '../../tf.js';
import { formatShape, type Shape } from '../shape.js';
import { ScaledElu } from './elu-layer.js';
import { argsObject, readNumber, readString } from './layer-args.js';
import {
  ONE_INPUT,
  type ConfiguredLayer,
  type JsonSchema,
  type LayerArgs,
  type LayerDefinition,
  type ShapeIssue,
} from './layer-definition.js';

/** The activations, usable as layers (`- leakyRelu: {alpha: 0.2}`) and as the `activation:` field. */
export const ACTIVATION_NAMES = [
  'relu',
  'leakyRelu',
  'elu',
  'selu',
  'gelu',
  'tanh',
  'sigmoid',
  'softmax',
] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/** The tfjs activation strings we hand to a layer's own `activation` (fused into conv/dense where tfjs can). */
type NativeActivation =
  'relu' | 'elu' | 'selu' | 'gelu' | 'gelu_new' | 'tanh' | 'sigmoid' | 'softmax';

interface ActivationSpec {
  readonly description: string;
  readonly argsSchema: JsonSchema;
  readonly examples: readonly LayerArgs[];
  /** The tfjs activation string that computes it with these args, if there is one. */
  native(args: LayerArgs): NativeActivation | undefined;
  /** A layer that applies it. */
  create(args: LayerArgs, name: string): tf.layers.Layer;
  checkInputs?(args: LayerArgs, shape: Shape): ShapeIssue | undefined;
}

const nativeLayer = (activation: NativeActivation, name: string): tf.layers.Layer =>
  tf.layers.activation({ activation, name });

/** tfjs's `gelu` is the exact erf form; `gelu_new` the tanh approximation. */
const geluVariant = (args: LayerArgs): 'gelu' | 'gelu_new' =>
  readString(args, 'approximate', ['none', 'tanh']) === 'tanh' ? 'gelu_new' : 'gelu';

const ACTIVATIONS: Record<ActivationName, ActivationSpec> = {
  relu: {
    description: 'Rectified linear unit: max(x, 0).',
    argsSchema: argsObject({}),
    examples: [{}],
    native: () => 'relu',
    create: (_args, name) => nativeLayer('relu', name),
  },
  leakyRelu: {
    description: 'Leaky ReLU: x for x >= 0, alpha * x below (PyTorch nn.LeakyReLU).',
    argsSchema: argsObject({
      alpha: {
        type: 'number',
        minimum: 0,
        default: 0.01,
        description:
          'Slope for negative inputs (PyTorch negative_slope; default 0.01 as in PyTorch).',
      },
    }),
    examples: [{ alpha: 0.2 }, {}],
    native: () => undefined,
    create: (args, name) => tf.layers.leakyReLU({ alpha: readNumber(args, 'alpha'), name }),
  },
  elu: {
    description: 'Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) below.',
    argsSchema: argsObject({
      alpha: { type: 'number', minimum: 0, default: 1, description: 'Scale of the negative part.' },
    }),
    examples: [{}, { alpha: 0.5 }],
    native: (args) => (readNumber(args, 'alpha') === 1 ? 'elu' : undefined),
    create: (args, name) => {
      const alpha = readNumber(args, 'alpha');
      return alpha === 1 ? nativeLayer('elu', name) : new ScaledElu({ alpha, name });
    },
  },
  selu: {
    description: 'Scaled ELU with the self-normalizing constants (PyTorch nn.SELU).',
    argsSchema: argsObject({}),
    examples: [{}],
    native: () => 'selu',
    create: (_args, name) => nativeLayer('selu', name),
  },
  gelu: {
    description: 'Gaussian error linear unit: x * Phi(x) (PyTorch nn.GELU).',
    argsSchema: argsObject({
      approximate: {
        enum: ['none', 'tanh'],
        default: 'none',
        description:
          '`none`: exact, with erf; `tanh`: the tanh approximation (PyTorch approximate="tanh").',
      },
    }),
    examples: [{}, { approximate: 'tanh' }],
    native: (args) => geluVariant(args),
    create: (args, name) => nativeLayer(geluVariant(args), name),
  },
  tanh: {
    description: 'Hyperbolic tangent.',
    argsSchema: argsObject({}),
    examples: [{}],
    native: () => 'tanh',
    create: (_args, name) => nativeLayer('tanh', name),
  },
  sigmoid: {
    description: 'Logistic sigmoid: 1 / (1 + exp(-x)).',
    argsSchema: argsObject({}),
    examples: [{}],
    native: () => 'sigmoid',
    create: (_args, name) => nativeLayer('sigmoid', name),
  },
  softmax: {
    description:
      'Softmax over an axis. Not needed before the loss: `crossEntropy` takes logits and applies softmax itself.',
    argsSchema: argsObject({
      axis: {
        type: 'integer',
        default: -1,
        description: 'Axis to normalize over; -1 is the last.',
      },
    }),
    examples: [{}],
    native: (args) => (readNumber(args, 'axis') === -1 ? 'softmax' : undefined),
    create: (args, name) => tf.layers.softmax({ axis: readNumber(args, 'axis'), name }),
    checkInputs(args, shape) {
      const axis = readNumber(args, 'axis');
      if (axis >= shape.length || axis < -shape.length || axis === 0 || axis === -shape.length) {
        return {
          code: 'bad-axis',
          message: `softmax axis ${axis} is not a feature axis of the input ${formatShape(shape)}`,
          hint: `use an axis from 1 to ${shape.length - 1}, or -1 for the last`,
        };
      }
      return undefined;
    },
  },
};

/** The activation layer kinds of the registry, one per activation. */
export const ACTIVATION_LAYERS: readonly LayerDefinition[] = ACTIVATION_NAMES.map((kind) => {
  const spec = ACTIVATIONS[kind];
  return {
    kind,
    description: spec.description,
    argsSchema: spec.argsSchema,
    inputs: ONE_INPUT,
    examples: spec.examples,
    configure: (args: LayerArgs): ConfiguredLayer => ({
      checkInputs: ([shape]) => (shape === undefined ? undefined : spec.checkInputs?.(args, shape)),
      createLayers: ({ name }) => [spec.create(args, name)],
    }),
  };
});

/** The `activation:` field of conv and dense layers: an activation by name, with its default arguments. */
export const ACTIVATION_FIELD: JsonSchema = {
  description:
    'Activation applied to the output, with its default arguments (leakyRelu: alpha 0.01); for other arguments add the activation as its own layer.',
  enum: ['linear', ...ACTIVATION_NAMES],
  default: 'linear',
};

export type ActivationFieldValue = 'linear' | ActivationName;

/**
 * How a layer applies its `activation:` field: a tfjs activation string the
 * layer computes itself (fused with the conv/matmul where tfjs supports it),
 * or a separate layer after it (leakyRelu, which tfjs has no string for).
 */
export function resolveActivationField(
  args: LayerArgs,
  name: string,
): { readonly native: NativeActivation | undefined; readonly after: tf.layers.Layer[] } {
  const value = readString<ActivationFieldValue>(args, 'activation', [
    'linear',
    ...ACTIVATION_NAMES,
  ]);
  if (value === 'linear') return { native: undefined, after: [] };
  const spec = ACTIVATIONS[value];
  const defaults = defaultArgs(spec.argsSchema);
  const native = spec.native(defaults);
  if (native !== undefined) return { native, after: [] };
  return { native: undefined, after: [spec.create(defaults, `${name}/${value}`)] };
}

function defaultArgs(schema: JsonSchema): LayerArgs {
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, property['default']]),
  );
}
