import * as tf from '../../tf.js';
import { checkImageInput } from './image-checks.js';
import { argsObject } from './layer-args.js';
import { ONE_INPUT, type LayerArgs, type LayerDefinition } from './layer-definition.js';

type Padding2d = [[number, number], [number, number]];

function readPadding(args: LayerArgs): Padding2d {
  const value = args['padding'];
  if (typeof value === 'number') {
    return [
      [value, value],
      [value, value],
    ];
  }
  if (Array.isArray(value) && value.length === 2) {
    const [h, w] = value as unknown[];
    if (typeof h === 'number' && typeof w === 'number') {
      return [
        [h, h],
        [w, w],
      ];
    }
    if (Array.isArray(h) && Array.isArray(w)) return [h, w] as Padding2d;
  }
  throw new TypeError('argument padding is not a padding');
}

const PAD = { type: 'integer', minimum: 0 };
const PAIR = { type: 'array', items: PAD, minItems: 2, maxItems: 2 };

export const zeroPadding2d: LayerDefinition = {
  kind: 'zeroPadding2d',
  description: 'Adds rows and columns of zeros around each image (PyTorch nn.ZeroPad2d).',
  argsSchema: argsObject({
    padding: {
      description:
        'Zeros on each side: one integer, [height, width], or [[top, bottom], [left, right]].',
      anyOf: [PAD, PAIR, { type: 'array', items: PAIR, minItems: 2, maxItems: 2 }],
      default: 1,
    },
  }),
  inputs: ONE_INPUT,
  examples: [
    {},
    { padding: [1, 2] },
    {
      padding: [
        [0, 1],
        [0, 1],
      ],
    },
  ],
  configure(args) {
    const padding = readPadding(args);
    return {
      checkInputs: ([shape]) =>
        shape === undefined ? undefined : checkImageInput('zeroPadding2d', shape),
      createLayers: ({ name }) => [tf.layers.zeroPadding2d({ name, padding })],
    };
  },
};
