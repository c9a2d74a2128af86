import * as tf from '../../tf.js';
import { checkImageInput, checkWindowFits } from './image-checks.js';
import { argsObject, intOrPair, POOL_PADDING, readPair, readString } from './layer-args.js';
import { ONE_INPUT, type LayerArgs, type LayerDefinition } from './layer-definition.js';

const POOL_SIZE = intOrPair('Window height and width: one integer, or [height, width].', 1, {
  default: 2,
});
const POOL_STRIDES = intOrPair(
  'Step between windows: one integer, or [height, width]; defaults to poolSize (as in PyTorch).',
  1,
);

type PoolFactory = (args: {
  poolSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  name: string;
}) => tf.layers.Layer;

function definePool(kind: string, description: string, create: PoolFactory): LayerDefinition {
  return {
    kind,
    description,
    argsSchema: argsObject({ poolSize: POOL_SIZE, strides: POOL_STRIDES, padding: POOL_PADDING }),
    inputs: ONE_INPUT,
    examples: [{ poolSize: 2 }, { poolSize: 3, strides: 2, padding: 'same' }],
    configure(args: LayerArgs) {
      const poolSize = readPair(args, 'poolSize');
      const strides = args['strides'] === undefined ? poolSize : readPair(args, 'strides');
      const padding = readString(args, 'padding', ['valid', 'same']);
      return {
        checkInputs: ([shape]) =>
          shape === undefined
            ? undefined
            : (checkImageInput(kind, shape) ??
              checkWindowFits(kind, 'poolSize', poolSize, shape, padding)),
        createLayers: ({ name }) => [create({ poolSize, strides, padding, name })],
      };
    },
  };
}

export const maxPool2d = definePool(
  'maxPool2d',
  'Max over each window (PyTorch nn.MaxPool2d; `valid` floors the output size like PyTorch).',
  (args) => tf.layers.maxPooling2d(args),
);

export const avgPool2d = definePool(
  'avgPool2d',
  'Mean over each window (PyTorch nn.AvgPool2d).',
  (args) => tf.layers.averagePooling2d(args),
);

function defineGlobalPool(
  kind: string,
  description: string,
  create: (name: string) => tf.layers.Layer,
): LayerDefinition {
  return {
    kind,
    description,
    argsSchema: argsObject({}),
    inputs: ONE_INPUT,
    examples: [{}],
    configure: () => ({
      checkInputs: ([shape]) => (shape === undefined ? undefined : checkImageInput(kind, shape)),
      createLayers: ({ name }) => [create(name)],
    }),
  };
}

export const globalMaxPool2d = defineGlobalPool(
  'globalMaxPool2d',
  'Max over height and width: [batch, h, w, c] to [batch, c] (PyTorch AdaptiveMaxPool2d(1) + flatten).',
  (name) => tf.layers.globalMaxPooling2d({ name }),
);

export const globalAvgPool2d = defineGlobalPool(
  'globalAvgPool2d',
  'Mean over height and width: [batch, h, w, c] to [batch, c] (PyTorch AdaptiveAvgPool2d(1) + flatten).',
  (name) => tf.layers.globalAveragePooling2d({ name }),
);

export const POOLING_LAYERS: readonly LayerDefinition[] = [
  maxPool2d,
  avgPool2d,
  globalMaxPool2d,
  globalAvgPool2d,
];
