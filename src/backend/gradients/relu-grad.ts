import * as tf from '../../tf.js';
import { Relu, type GradConfig, type Tensor } from '../../tf.js';
import { LEAKY_RELU_GRAD } from '../kernels/leaky-relu-grad.js';

/**
 * The gradient of `Relu` in one kernel call where the runner's kernel runs
 * (wasm, float32, same shapes): leaky ReLU's gradient kernel in its ReLU
 * mode, dx = x > 0 ? dy : dy 0 (NaN for x = NaN). tfjs-core's is `mul(dy, cast(step(x)))`, three
 * calls (Step, Cast, Multiply); the values are the same bit for bit, the
 * sign of a zero and NaN for x = NaN (wasm's Step passes NaN) included.
 * Elsewhere tfjs-core's own formula, unchanged.
 */
export const reluGradConfig: GradConfig = {
  kernelName: Relu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    if (x === undefined || Array.isArray(dy)) throw new Error('Relu gradient: unexpected inputs');
    const fused =
      x.dtype === 'float32' &&
      dy.dtype === 'float32' &&
      tf.util.arraysEqual(x.shape, dy.shape) &&
      tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) !== undefined;
    return {
      x: fused
        ? () =>
            tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha: 0, relu: true }) as Tensor
        : () => tf.mul(dy, tf.cast(tf.step(x), 'float32')),
    };
  },
};
