import type { Logger } from 'pino';
import type { DataSpec, DatasetConfigEntry } from '../config/index.js';
import type { TablePreprocessing } from './csv/table-preprocessing.js';

/**
 * One split of images kept compact in memory: uint8 pixels, NHWC, row-major,
 * `count * height * width * channels` bytes. Views into the decoded file, not copies.
 */
export interface ImageSplit {
  readonly images: Uint8Array;
  /** One class index per image; Uint16Array only when a dataset has more than 256 classes. */
  readonly labels: Uint8Array | Uint16Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /**
   * Tables: the encoded features, `count * channels` float32 values used as
   * they are (height and width are 1, `images` is empty). The model input is [channels].
   */
  readonly features?: Float32Array;
  /** Regression: one target value per example (`labels` is empty). */
  readonly targets?: Float32Array;
}

/** Classification predicts a class index; regression a number. */
export type Task = 'classification' | 'regression';

/** Where the examples came from: recorded with the run and shown on the terminal. */
export type DataSourceKind =
  /** `root`: data.root; `env`: RUNNER_DATA_DIR; `cache`: the per-user cache. */
  'cache' | 'env' | 'debian' | 'root' | 'download' | 'sample' | 'files' | 'synthetic';

export interface DataSource {
  readonly dataset: string;
  readonly kind: DataSourceKind;
  /** A folder, a file list or a short description (`seed 7, noise 0.2`). */
  readonly location: string;
  readonly trainCount: number;
  readonly evalCount: number;
}

/** What `loadData` hands the trainer. */
export interface LoadedData {
  readonly train: ImageSplit;
  /** The split evaluated after each epoch: the test set, or `val` held out from train. */
  readonly eval: ImageSplit;
  readonly evalName: 'test' | 'val';
  /** Classes for classification; 1 (one output) for regression. */
  readonly numClasses: number;
  readonly task: Task;
  /** Class names by index, when the data has them (image folders, CSV labels); else "0", "1", ... */
  readonly classes: readonly string[];
  /** A CSV table's learnt encoding, recorded with the run and applied by eval and predict. */
  readonly preprocessing: TablePreprocessing | undefined;
  /** The model input shape: [height, width, channels] for images, [features] for tables. */
  readonly shape: readonly number[];
  /** Per eval example, the file it came from (image folders: `<class>/<file>`), when known. */
  readonly evalFiles?: readonly string[];
  readonly source: DataSource;
  /** One line each: substitutions and repairs the caller must show the user. */
  readonly notices: readonly string[];
}

/** Progress of one file download, for a progress bar drawn by the caller. */
export interface DownloadProgress {
  readonly dataset: string;
  readonly file: string;
  readonly url: string;
  readonly receivedBytes: number;
  /** From Content-Length; undefined when the server does not say. */
  readonly totalBytes: number | undefined;
  readonly done: boolean;
}

export interface DownloadTimeouts {
  /** Time allowed to open the connection (DNS + TCP + TLS). */
  readonly connectMs: number;
  /** Time allowed without receiving a byte once connected. */
  readonly idleMs: number;
}

/**
 * What a trained run learnt about its data, recorded with it: `runner eval`
 * and `runner predict` hand it back so that new data is encoded the same way
 * (the same class indices, image size, CSV statistics and categories).
 */
export interface RecordedData {
  readonly classes: readonly string[];
  readonly shape: readonly number[];
  readonly preprocessing: TablePreprocessing | undefined;
}

export interface LoadDataOptions {
  /** The run's seed: synthetic data and (elsewhere) shuffling derive from it. */
  readonly seed: number;
  /** `model.input` when the config gives it: image folders take their size and channels from it. */
  readonly modelInput?: readonly number[] | undefined;
  /** What `train.loss` trains: a CSV target is a class label or a number. Default classification. */
  readonly task?: Task;
  /** A trained run's data facts, to encode other data as it was (eval, predict). */
  readonly recorded?: RecordedData | undefined;
  readonly logger?: Logger;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Mirror base URLs by dataset name; beats `RUNNER_<NAME>_MIRRORS` and the built-in list. */
  readonly mirrors?: Readonly<Record<string, readonly string[]>>;
  readonly timeouts?: Partial<DownloadTimeouts>;
  /** Environment to read `RUNNER_DATA_DIR`, `XDG_CACHE_HOME`, `HOME`, mirror lists from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Base for relative paths (data.root, idx files); default process.cwd(). */
  readonly cwd?: string;
}

/** What a dataset gets to load itself: the options, resolved. */
export interface DatasetContext {
  readonly spec: DataSpec;
  readonly seed: number;
  readonly modelInput: readonly number[] | undefined;
  readonly task: Task;
  readonly recorded: RecordedData | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly logger: Logger | undefined;
  readonly onProgress: ((progress: DownloadProgress) => void) | undefined;
  readonly mirrors: Readonly<Record<string, readonly string[]>> | undefined;
  readonly timeouts: DownloadTimeouts;
}

/** A dataset's own train and test sets, before limits and the validation split. */
export interface DatasetSplits {
  readonly train: ImageSplit;
  readonly test: ImageSplit | undefined;
  readonly numClasses: number;
  /** Default classification. */
  readonly task?: Task;
  /** Class names by index; default "0", "1", ... */
  readonly classes?: readonly string[];
  readonly preprocessing?: TablePreprocessing;
  /** Per example of each split, the file it came from, when the dataset knows it. */
  readonly files?: {
    readonly train: readonly string[];
    readonly test: readonly string[] | undefined;
  };
  readonly kind: DataSourceKind;
  readonly location: string;
  readonly notices: readonly string[];
}

/**
 * A dataset's `data.test` split alone, encoded as a trained run recorded it
 * (`context.recorded`): what `runner eval` reads, so that it needs no training data.
 */
export interface TestSplit {
  readonly test: ImageSplit;
  /** Per example, the file it came from (image folders: `<class>/<file>`), when the dataset knows it. */
  readonly files: readonly string[] | undefined;
  readonly location: string;
  readonly notices: readonly string[];
}

/** Where a dataset stands on this machine, for `runner data ls`. */
export interface DatasetStatus {
  readonly dataset: string;
  readonly status:
    | 'cached'
    | 'debian'
    | 'bundled sample'
    | 'downloadable'
    | 'missing'
    | 'generated'
    | 'user files';
  readonly location: string;
  readonly trainCount: number | undefined;
  readonly testCount: number | undefined;
  /** Extra facts: a corrupt file found, what a `fetch` would do. */
  readonly detail: string | undefined;
}

/**
 * One entry of the dataset registry. Adding a dataset is one file exporting one
 * of these plus one line in `DATASETS`.
 */
export interface DatasetDefinition extends DatasetConfigEntry {
  load(context: DatasetContext): Promise<DatasetSplits>;
  status(context: DatasetContext): Promise<DatasetStatus>;
  /**
   * Only `data.test`, encoded with `context.recorded` (classes, image shape,
   * CSV statistics); undefined when the config gives no `data.test`. Absent:
   * `runner eval` loads the whole dataset (training split included).
   */
  loadTest?(context: DatasetContext): Promise<TestSplit | undefined>;
  /** The class count the config fixes, known before loading; undefined (or absent) when only the labels tell. */
  classCount?(spec: DataSpec): number | undefined;
  /** The examples of each split, known before loading (for the memory estimate); undefined when only loading tells. */
  exampleCount?(spec: DataSpec): { readonly train: number; readonly test: number } | undefined;
  /**
   * The bytes the loaded data will hold (both splits, decoded), told from the user's files
   * without decoding them (IDX headers, image files counted, CSV rows counted), for the memory
   * estimate of `plan` and `validate`; undefined when that cannot be told before loading.
   * `valuesPerExample` is the model input's size (pixels, or table columns once encoded).
   */
  measureData?(
    spec: DataSpec,
    context: { readonly cwd: string; readonly valuesPerExample: number | undefined },
  ): Promise<number | undefined>;
}
