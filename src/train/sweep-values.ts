// What a sweep varies, and the run names that show it: pure, no dependency (the dashboard
// and the CLI's listing import it without loading training).

/**
 * The config paths a sweep varies: those its trials assign (the `--set` lists,
 * the YAML's grid and random space), in plan order; never the single-valued
 * `--set` overrides every trial shares.
 */
export function sweepVariedKeys(
  trials: readonly { readonly assignments: Readonly<Record<string, unknown>> }[],
): string[] {
  const keys = new Set<string>();
  for (const trial of trials) for (const key of Object.keys(trial.assignments)) keys.add(key);
  return [...keys];
}

/** Short names of common paths in a trial's run name (`lr=0.01 bs=64`); others by their last part. */
const SHORT_KEYS: Readonly<Record<string, string>> = {
  learningRate: 'lr',
  batchSize: 'bs',
  epochs: 'epochs',
  units: 'units',
};

/**
 * A trial's run name: the base name and its varied values, e.g.
 * `lenet5-mnist lr=0.01 bs=64`, so trials read apart in a list or a legend.
 */
export function trialRunName(base: string, assignments: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(assignments).map(([path, value]) => {
    const last = path
      .split('.')
      .pop()!
      .replace(/\[\d+\]$/, '');
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    // No commas: `--set name=...` would read them as a list of values.
    return `${SHORT_KEYS[last] ?? last}=${shown.replaceAll(',', ' ')}`;
  });
  return [base, ...parts].join(' ');
}

/** One trial as listings see it: 1-based trial and configuration numbers. */
export interface TrialOutcome {
  readonly trial: number;
  readonly configuration: number;
  readonly status: string;
  readonly metric: number | null;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A configuration's runs (repeats with seeds seed, seed+1, ...) and their metric's mean and spread. */
export interface ConfigurationSummary {
  readonly configuration: number;
  readonly values: Readonly<Record<string, unknown>>;
  readonly trials: readonly number[];
  /** Completed repeats, whose metric makes the mean. */
  readonly completed: number;
  readonly mean: number | null;
  /** Sample standard deviation (n - 1) over the completed repeats; null below 2. */
  readonly std: number | null;
  /** True when no repeat is still to run and at least one completed: it may be the best. */
  readonly settled: boolean;
}

/**
 * Groups trials by configuration, in configuration order, with the mean and
 * standard deviation of the metric over the completed repeats.
 */
export function summarizeConfigurations(trials: readonly TrialOutcome[]): ConfigurationSummary[] {
  const groups = new Map<number, TrialOutcome[]>();
  for (const trial of trials)
    groups.set(trial.configuration, [...(groups.get(trial.configuration) ?? []), trial]);
  return [...groups]
    .sort((a, b) => a[0] - b[0])
    .map(([configuration, group]) => {
      const values = group
        .filter((t) => t.status === 'completed' && t.metric !== null && Number.isFinite(t.metric))
        .map((t) => t.metric!);
      const mean = values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null;
      const std =
        mean !== null && values.length > 1
          ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1))
          : null;
      return {
        configuration,
        values: group[0]!.values,
        trials: group.map((t) => t.trial),
        completed: values.length,
        mean,
        std,
        settled:
          values.length > 0 && group.every((t) => t.status !== 'pending' && t.status !== 'running'),
      };
    });
}

/** The settled configuration with the best mean. */
export function bestConfiguration(
  summaries: readonly ConfigurationSummary[],
  goal: 'minimize' | 'maximize',
): ConfigurationSummary | undefined {
  let best: ConfigurationSummary | undefined;
  for (const s of summaries) {
    if (!s.settled || s.mean === null) continue;
    if (!best || (goal === 'maximize' ? s.mean > best.mean! : s.mean < best.mean!)) best = s;
  }
  return best;
}
