/** The data stage: dataset registry, IDX reader, verified downloads, batch loader. */
export type {
  DatasetContext,
  DatasetDefinition,
  DatasetSplits,
  DatasetStatus,
  DataSource,
  DataSourceKind,
  DownloadProgress,
  DownloadTimeouts,
  ImageSplit,
  LoadDataOptions,
  LoadedData,
  RecordedData,
  Task,
  TestSplit,
} from './dataset.js';
export { DATASETS, findDataset } from './datasets/index.js';
export { loadData, checkInputShape, createDatasetContext } from './load-data.js';
export { loadEvalData, type EvalData } from './load-eval-data.js';
export { exampleShape } from './image-split.js';
export type {
  ColumnEncoding,
  MissingPolicy,
  TablePreprocessing,
  TargetEncoding,
} from './csv/table-preprocessing.js';
export { createBatches, type Batch } from './batch-loader.js';
export {
  batchCount,
  batchIndices,
  createBatchArrays,
  epochOrder,
  fillBatch,
  pixelTable,
  type BatchArrays,
  type BatchOptions,
} from './batch-arrays.js';
export { datasetStatus, fetchDataset } from './dataset-admin.js';
export { resolveDataDir, type DataDir } from './data-dir.js';
export { parseIdx, readFileContent, type IdxArray } from './idx-reader.js';
export { formatDownloadProgress } from './download-progress.js';
export type { FetchReport } from './official-loader.js';
export { createRandom, mixSeed } from './random.js';
export {
  loadCsvRows,
  loadImageFiles,
  type PredictTable,
  type TableEncoding,
} from './predict-inputs.js';
export { encodePngDataUrl } from './encode-png.js';
