import type { MetricSummary } from '../../../store/index.js';

/** A metric summary as `runs ls --json` and `runs show --json` print it. */
export interface MetricJson {
  readonly final: number | null;
  readonly finalStep: number;
  readonly best: number | null;
  readonly bestStep: number | null;
  readonly goal: MetricSummary['goal'];
  /** False for settings and speeds (`train/learning_rate`, `perf/*`): no best, no goal. */
  readonly ranked: boolean;
  readonly count: number;
}

export function metricJson(m: MetricSummary): MetricJson {
  return {
    final: m.last.value,
    finalStep: m.last.step,
    best: m.ranked ? (m.best?.value ?? null) : null,
    bestStep: m.ranked ? (m.best?.step ?? null) : null,
    goal: m.goal,
    ranked: m.ranked,
    count: m.count,
  };
}

/** Every metric of a run, keyed by metric name. */
export function metricsJson(
  metrics: Readonly<Record<string, MetricSummary>>,
): Record<string, MetricJson> {
  return Object.fromEntries(Object.values(metrics).map((m) => [m.key, metricJson(m)]));
}
