import * as tf from '../../tf.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON, MOMENTUM } from './shared-options.js';

/**
 * torch.optim.RMSprop: alpha (decay) 0.99, eps 1e-8, momentum 0. One difference
 * stays: tfjs adds epsilon inside the square root, sqrt(ms + eps), where
 * PyTorch adds it outside; it only shows for gradients near 1e-4 and smaller.
 */
export const rmsprop = defineOptimizer({
  name: 'rmsprop',
  description: "RMSprop, with PyTorch's defaults",
  options: {
    momentum: MOMENTUM,
    epsilon: EPSILON,
    decay: {
      schema: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      description: "discounting factor of the gradient history, PyTorch's alpha",
      default: 0.99,
    },
  },
  create: (learningRate, o) => tf.train.rmsprop(learningRate, o.decay, o.momentum, o.epsilon),
});
