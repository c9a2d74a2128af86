import * as tf from '../../tf.js';
import { conv2dBiasActivation, type FusedConvActivation } from '../../backend/fused-ops.js';

/**
 * A tfjs-layers `Conv2D` computed by the runner's conv + bias + activation
 * op (backend/fused-ops.ts) where it applies: one kernel call forward, and
 * in training only the gradients the graph needs (no input gradient for a
 * layer fed by data; tfjs's `fused.conv2d` computes it every step). With a
 * ReLU the forward stays one call in training too (tfjs then runs Conv2D,
 * Add and Relu). Channels-last, dilation 1, linear or ReLU activation;
 * anything else, and other backends, keep the layer's own `call`. The layer
 * keeps its class, weights and config, so saved models load as a plain Conv2D.
 *
 * @example
 * const conv = fusedConvolution(tf.layers.conv2d({ filters: 8, kernelSize: 3 }));
 */
export function fusedConvolution<L extends tf.layers.Layer>(layer: L): L {
  const conv = layer as unknown as ConvInternals & tf.layers.Layer;
  const original = conv.call.bind(conv);
  conv.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const activation = fusedActivation(conv);
    if (x === undefined || x.rank !== 4 || activation === undefined || !fusable(conv)) {
      return original(inputs, kwargs);
    }
    const y = tf.tidy(() =>
      conv2dBiasActivation(
        x as tf.Tensor4D,
        conv.kernel.read() as tf.Tensor4D,
        conv.bias === null || conv.bias === undefined ? null : (conv.bias.read() as tf.Tensor1D),
        [conv.strides[0] ?? 1, conv.strides[1] ?? 1],
        conv.padding === 'same' ? 'same' : 'valid',
        activation,
      ),
    );
    return y ?? original(inputs, kwargs);
  };
  return layer;
}

/** The fields of tfjs-layers' Conv2D this uses (protected in its typings). */
interface ConvInternals {
  readonly rank: number;
  readonly strides: number[];
  readonly padding: string;
  readonly dataFormat: string;
  readonly dilationRate: number[] | number;
  readonly activation: { getClassName(): string } | null;
  readonly kernel: tf.LayerVariable;
  readonly bias: tf.LayerVariable | null | undefined;
}

function fusable(conv: ConvInternals): boolean {
  const dilations = Array.isArray(conv.dilationRate) ? conv.dilationRate : [conv.dilationRate];
  return (
    conv.rank === 2 &&
    conv.dataFormat === 'channelsLast' &&
    (conv.padding === 'same' || conv.padding === 'valid') &&
    dilations.every((d) => d === 1)
  );
}

function fusedActivation(conv: ConvInternals): FusedConvActivation | undefined {
  const name = conv.activation?.getClassName() ?? 'linear';
  return name === 'linear' || name === 'relu' ? name : undefined;
}
