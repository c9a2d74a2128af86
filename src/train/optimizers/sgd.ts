import { createSgd } from '../update-rules/index.js';
import { defineOptimizer } from './optimizer-definition.js';
import { L2_WEIGHT_DECAY, MOMENTUM } from './shared-options.js';

/** torch.optim.SGD: momentum 0, dampening 0, nesterov false, weight_decay 0. */
export const sgd = defineOptimizer({
  name: 'sgd',
  description: 'stochastic gradient descent, with optional (Nesterov) momentum',
  options: {
    momentum: MOMENTUM,
    nesterov: {
      schema: { type: 'boolean' },
      description: 'Nesterov momentum (needs momentum > 0)',
      default: false,
    },
    weightDecay: L2_WEIGHT_DECAY,
  },
  create: (o) => createSgd({ ...o, dampening: 0 }),
  stateSlots: (o) => (o.momentum > 0 ? 1 : 0),
});
