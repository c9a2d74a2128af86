import type { DatasetDefinition } from '../dataset.js';
import { loadOfficialDataset, officialDatasetStatus } from '../official-loader.js';
import type { OfficialDataset } from '../official-files.js';

/**
 * The Fashion-MNIST files (Zalando Research). `.gz` MD5s are the ones torchvision
 * checks; Debian's `dataset-fashion-mnist` re-compresses the files, so its copies
 * are verified by the MD5 of their decompressed content instead.
 */
export const FASHION_MNIST_FILES: OfficialDataset = {
  name: 'fashion-mnist',
  folder: 'fashion-mnist',
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      gzBytes: 26_421_880,
      rawMd5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      gzMd5: '25c81989df183df01b3e8a0aad5dffbe',
      gzBytes: 29_515,
      rawMd5: '9018921c3c673c538a1fc5bad174d6f9',
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      gzMd5: 'bef4ecab320f06d8554ea6380940ec79',
      gzBytes: 4_422_102,
      rawMd5: '8181f5470baa50b63fa0f6fddb340f0a',
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
      gzBytes: 5_148,
      rawMd5: '15d484375f8d13e6eb1aabb0c3f46965',
    },
  },
  numClasses: 10,
  trainCount: 60_000,
  testCount: 10_000,
  mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
  systemDirs: [{ path: '/usr/share/datasets/fashion-mnist', kind: 'debian' }],
};

export const fashionMnist: DatasetDefinition = {
  name: 'fashion-mnist',
  description: 'Zalando clothing images in 10 classes, 28x28 grey, 60,000 train / 10,000 test',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  load: (context) => loadOfficialDataset(FASHION_MNIST_FILES, context, undefined),
  status: (context) => officialDatasetStatus(FASHION_MNIST_FILES, context, undefined),
  classCount: () => FASHION_MNIST_FILES.numClasses,
  exampleCount: () => ({
    train: FASHION_MNIST_FILES.trainCount,
    test: FASHION_MNIST_FILES.testCount,
  }),
};
