/**
 * What the config stage needs to know of each registry (optimizers, backends,
 * datasets, layers), as plain data and small functions. The registries live in
 * the stages that implement them (train/, backend/, data/, model/) and are
 * handed in: config/ stays leftmost and names no optimizer, backend or dataset.
 */
import type { DiagnosticCode } from './diagnostic-codes.js';
import type { PathSegment } from './document-path.js';
import type { LayerSchemaEntry } from './build-experiment-schema.js';

/** A JSON Schema (2020-12) fragment. */
export type JsonSchemaObject = Readonly<Record<string, unknown>>;

/** One option an optimizer reads from `train.optimizer`, beside `type` and `learningRate`. */
export interface OptimizerOptionEntry {
  /** JSON Schema of the value (without a `default`: defaults differ by optimizer). */
  readonly schema: JsonSchemaObject;
  /** What it does, for the schema's description (the default is appended). */
  readonly description: string;
  /** The value used when the config leaves it out. */
  readonly default: number | boolean | string;
}

/** One entry of the optimizer registry, as config needs it. */
export interface OptimizerConfigEntry {
  /** The value of `train.optimizer.type`, e.g. `adam`. */
  readonly name: string;
  /** One sentence, for the schema. */
  readonly description: string;
  /** The options it reads; any other optimizer's option is refused by the rules. */
  readonly options: Readonly<Record<string, OptimizerOptionEntry>>;
}

/** One entry of the backend registry, as config needs it. */
export interface BackendConfigEntry {
  /** The value of `backend:` and `--backend`, e.g. `wasm`. */
  readonly name: string;
  readonly description: string;
}

/** A problem a dataset's own rule found, located by its document path. */
export interface DatasetRuleIssue {
  readonly path: readonly PathSegment[];
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly hint?: string;
  /** Point at the key (default) rather than at its value. */
  readonly atKey?: boolean;
}

/** What a dataset's rule reads: the document with schema defaults filled in. */
export interface DatasetRuleInput {
  /** `data:` of the document. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The whole document (e.g. to compare `model.input` with the data's shape). */
  readonly document: Readonly<Record<string, unknown>>;
}

/** One entry of the dataset registry, as config needs it. */
export interface DatasetConfigEntry {
  /** The value of `data.dataset`, e.g. `mnist`. */
  readonly name: string;
  readonly description: string;
  /** An object schema whose properties are the `data.*` keys only this dataset reads. */
  readonly optionsSchema: JsonSchemaObject;
  /**
   * Values put into `data:` before the schema check when the config leaves
   * them out, so that the schema fills in the defaults below them (e.g.
   * `{synthetic: {}}`).
   */
  readonly configDefaults?: Readonly<Record<string, unknown>>;
  /** Rules past what the schema can say (e.g. idx needs its train files). */
  checkConfig?(input: DatasetRuleInput): readonly DatasetRuleIssue[];
}

/** Every registry config reads, handed to `loadExperiment` and the schema builder. */
export interface ConfigRegistries {
  readonly layers: readonly LayerSchemaEntry[];
  /** The first is the default `train.optimizer.type`. */
  readonly optimizers: readonly OptimizerConfigEntry[];
  /** In the order `backend: auto` tries them: fastest first. */
  readonly backends: readonly BackendConfigEntry[];
  readonly datasets: readonly DatasetConfigEntry[];
}
