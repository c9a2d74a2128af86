import * as tf from '../tf.js';
import type { OptimizerSpec } from '../config/experiment.js';

type OptimizerType = OptimizerSpec['type'];

/**
 * One place to add an optimizer. Defaults follow PyTorch's, so a config
 * ported from a PyTorch script trains the same way.
 */
export const OPTIMIZERS: Readonly<Record<OptimizerType, (spec: OptimizerSpec) => tf.Optimizer>> = {
  // torch.optim.Adam: betas (0.9, 0.999), eps 1e-8.
  adam: (s) => tf.train.adam(s.learningRate, s.beta1 ?? 0.9, s.beta2 ?? 0.999, s.epsilon ?? 1e-8),
  // torch.optim.SGD: momentum 0 unless asked.
  sgd: (s) =>
    s.momentum !== undefined && s.momentum > 0
      ? tf.train.momentum(s.learningRate, s.momentum)
      : tf.train.sgd(s.learningRate),
  // torch.optim.RMSprop: alpha (decay) 0.99, eps 1e-8, momentum 0. One difference stays:
  // tfjs adds epsilon inside the square root, sqrt(ms + eps), where PyTorch adds it outside;
  // it only shows for gradients near 1e-4 and smaller.
  rmsprop: (s) =>
    tf.train.rmsprop(s.learningRate, s.decay ?? 0.99, s.momentum ?? 0, s.epsilon ?? 1e-8),
};

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  return OPTIMIZERS[spec.type](spec);
}
