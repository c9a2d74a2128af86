import type { OptimizerOptionEntry } from '../../config/index.js';

/** Options several optimizers read, declared once so their schemas agree. */

export const EPSILON = {
  schema: { type: 'number', exclusiveMinimum: 0 },
  description: 'added to the denominator for stability, as in PyTorch',
  default: 1e-8,
} satisfies OptimizerOptionEntry;

export const MOMENTUM = {
  schema: { type: 'number', minimum: 0 },
  description: 'momentum, 0 for none',
  default: 0,
} satisfies OptimizerOptionEntry;

export const L2_WEIGHT_DECAY = {
  schema: { type: 'number', minimum: 0 },
  description: 'L2 penalty added to the gradient, as PyTorch weight_decay',
  default: 0,
} satisfies OptimizerOptionEntry;
