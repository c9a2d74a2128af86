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

const NOT_RANKED = /(^|[/_.:-])(learning_rate|lr|momentum|epoch|step|workers)$|^perf\//i;

/**
 * Whether "better" means anything for this metric: a learning rate is a setting that was
 * recorded, and `perf/*` (images/s, workers) measures the machine, not the model, so
 * summaries give them no best and no goal, and comparisons mark no winner.
 *
 * @example isRankedMetric('train/learning_rate') // → false
 * @example isRankedMetric('perf/images_per_sec') // → false
 */
export function isRankedMetric(key: string): boolean {
  return !NOT_RANKED.test(key);
}

/**
 * Per-step training metrics and the epoch means that stand for them in summaries: one
 * batch's value (the last partial batch of 8 images scoring 1.0) is no run's result.
 */
export const EPOCH_MEANS: Readonly<Record<string, string>> = {
  'train/loss': 'train/epoch_loss',
  'train/accuracy': 'train/epoch_accuracy',
};

/**
 * The keys a summary (final and best values) shows: every key, but a per-step training
 * metric where its epoch mean was recorded (`train/epoch_loss` for `train/loss`).
 *
 * @example summaryKeys(['test/loss', 'train/loss', 'train/epoch_loss']) // → ['test/loss', 'train/epoch_loss']
 */
export function summaryKeys(keys: readonly string[]): string[] {
  const present = new Set(keys);
  return keys.filter((key) => {
    const mean = EPOCH_MEANS[key];
    return mean === undefined || !present.has(mean);
  });
}
