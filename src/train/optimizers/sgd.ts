import * as tf from '../../tf.js';
import { defineOptimizer } from './optimizer-definition.js';
import { MOMENTUM } from './shared-options.js';

/** torch.optim.SGD: momentum 0 unless asked. */
export const sgd = defineOptimizer({
  name: 'sgd',
  description: 'stochastic gradient descent, with optional momentum',
  options: { momentum: MOMENTUM },
  create: (learningRate, o) =>
    o.momentum > 0 ? tf.train.momentum(learningRate, o.momentum) : tf.train.sgd(learningRate),
});
