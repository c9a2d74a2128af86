import { createAdam } from '../update-rules/index.js';
import { BETAS } from './adam.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON } from './shared-options.js';

/** torch.optim.AdamW: Adam with decoupled weight decay, weight_decay 0.01. */
export const adamw = defineOptimizer({
  name: 'adamw',
  description: "AdamW (decoupled weight decay), with PyTorch's defaults",
  options: {
    ...BETAS,
    epsilon: EPSILON,
    weightDecay: {
      schema: { type: 'number', minimum: 0 },
      description:
        'decoupled weight decay: before each step the weights shrink by learningRate x weightDecay',
      default: 0.01,
    },
  },
  create: (o) => createAdam({ ...o, decoupled: true }),
  stateSlots: () => 2,
});
