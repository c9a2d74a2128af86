import * as tf from '../../tf.js';
import { FusedConv2D, type GradConfig, type NamedAttrMap, type Tensor } from '../../tf.js';
import { LEAKY_RELU_GRAD } from '../kernels/leaky-relu-grad.js';

/** The `FusedConv2D` attributes this gradient reads (those {@link conv2dBiasActivation} sets). */
interface FusedConv2DAttrs {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same';
  readonly activation: 'linear' | 'relu';
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The gradient of `FusedConv2D` (conv + bias + activation in one kernel),
 * run by the runner's {@link conv2dBiasActivation} op. tfjs-core has none:
 * its `fused.conv2d` op differentiates through `customGrad`, which computes
 * the input gradient, the filter gradient and the bias gradient eagerly,
 * whether the graph needs them or not. Here each is lazy, so the engine
 * computes only what reaches a variable: the first layer's input gradient
 * (a `Conv2DBackpropInput` as large as the image, and the `Slice` of its
 * padding) is never computed. The values are tfjs-core's: the activation's
 * gradient (ReLU: dy where y > 0, through the runner's kernel, else tfjs's
 * `dy * step(y)`), then the same `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter` and `Sum` calls as `fused.conv2d`'s gradient.
 * Dilations are 1 (the op sends no other).
 */
export const fusedConv2dGradConfig: GradConfig = {
  kernelName: FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, filter, y] = saved;
    if (dy === undefined || x === undefined || filter === undefined || y === undefined) {
      throw new Error('FusedConv2D gradient: unexpected inputs');
    }
    const { strides, pad, activation, dimRoundingMode } = attrs as unknown as FusedConv2DAttrs;
    const dyActivation = activation === 'relu' ? reluGradient(dy, y) : dy;
    const convAttrs: NamedAttrMap = { strides, pad, dataFormat: 'NHWC' };
    if (dimRoundingMode !== undefined) convAttrs['dimRoundingMode'] = dimRoundingMode;
    return {
      x: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: dyActivation, filter },
            { ...convAttrs, inputShape: x.shape },
          ) as Tensor,
      filter: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy: dyActivation },
            { ...convAttrs, filterShape: filter.shape },
          ) as Tensor,
      bias: () => tf.sum(dyActivation, [0, 1, 2]),
    };
  },
};

/** dy where y > 0, else 0: ReLU's gradient read from its output (y > 0 exactly when x > 0). */
function reluGradient(dy: Tensor, y: Tensor): Tensor {
  if (dy.dtype === 'float32' && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x: y }, { alpha: 0, relu: true }) as Tensor;
  }
  return tf.mul(dy, tf.step(y));
}
