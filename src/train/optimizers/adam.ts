import { createAdam } from '../update-rules/index.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON, L2_WEIGHT_DECAY } from './shared-options.js';

export const BETAS = {
  beta1: {
    schema: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    description: 'decay of the first moment',
    default: 0.9,
  },
  beta2: {
    schema: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    description: 'decay of the second moment',
    default: 0.999,
  },
} as const;

/** torch.optim.Adam: betas (0.9, 0.999), eps 1e-8, weight_decay 0 (L2, added to the gradient). */
export const adam = defineOptimizer({
  name: 'adam',
  description: "Adam, with PyTorch's defaults",
  options: { ...BETAS, epsilon: EPSILON, weightDecay: L2_WEIGHT_DECAY },
  create: (o) => createAdam({ ...o, decoupled: false }),
  stateSlots: () => 2,
});
