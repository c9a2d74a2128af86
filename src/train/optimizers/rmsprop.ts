import { createRmsprop } from '../update-rules/index.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON, L2_WEIGHT_DECAY, MOMENTUM } from './shared-options.js';

/**
 * torch.optim.RMSprop: alpha (decay) 0.99, eps 1e-8 added outside the square
 * root as PyTorch does (tfjs adds it inside), momentum 0.
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
    weightDecay: L2_WEIGHT_DECAY,
  },
  create: (o) =>
    createRmsprop({
      alpha: o.decay,
      epsilon: o.epsilon,
      momentum: o.momentum,
      centered: false,
      weightDecay: o.weightDecay,
    }),
  stateSlots: (o) => (o.momentum > 0 ? 2 : 1),
});
