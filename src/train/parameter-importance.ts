// Which varied parameter matters: pure, no dependency (the dashboard imports it without
// loading training).

/** One finished trial: its varied values and its metric. */
export interface ScoredTrial {
  readonly params: Readonly<Record<string, unknown>>;
  readonly value: number;
}

export interface ParameterImportance {
  readonly key: string;
  /** Share of the total (the importances sum to 1 when any is above 0). */
  readonly importance: number;
}

/** What the page says it computed. */
export const IMPORTANCE_METHOD =
  'PED-ANOVA (Watanabe et al. 2023, as optuna-dashboard offers it): per parameter, the Pearson divergence between the distribution of the top 10% of trials (at least 2) and of all finished trials, normalised to sum 1';

const GRID = 64;

/**
 * PED-ANOVA importances: for each parameter, how differently the best trials
 * are spread over its values than all trials are. A parameter whose best
 * trials sit where any trial sits does not matter; one whose best trials
 * crowd a corner does. Numeric values go through a Gaussian kernel density
 * (Scott's bandwidth per set, log scale when they span a factor of 10 or more) on a grid; parameters
 * with few distinct values are counted per value. Fewer than 4 trials: none.
 *
 * @example parameterImportance(trials, ['train.optimizer.learningRate'], 'maximize')
 */
export function parameterImportance(
  trials: readonly ScoredTrial[],
  keys: readonly string[],
  goal: 'minimize' | 'maximize',
): ParameterImportance[] {
  const finite = trials.filter((t) => Number.isFinite(t.value));
  if (finite.length < 4) return [];
  const ranked = [...finite].sort((a, b) =>
    goal === 'maximize' ? b.value - a.value : a.value - b.value,
  );
  const top = ranked.slice(0, Math.max(2, Math.ceil(0.1 * ranked.length)));
  const raw = keys.map((key) => ({
    key,
    divergence: pearsonDivergence(
      top.map((t) => t.params[key]),
      finite.map((t) => t.params[key]),
    ),
  }));
  const total = raw.reduce((sum, r) => sum + r.divergence, 0);
  return raw
    .map((r) => ({ key: r.key, importance: total > 0 ? r.divergence / total : 0 }))
    .sort((a, b) => b.importance - a.importance || a.key.localeCompare(b.key));
}

/** ∫ p_all (p_top / p_all - 1)² over the parameter's values. */
function pearsonDivergence(top: readonly unknown[], all: readonly unknown[]): number {
  const distinct = new Set(all.map((v) => JSON.stringify(v)));
  const numeric = all.every((v) => typeof v === 'number' && Number.isFinite(v));
  const [pTop, pAll] =
    numeric && distinct.size > 8
      ? [density(top as number[], all as number[]), density(all as number[], all as number[])]
      : [frequencies(top, [...distinct]), frequencies(all, [...distinct])];
  let divergence = 0;
  for (let i = 0; i < pAll.length; i++) {
    if (pAll[i]! <= 1e-12) continue;
    divergence += pAll[i]! * (pTop[i]! / pAll[i]! - 1) ** 2;
  }
  return divergence;
}

function frequencies(values: readonly unknown[], categories: readonly string[]): number[] {
  const counts = categories.map(
    (c) => values.filter((v) => JSON.stringify(v) === c).length + 1 / categories.length,
  );
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
}

/** A Gaussian kernel density of `values` on a grid over the range of `domain`, summing to 1. */
function density(values: readonly number[], domain: readonly number[]): number[] {
  const low = Math.min(...domain);
  const high = Math.max(...domain);
  const log = low > 0 && high / low >= 10;
  const at = (v: number): number => (log ? Math.log(v) : v);
  const lo = at(low);
  const span = at(high) - lo || 1;
  const points = values.map(at);
  const mean = points.reduce((a, b) => a + b, 0) / points.length;
  const sd = Math.sqrt(points.reduce((s, v) => s + (v - mean) ** 2, 0) / points.length);
  // Scott's rule on the set itself (as PED-ANOVA's estimators), at least one grid cell wide.
  const bandwidth = Math.max(1.06 * sd * points.length ** -0.2, span / GRID);
  const grid = Array.from({ length: GRID }, (_, i) => {
    const x = lo + (span * (i + 0.5)) / GRID;
    return points.reduce((sum, p) => sum + Math.exp(-0.5 * ((x - p) / bandwidth) ** 2), 0);
  });
  const total = grid.reduce((a, b) => a + b, 0);
  return grid.map((g) => g / total);
}
