/**
 * Every registry the config stage checks against, in one value: the layer,
 * optimizer, backend and dataset registries of their own stages. Pass it to
 * `loadExperiment` and `buildExperimentSchema`; config/ itself names no kind.
 *
 * @example
 *   const experiment = await loadExperiment('configs/lenet.yaml', { registries: REGISTRIES });
 */
import type { ConfigRegistries } from './config/index.js';
import { BACKENDS } from './backend/backends.js';
import { DATASETS } from './data/datasets/index.js';
import { LAYERS } from './model/layers/index.js';
import { OPTIMIZERS } from './train/optimizers/index.js';

export const REGISTRIES: ConfigRegistries = {
  layers: LAYERS,
  optimizers: OPTIMIZERS,
  backends: BACKENDS,
  datasets: DATASETS,
};
