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

export interface SweepSpec {
  /** Dotted config path → values, every combination is a trial. */
  readonly grid: Readonly<Record<string, readonly unknown[]>> | undefined;
  readonly random:
    | {
        readonly trials: number;
        readonly space: Readonly<Record<string, SweepDistribution>>;
      }
    | undefined;
  readonly metric: string;
  readonly goal: 'minimize' | 'maximize';
  /** Median stopping: prune a trial worse than the median of finished trials at the same epoch. */
  readonly earlyStop: { readonly type: 'median'; readonly minEpochs: number } | undefined;
}

export type SweepDistribution =
  | { readonly uniform: readonly [number, number] }
  | { readonly logUniform: readonly [number, number] }
  | { readonly choice: readonly unknown[] }
  | { readonly intUniform: readonly [number, number] };
