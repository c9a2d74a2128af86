/**
 * The config stage: an experiment file in, a frozen, validated `Experiment`
 * out, or a `ConfigError` listing every problem with its `file:line:col`.
 */
export type * from './experiment.js';
export { loadExperiment, MAX_DIAGNOSTICS, type LoadExperimentOptions } from './load-experiment.js';
export {
  buildExperimentSchema,
  EXPERIMENT_SCHEMA_ID,
  type ExperimentSchemaInput,
  type LayerSchemaEntry,
} from './build-experiment-schema.js';
export type {
  BackendConfigEntry,
  ConfigRegistries,
  DatasetConfigEntry,
  DatasetRuleInput,
  DatasetRuleIssue,
  JsonSchemaObject,
  OptimizerConfigEntry,
  OptimizerOptionEntry,
} from './registry-entries.js';
export { EXPERIMENT_SCHEMA_URL } from './experiment-schema-file.js';
export { flattenDocument } from './flatten-document.js';
export {
  applyOverride,
  parseOverride,
  parseSetFlag,
  type Override,
  type SetFlag,
} from './set-overrides.js';
export { checkSchemaPath } from './schema-paths.js';
export { formatPath, parsePath, type DocumentPath, type PathSegment } from './document-path.js';
export { MODEL_INPUT } from './check-layer-graph.js';
export {
  DIAGNOSTIC_CODES,
  describeDiagnosticCode,
  isDiagnosticCode,
  type DiagnosticCode,
  type DiagnosticCodeEntry,
} from './diagnostic-codes.js';
export { closestMatch, didYouMean } from './did-you-mean.js';
