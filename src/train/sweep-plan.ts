import type { SweepDistribution, SweepSpec } from '../config/experiment.js';
import { createRandom } from '../data/index.js';
import { UsageError } from '../errors.js';

/** One varied config path and the values it takes (from `sweep.grid` or a `--set a=v1,v2` list). */
export interface SweepAxis {
  readonly path: string;
  readonly values: readonly unknown[];
}

/** What a sweep row keeps (as its definition) so that `--resume` runs the rest exactly as planned. */
export interface SweepDefinition {
  /** The experiment file, absolute. */
  readonly file: string;
  /** Single-valued `--set` flags every trial gets. */
  readonly overrides: readonly string[];
  /** `--set` lists that became axes. */
  readonly axes: readonly SweepAxis[];
  /** The config's `sweep:` section, when it had one. */
  readonly sweep: SweepSpec | null;
  readonly trials: readonly TrialPlan[];
}

/** One trial: the value each varied path takes, and the `--set` flags that apply it. */
export interface TrialPlan {
  readonly index: number;
  readonly assignments: Readonly<Record<string, unknown>>;
  readonly overrides: readonly string[];
}

/**
 * Expands a sweep into its trials, purely: the grid's every combination
 * (YAML `sweep.grid` axes first, then `--set` lists), each crossed with
 * `sweep.random.trials` seeded samples of the random space when there is one.
 *
 * @example planTrials(undefined, [{ path: 'train.optimizer.learningRate', values: [0.01, 0.001] }], 1)
 *   // → 2 trials: learningRate=0.01, learningRate=0.001
 */
export function planTrials(
  sweep: SweepSpec | undefined,
  setAxes: readonly SweepAxis[],
  seed: number,
): TrialPlan[] {
  const axes: SweepAxis[] = [
    ...Object.entries(sweep?.grid ?? {}).map(([path, values]) => ({ path, values })),
    ...setAxes,
  ];
  for (const axis of axes) {
    if (axis.values.length === 0) {
      throw new UsageError(`sweep: ${axis.path} has no values`, {
        hint: 'give at least one value, e.g. --set train.optimizer.learningRate=0.01,0.001',
      });
    }
  }
  const random = sweep?.random;
  if (axes.length === 0 && random === undefined) {
    throw new UsageError('sweep: nothing to vary', {
      hint: 'add a sweep: section with grid or random to the config, or pass --set key=v1,v2,...',
    });
  }
  const combinations = cartesian(axes);
  const samples = random ? sampleSpace(random.space, random.trials, seed) : [{}];
  const trials: TrialPlan[] = [];
  for (const combination of combinations) {
    for (const sample of samples) {
      const assignments = { ...combination, ...sample };
      trials.push({
        index: trials.length,
        assignments,
        overrides: Object.entries(assignments).map(
          ([path, value]) => `${path}=${JSON.stringify(value)}`,
        ),
      });
    }
  }
  return trials;
}

function cartesian(axes: readonly SweepAxis[]): Record<string, unknown>[] {
  let combinations: Record<string, unknown>[] = [{}];
  for (const axis of axes) {
    combinations = combinations.flatMap((partial) =>
      axis.values.map((value) => ({ ...partial, [axis.path]: value })),
    );
  }
  return combinations;
}

function sampleSpace(
  space: Readonly<Record<string, SweepDistribution>>,
  trials: number,
  seed: number,
): Record<string, unknown>[] {
  const random = createRandom(seed);
  return Array.from({ length: trials }, () =>
    Object.fromEntries(Object.entries(space).map(([path, dist]) => [path, sample(dist, random)])),
  );
}

function sample(dist: SweepDistribution, random: () => number): unknown {
  if ('uniform' in dist) {
    const [a, b] = dist.uniform;
    return a + (b - a) * random();
  }
  if ('logUniform' in dist) {
    const [a, b] = dist.logUniform;
    // Rounded to 4 significant digits: learning rates people can read and re-type.
    return Number(Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * random()).toPrecision(4));
  }
  if ('intUniform' in dist) {
    const [a, b] = dist.intUniform;
    return a + Math.floor(random() * (b - a + 1));
  }
  return dist.choice[Math.floor(random() * dist.choice.length)];
}
