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
