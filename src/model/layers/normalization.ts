import * as tf from '../../tf.js';
import { formatShape, type Shape } from '../shape.js';
import { argsObject, readBoolean, readNumber } from './layer-args.js';
import { fastBatchNormTraining } from './batch-norm-training.js';
import {
  ONE_INPUT,
  type JsonSchema,
  type LayerDefinition,
  type ShapeIssue,
} from './layer-definition.js';

const EPSILON: JsonSchema = {
  type: 'number',
  exclusiveMinimum: 0,
  default: 1e-5,
  description: 'Added to the variance for stability (default 1e-5, as in PyTorch; tfjs uses 1e-3).',
};

const AFFINE = (what: string): JsonSchema => ({
  type: 'boolean',
  default: true,
  description: `Learn a per-feature ${what} (PyTorch affine / elementwise_affine).`,
});

function checkAxis(kind: string, axis: number, shape: Shape): ShapeIssue | undefined {
  const rank = shape.length;
  if (rank < 2) {
    return {
      code: 'bad-input-rank',
      message: `${kind} expects an input with a feature axis, found ${formatShape(shape)}`,
    };
  }
  const resolved = axis < 0 ? rank + axis : axis;
  if (resolved >= 1 && resolved < rank) return undefined;
  return {
    code: 'bad-axis',
    message: `${kind} axis ${axis} is not a feature axis of the input ${formatShape(shape)}`,
    hint: `use an axis from 1 to ${rank - 1}, or -1 for the last (channels)`,
  };
}

/**
 * Batch normalization. `momentum` follows PyTorch: it is the weight of the
 * current batch in the running statistics,
 * `running = (1 - momentum) * running + momentum * batch`, default 0.1.
 * tfjs (like Keras) counts the other way, so tfjs gets `1 - momentum` (0.9).
 */
export const batchNorm: LayerDefinition = {
  kind: 'batchNorm',
  description:
    'Batch normalization over the channels axis (PyTorch nn.BatchNorm2d / BatchNorm1d); keeps running mean and variance as non-trainable weights.',
  argsSchema: argsObject({
    momentum: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description:
        'PyTorch convention: weight of the current batch in the running statistics, running = (1 - momentum) * running + momentum * batch (default 0.1; equals Keras/tfjs momentum 0.9).',
    },
    epsilon: EPSILON,
    center: AFFINE('shift (beta)'),
    scale: AFFINE('scale (gamma)'),
    axis: {
      type: 'integer',
      default: -1,
      description: 'The features axis; -1 is the channels of NHWC images.',
    },
  }),
  inputs: ONE_INPUT,
  examples: [{}, { momentum: 0.01, epsilon: 1e-3, center: false }],
  configure(args) {
    const momentum = readNumber(args, 'momentum');
    const epsilon = readNumber(args, 'epsilon');
    const center = readBoolean(args, 'center');
    const scale = readBoolean(args, 'scale');
    const axis = readNumber(args, 'axis');
    return {
      checkInputs: ([shape]) =>
        shape === undefined ? undefined : checkAxis('batchNorm', axis, shape),
      createLayers: ({ name }) => [
        fastBatchNormTraining(
          tf.layers.batchNormalization({
            name,
            axis,
            momentum: 1 - momentum,
            epsilon,
            center,
            scale,
          }),
        ),
      ],
    };
  },
};

export const layerNorm: LayerDefinition = {
  kind: 'layerNorm',
  description: 'Layer normalization over the last axis of each example (PyTorch nn.LayerNorm).',
  argsSchema: argsObject({
    epsilon: EPSILON,
    center: AFFINE('shift (beta)'),
    scale: AFFINE('scale (gamma)'),
    axis: {
      type: 'integer',
      default: -1,
      description: 'The axis normalized over; -1 is the last.',
    },
  }),
  inputs: ONE_INPUT,
  examples: [{}, { epsilon: 1e-6, scale: false }],
  configure(args) {
    const epsilon = readNumber(args, 'epsilon');
    const center = readBoolean(args, 'center');
    const scale = readBoolean(args, 'scale');
    const axis = readNumber(args, 'axis');
    return {
      checkInputs: ([shape]) =>
        shape === undefined ? undefined : checkAxis('layerNorm', axis, shape),
      createLayers: ({ name }) => {
        const layer = tf.layers.layerNormalization({ name, axis, epsilon, center, scale });
        return [scale ? layer : withoutScale(layer)];
      },
    };
  },
};

/** The fields of tfjs-layers' LayerNormalization this uses (private in its typings). */
interface LayerNormInternals {
  readonly axis: number[];
  readonly epsilon: number;
  readonly beta: tf.LayerVariable | null;
}

/**
 * Layer normalization without a learned scale, computed op by op. tfjs-layers
 * 4.22 runs it but cannot train it: its batchNormalization call gets no
 * scale, and that kernel's gradient saves the missing tensor and throws.
 * Same formula, y = (x - mean) / sqrt(variance + epsilon) + beta; weights,
 * class and config unchanged.
 */
function withoutScale<L extends tf.layers.Layer>(layer: L): L {
  const ln = layer as unknown as LayerNormInternals & tf.layers.Layer;
  ln.call = (inputs) =>
    tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined) throw new Error('layerNorm: no input');
      const { mean, variance } = tf.moments(x, ln.axis, true);
      const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, ln.epsilon)));
      if (ln.beta === null) return y;
      const shape = x.shape.map((d, i) => (ln.axis.includes(i) ? d : 1));
      return tf.add(y, tf.reshape(ln.beta.read(), shape));
    });
  return layer;
}

export const NORMALIZATION_LAYERS: readonly LayerDefinition[] = [batchNorm, layerNorm];
