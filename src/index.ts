/**
 * The public library API: explicit named exports, one group per stage.
 *
 * @example
 * import { loadExperiment, openStore, REGISTRIES, runExperiment } from 'runner';
 * const experiment = await loadExperiment('configs/lenet.yaml', {
 *   registries: REGISTRIES,
 *   set: ['train.epochs=1'],
 * });
 * const store = await openStore('runs/runner.db');
 * const result = await runExperiment({ experiment, store, runsDir: 'runs', shouldStop: () => false });
 */
export * from './errors.js';
export { RUNNER_VERSION } from './version.js';
export type * from './config/experiment.js';
export {
  loadExperiment,
  buildExperimentSchema,
  parseSetFlag,
  type ConfigRegistries,
} from './config/index.js';
export { REGISTRIES } from './registries.js';
export { LAYERS, buildModel, planModel, type ModelPlan, type LayerPlan } from './model/index.js';
export {
  DATASETS,
  loadData,
  createBatches,
  checkInputShape,
  type LoadedData,
  type ImageSplit,
  type Batch,
} from './data/index.js';
export {
  selectBackend,
  BACKENDS,
  type BackendChoice,
  type BackendInfo,
  type BackendName,
} from './backend/index.js';
export {
  runExperiment,
  startRun,
  type StartRunOptions,
  type LoggedRun,
  planTrials,
  runSweep,
  OPTIMIZERS,
  type OptimizerName,
  type RunExperimentOptions,
  type RunReporter,
  type RunResult,
} from './train/index.js';
export {
  openStore,
  type Store,
  type RunSummary,
  type RunDetail,
  type MetricWriter,
} from './store/index.js';
export { createDashboard, startDashboard } from './dashboard/index.js';
export { encodeTfEvents, tfEventsFileName, type TfEventsRun } from './export/index.js';
