import * as tf from '../../tf.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON } from './shared-options.js';

/** torch.optim.Adam: betas (0.9, 0.999), eps 1e-8. */
export const adam = defineOptimizer({
  name: 'adam',
  description: "Adam, with PyTorch's defaults",
  options: {
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
    epsilon: EPSILON,
  },
  create: (learningRate, o) => tf.train.adam(learningRate, o.beta1, o.beta2, o.epsilon),
});
