import * as tf from '../../tf.js';
import type { GradConfig, NamedAttrMap, Tensor } from '../../tf.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '../kernels/softmax-cross-entropy.js';

/**
 * The gradient of the runner's softmax cross-entropy kernel for its logits
 * (kernels/softmax-cross-entropy.ts), one call; labels get none (integers).
 */
export const softmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [logits, labels] = saved;
    if (dy === undefined || logits === undefined || labels === undefined) {
      throw new Error('softmax cross-entropy gradient: unexpected inputs');
    }
    return {
      logits: () =>
        tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { dy, logits, labels }, attrs) as Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};
