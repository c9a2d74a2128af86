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

const NOT_RANKED = /(^|[/_.:-])(learning_rate|lr|epoch|step)$/i;

/**
 * Whether "better" means anything for this metric: a learning rate is a setting that was
 * recorded, not a result, so comparisons mark no winner for it.
 *
 * @example isRankedMetric('train/learning_rate') // → false
 */
export function isRankedMetric(key: string): boolean {
  return !NOT_RANKED.test(key);
}
