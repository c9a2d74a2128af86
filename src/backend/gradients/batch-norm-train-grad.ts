import * as tf from '../../tf.js';
import type { GradConfig, Tensor } from '../../tf.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../kernels/batch-norm-train.js';

/**
 * The gradient of the runner's batch-norm training kernel
 * (kernels/batch-norm-train.ts): one call of its gradient kernel for dx,
 * dgamma and dbeta together, made once (not once per input). The batch
 * statistics and the moving statistics it outputs get no gradient: the
 * closed form accounts for the statistics, and the moving ones only feed
 * the layer's non-trainable weights.
 */
export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true, false, false],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    const [x, gamma, mean, invStd] = saved;
    if (dy === undefined || x === undefined || gamma === undefined || mean === undefined) {
      throw new Error('batch norm gradient: unexpected inputs');
    }
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, {
      dy,
      x,
      gamma,
      mean,
      invStd: invStd as Tensor,
    }) as Tensor[];
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
