import * as tf from '../../tf.js';
import { defineOptimizer } from './optimizer-definition.js';
import { EPSILON } from './shared-options.js';
import { FusedAdamOptimizer } from './fused-adam.js';

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
  // The same update bit for bit, in one pass instead of ~13 kernel calls per variable;
  // tfjs-node's native kernels cost less per call than a round trip of the values.
  create: (learningRate, o) =>
    tf.getBackend() === 'tensorflow'
      ? tf.train.adam(learningRate, o.beta1, o.beta2, o.epsilon)
      : new FusedAdamOptimizer(learningRate, o.beta1, o.beta2, o.epsilon),
});
