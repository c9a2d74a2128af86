import type { DataSpec } from '../config/experiment.js';
import { DatasetError } from '../errors.js';
import type { DatasetStatus, LoadDataOptions } from './dataset.js';
import { DATASETS, findDataset } from './datasets/index.js';
import { FASHION_MNIST_FILES } from './datasets/fashion-mnist.js';
import { MNIST_FILES } from './datasets/mnist.js';
import { createDatasetContext } from './load-data.js';
import { fetchOfficialDataset, type FetchReport } from './official-loader.js';
import type { OfficialDataset } from './official-files.js';

/** Datasets with official files to download; `runner data fetch` accepts these names. */
const DOWNLOADABLE: Readonly<Record<string, OfficialDataset>> = {
  mnist: MNIST_FILES,
  'fashion-mnist': FASHION_MNIST_FILES,
};

function specFor(dataset: string, root: string | undefined): DataSpec {
  return {
    dataset,
    batchSize: 1,
    root,
    source: 'auto',
    limit: { train: undefined, test: undefined },
    validationSplit: 0,
    shuffle: false,
    normalize: undefined,
    augment: undefined,
    options: {},
    loc: undefined,
  };
}

/** Where every registered dataset stands on this machine (for `runner data ls`); no network. */
export async function datasetStatus(
  options: Omit<LoadDataOptions, 'seed'> & { readonly root?: string },
): Promise<DatasetStatus[]> {
  return Promise.all(
    DATASETS.map((d) =>
      d.status(createDatasetContext(specFor(d.name, options.root), { ...options, seed: 0 })),
    ),
  );
}

/**
 * Downloads the official files of `name` into the data directory (verified,
 * atomically), unless they are there already.
 */
export async function fetchDataset(
  name: string,
  options: Omit<LoadDataOptions, 'seed'> & { readonly root?: string },
): Promise<FetchReport> {
  findDataset(name);
  const dataset = DOWNLOADABLE[name];
  if (dataset === undefined) {
    throw new DatasetError(
      `${name}: nothing to download (only ${Object.keys(DOWNLOADABLE).join(', ')} have official files)`,
    );
  }
  return fetchOfficialDataset(
    dataset,
    createDatasetContext(specFor(name, options.root), { ...options, seed: 0 }),
  );
}

export type { FetchReport };
