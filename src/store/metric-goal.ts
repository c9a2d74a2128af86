import type { MetricGoal } from './types.js';

const SMALLER_IS_BETTER = /(^|[/_.:-])(loss|error|err|perplexity|mse|mae|rmse)([/_.:-]|$)/i;

/**
 * Whether a smaller or larger value of a metric is better, from its name:
 * losses and errors are minimized, everything else (accuracy, images/s) maximized.
 *
 * @example metricGoal('test/loss') // → 'minimize'
 */
export function metricGoal(key: string): MetricGoal {
  return SMALLER_IS_BETTER.test(key) ? 'minimize' : 'maximize';
}
