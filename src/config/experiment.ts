import type { SourceLoc } from '../errors.js';

/**
 * The resolved experiment: what the user wrote, after `extends`, `--set`,
 * schema check and defaults. Frozen; the rest of the code sees only this.
 * (What the user wrote, with positions, stays inside config/.)
 */
export interface Experiment {
  readonly name: string;
  readonly seed: number;
  /** A name from the backend registry (src/backend/backends.ts), or `auto`: the fastest that loads. */
  readonly backend: string;
  readonly data: DataSpec;
  readonly model: ModelSpec;
  readonly train: TrainSpec;
  readonly sweep: SweepSpec | undefined;
  /** Where the experiment came from, for messages and the run record. */
  readonly source: ExperimentSource;
}

export interface ExperimentSource {
  /** The top file as given on the command line. */
  readonly file: string;
  /** Every file read, the top one first, then what it extends. */
  readonly files: readonly string[];
  /** The `--set` overrides applied, as given. */
  readonly overrides: readonly string[];
  /** The resolved document as plain JSON (defaults filled in), for the run record. */
  readonly document: Readonly<Record<string, unknown>>;
}

export interface DataSpec {
  /** A name from the dataset registry (src/data/datasets/). */
  readonly dataset: string;
  readonly batchSize: number;
  /** Overrides the data directory (RUNNER_DATA_DIR, else the per-user cache). */
  readonly root: string | undefined;
  /** `auto` may substitute the offline sample and say so; `official` refuses to. */
  readonly source: 'auto' | 'official' | 'sample';
  readonly limit: { readonly train: number | undefined; readonly test: number | undefined };
  /** Fraction of the training set held out and reported as `val`; 0 evaluates on test. */
  readonly validationSplit: number;
  readonly shuffle: boolean;
  /** Pixels are scaled to [0,1] first; then, when given, (x - mean) / std. */
  readonly normalize: { readonly mean: number; readonly std: number } | undefined;
  /** Seeded random changes of training images (never of evaluated ones); undefined: none. */
  readonly augment: AugmentSpec | undefined;
  /** The chosen dataset's own `data.*` keys (its optionsSchema's), as validated and defaulted. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly loc: SourceLoc | undefined;
}

/** The layer graph: nodes in file order; `output` names the node whose output is the logits. */
export interface ModelSpec {
  /**
   * Input shape without the batch dimension, e.g. [28, 28, 1] (NHWC), or
   * [features] for a table; undefined: taken from the data when it is loaded.
   */
  readonly input: readonly number[] | undefined;
  readonly nodes: readonly LayerNode[];
  readonly output: string;
  readonly loc: SourceLoc | undefined;
}

/**
 * One layer of the graph. `kind` is a key of the layer registry; `spec` holds
 * its arguments as written (schema-checked); `inputs` names other nodes
 * (earlier or later in the file; the graph is acyclic), or `input` for the
 * model input. Unnamed layers are named `<kind>_<position>` (`conv2d_1`,
 * `maxPool2d_2`, ...) and a layer without `inputs` takes the one before it.
 */
export interface LayerNode {
  readonly kind: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly spec: Readonly<Record<string, unknown>>;
  /** The document path of this node, e.g. `model.layers[2]`. */
  readonly path: string;
  readonly loc: SourceLoc | undefined;
}

export interface TrainSpec {
  readonly epochs: number;
  /**
   * `crossEntropy` is softmax cross-entropy on logits (classification); `mse`,
   * `mae` and `huber` train a single output on a numeric target (regression).
   */
  readonly loss: 'crossEntropy' | 'mse' | 'mae' | 'huber';
  readonly optimizer: OptimizerSpec;
  /** Stop after this many training steps in all (quick runs, benchmarks). */
  readonly maxSteps: number | undefined;
  /** The evaluation metric that picks the best checkpoint. */
  readonly checkpointMetric: 'accuracy' | 'loss';
  /** Data-parallel worker threads: a count, or `auto` (see `resolveWorkers`). */
  readonly workers: number | 'auto';
  /** How the learning rate changes over the run; undefined: constant. */
  readonly schedule: ScheduleSpec | undefined;
  /** Rescale (norm) or clamp (value) gradients before each update. */
  readonly gradientClipping: { readonly norm: number } | { readonly value: number } | undefined;
  /** Cross-entropy against (1 - s) * one-hot + s / classes; 0: none. */
  readonly labelSmoothing: number;
  readonly earlyStopping: EarlyStoppingSpec | undefined;
  /** Save the whole training state every this many steps (and at every epoch end); undefined: epoch ends only. */
  readonly checkpointEvery: number | undefined;
}

/** `train.schedule`: PyTorch's torch.optim.lr_scheduler, by name. */
export type ScheduleSpec = (
  | { readonly type: 'step'; readonly stepEpochs: number; readonly gamma: number }
  | { readonly type: 'exponential'; readonly gamma: number }
  | {
      readonly type: 'cosine';
      readonly minLearningRate: number;
      readonly warmupSteps: number | undefined;
      readonly warmupEpochs: number | undefined;
      readonly warmupStartFactor: number;
    }
  | {
      readonly type: 'oneCycle';
      readonly maxLearningRate: number;
      readonly pctStart: number;
      readonly divFactor: number;
      readonly finalDivFactor: number;
      /** PyTorch cycle_momentum: momentum (beta1 for adam/adamw) runs inversely to the rate. */
      readonly cycleMomentum: boolean;
      readonly baseMomentum: number;
      readonly maxMomentum: number;
    }
  | {
      readonly type: 'reduceOnPlateau';
      readonly metric: string;
      readonly mode: 'min' | 'max';
      readonly factor: number;
      readonly patience: number;
      readonly threshold: number;
      readonly cooldown: number;
      readonly minLearningRate: number;
    }
) & { readonly loc: SourceLoc | undefined };

/** `train.earlyStopping`. */
export interface EarlyStoppingSpec {
  readonly metric: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  /** The saved final model is the best epoch's, not the last one's. */
  readonly restoreBest: boolean;
}

/** `data.augment`: each change drawn per image from the run's seed, epoch and position. */
export interface AugmentSpec {
  /** Translate by up to this many pixels each way (zeros come in). */
  readonly shift: number;
  /** Pad by this many zero pixels, then crop back to size at a random place (torchvision RandomCrop). */
  readonly cropPadding: number;
  /** Mirror left-right with probability 1/2. */
  readonly flip: boolean;
  /** Rotate by up to this many degrees each way (nearest pixel, as torchvision's default). */
  readonly rotate: number;
  /** Gaussian noise of this standard deviation, in units of the [0, 1] pixel scale. */
  readonly noise: number;
}

export interface OptimizerSpec {
  /** A name from the optimizer registry (src/train/optimizers/). */
  readonly type: string;
  readonly learningRate: number;
  /**
   * The optimizer's own options as written (beta1, momentum, ...): each one is
   * an option of `type` (checked); the ones left out take the registry's defaults.
   */
  readonly options: Readonly<Record<string, unknown>>;
}

/** How a sweep picks its trials: every grid combination, seeded random draws, or TPE. */
export type SamplerKind = 'grid' | 'random' | 'tpe';

/** The Tree-structured Parzen Estimator's settings (Optuna's TPESampler defaults). */
export interface TpeSpec {
  /** Configurations to finish, drawn at random, before TPE models the results (Optuna: 10). */
  readonly startupTrials: number;
  /** Fraction of finished configurations that count as "good" (at most 25; Optuna: 0.1). */
  readonly gamma: number;
  /** Candidates drawn from the good model; the one with the best ratio l(x)/g(x) is proposed (Optuna: 24). */
  readonly candidates: number;
  /**
   * Count configurations still running (other `--parallel` slots, other workers) among the
   * bad ones, so that free slots do not propose next to them (Optuna's constant_liar,
   * default true since v4). Absent in sweeps recorded before it: true.
   */
  readonly constantLiar?: boolean;
  /**
   * Model the parameters jointly (a mixture of product kernels: what went together in a good
   * trial is proposed together; Optuna's `multivariate=True`), else one at a time (the
   * default, as Bergstra et al. 2011: on bench/sweep-search.mjs it beat random search in 8
   * of 10 seeds where the joint model did in 4, equal in 4). Absent: one at a time.
   */
  readonly multivariate?: boolean;
}

/** Stops trials at epoch ends from their metric, against the other trials of the sweep. */
export type PrunerSpec =
  | {
      /** Prune a trial worse than the median of completed trials at the same epoch. */
      readonly type: 'median';
      readonly minEpochs: number;
    }
  | {
      /** Rungs at minEpochs·η^k epochs; only the best 1/η at a rung go on (Optuna's SuccessiveHalvingPruner). */
      readonly type: 'successiveHalving';
      readonly minEpochs: number;
      readonly reductionFactor: number;
    }
  | {
      /** Several successive-halving brackets, each starting later (Optuna's HyperbandPruner). */
      readonly type: 'hyperband';
      readonly minEpochs: number;
      readonly reductionFactor: number;
      /** Brackets; default floor(log_η(epochs / minEpochs)) + 1. */
      readonly brackets: number | undefined;
    };

export type PrunerKind = PrunerSpec['type'];

export interface SweepSpec {
  readonly sampler: SamplerKind;
  /** Dotted config path → values, every combination is a trial. */
  readonly grid: Readonly<Record<string, readonly unknown[]>> | undefined;
  /** The space and count of configurations drawn (sampler random or tpe). */
  readonly random:
    | {
        readonly trials: number;
        readonly space: Readonly<Record<string, SweepDistribution>>;
      }
    | undefined;
  readonly tpe: TpeSpec;
  readonly metric: string;
  readonly goal: 'minimize' | 'maximize';
  /** Prunes trials at epoch ends (`earlyStop: {type: median}` is read as the median pruner). */
  readonly pruner: PrunerSpec | undefined;
  /** Runs of each configuration, with seeds seed, seed+1, ...; "best" means the best mean. */
  readonly repeats: number;
}

export type SweepDistribution =
  | { readonly uniform: readonly [number, number] }
  | { readonly logUniform: readonly [number, number] }
  | { readonly choice: readonly unknown[] }
  | { readonly intUniform: readonly [number, number] };
