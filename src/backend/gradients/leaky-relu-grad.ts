import * as tf from '../../tf.js';
import { LeakyRelu, type GradConfig, type NamedAttrMap, type Tensor } from '../../tf.js';
import { LEAKY_RELU_GRAD, type LeakyReluGradAttrs } from '../kernels/leaky-relu-grad.js';

/**
 * The gradient of `LeakyRelu` in one kernel call where the runner's kernel
 * runs (wasm, float32, same shapes): see kernels/leaky-relu-grad.ts, same
 * values bit for bit. Elsewhere tfjs-core's own formula, unchanged.
 */
export const leakyReluGradConfig: GradConfig = {
  kernelName: LeakyRelu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    if (x === undefined || Array.isArray(dy))
      throw new Error('LeakyRelu gradient: unexpected inputs');
    const { alpha } = attrs as unknown as LeakyReluGradAttrs;
    const fused =
      x.dtype === 'float32' &&
      dy.dtype === 'float32' &&
      tf.util.arraysEqual(x.shape, dy.shape) &&
      tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) !== undefined;
    return {
      x: fused
        ? () => tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as Tensor
        : () => tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha)),
    };
  },
};
