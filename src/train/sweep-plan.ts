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
  /**
   * The trials planned so far. Grid and random plan them all up front; TPE appends each
   * proposal (all repeats of its configuration) just before it runs.
   */
  readonly trials: readonly TrialPlan[];
  /** The base config's `train.epochs` (with the `--set` overrides): TPE keeps hyperband's brackets apart by it. */
  readonly epochs?: number;
  /** The base config's seed: repeats run with seed, seed+1, ...; TPE's draws start from it. */
  readonly seed?: number;
  /** `--parallel` of the local sweep (trials at a time): `--resume` keeps it unless given one. */
  readonly parallel?: number;
  /** The local sweep's process (the last to run it): `--resume` refuses while it is alive. */
  readonly process?: {
    readonly host: string;
    readonly pid: number;
    readonly startedAt: number | null;
  };
  /** `runner sweep --tag T`: tags every trial's run gets (kept so a resume tags its trials too). */
  readonly tags?: readonly string[];
}

/** One trial: the value each varied path takes, and the `--set` flags that apply it. */
export interface TrialPlan {
  readonly index: number;
  /** The configuration this trial runs (0-based; absent in sweeps recorded before repeats: the index). */
  readonly configuration?: number;
  /** Which run of its configuration (0-based); with repeats > 1 it runs with seed + repeat. */
  readonly repeat?: number;
  readonly assignments: Readonly<Record<string, unknown>>;
  readonly overrides: readonly string[];
}

/**
 * Expands a sweep into its trials, purely: the grid's every combination
 * (YAML `sweep.grid` axes first, then `--set` lists), each crossed with
 * `trials` seeded samples of the random space when there is one, each
 * configuration run `repeats` times. Sampler `tpe` plans nothing up front:
 * its configurations are proposed one by one from the finished trials
 * (`nextSweepTrial`).
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
      hint: 'add a sweep: section with grid or space to the config, or pass --set key=v1,v2,...',
    });
  }
  if (sweep?.sampler === 'tpe') {
    if (axes.length > 0) {
      throw new UsageError(
        `sweep: sampler tpe searches sweep.space; ${axes.map((a) => a.path).join(', ')} has a list of values`,
        { hint: 'put listed values in sweep.space as {choice: [...]}, or use sampler: grid' },
      );
    }
    return [];
  }
  const combinations = cartesian(axes);
  const samples = random ? sampleSpace(random.space, random.trials, seed) : [{}];
  const trials: TrialPlan[] = [];
  let configuration = 0;
  for (const combination of combinations) {
    for (const sample of samples) {
      trials.push(
        ...repeatTrials(
          configuration++,
          { ...combination, ...sample },
          sweep?.repeats ?? 1,
          seed,
          trials.length,
        ),
      );
    }
  }
  return trials;
}

/**
 * The trials of one configuration: `repeats` of them, numbered from `firstIndex`; with
 * more than one, each sets `seed` to the base seed + its repeat.
 */
export function repeatTrials(
  configuration: number,
  assignments: Readonly<Record<string, unknown>>,
  repeats: number,
  seed: number,
  firstIndex: number,
): TrialPlan[] {
  const overrides = Object.entries(assignments).map(
    ([path, value]) => `${path}=${JSON.stringify(value)}`,
  );
  return Array.from({ length: repeats }, (_, repeat) => ({
    index: firstIndex + repeat,
    configuration,
    repeat,
    assignments,
    overrides: repeats > 1 ? [...overrides, `seed=${seed + repeat}`] : overrides,
  }));
}

/** Trials the sweep will run in all (TPE's are not all planned yet). */
export function plannedTrialCount(definition: SweepDefinition): number {
  const sweep = definition.sweep;
  if (sweep?.sampler === 'tpe') return (sweep.random?.trials ?? 0) * (sweep.repeats ?? 1);
  return definition.trials.length;
}

/** A trial's configuration (sweeps recorded before repeats: one configuration per trial). */
export function configurationOf(trial: TrialPlan): number {
  return trial.configuration ?? trial.index;
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
    Object.fromEntries(
      Object.entries(space).map(([path, dist]) => [path, sampleDistribution(dist, random)]),
    ),
  );
}

/**
 * The `index`-th (0-based) configuration random search draws from `space` with `seed`: the
 * same as `planTrials` plans for sampler random (each draw takes one number of the stream).
 */
export function sampleSpaceAt(
  space: Readonly<Record<string, SweepDistribution>>,
  seed: number,
  index: number,
): Record<string, unknown> {
  return sampleSpace(space, index + 1, seed)[index]!;
}

/** One seeded draw from a distribution of the space. */
export function sampleDistribution(dist: SweepDistribution, random: () => number): unknown {
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
