import * as tf from '../../tf.js';
import type { GradConfig, NamedAttrMap, Tensor } from '../../tf.js';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
} from '../kernels/batch-norm-train.js';

/**
 * The gradient of the runner's batch-norm training kernel
 * (kernels/batch-norm-train.ts): one call of its gradient kernel for dx,
 * dgamma and dbeta together, made once (not once per input). The batch
 * statistics and the moving statistics it outputs get no gradient: the
 * closed form accounts for the statistics, and the moving ones only feed
 * the layer's non-trainable weights. When the kernel also computed the
 * leaky ReLU after batch norm (`leakyAlpha`), its output y goes with dy.
 */
export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  // y: the leaky ReLU's gradient needs it when the kernel computed that ReLU.
  outputsToSave: [true, true, true, false, false],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, gamma, y, mean, invStd] = saved;
    if (dy === undefined || x === undefined || gamma === undefined || mean === undefined) {
      throw new Error('batch norm gradient: unexpected inputs');
    }
    const { leakyAlpha } = attrs as unknown as BatchNormTrainAttrs;
    const inputs = { dy, x, gamma, mean, invStd: invStd as Tensor };
    const [dx, dgamma, dbeta] = (
      leakyAlpha === undefined
        ? tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs)
        : tf
            .engine()
            .runKernel(BATCH_NORM_TRAIN_GRAD, { ...inputs, y: y as Tensor }, { leakyAlpha })
    ) as Tensor[];
    const zeros = (t: Tensor) => (): Tensor => tf.zerosLike(t);
    return {
      x: () => dx as Tensor,
      gamma: () => dgamma as Tensor,
      beta: () => dbeta as Tensor,
      movingMean: zeros(mean),
      movingVariance: zeros(mean),
    };
  },
};
