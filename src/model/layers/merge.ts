import * as tf from '../../tf.js';
import { formatShape, type Shape } from '../shape.js';
import { argsObject, readNumber } from './layer-args.js';
import { TWO_OR_MORE_INPUTS, type LayerDefinition } from './layer-definition.js';

const listShapes = (shapes: readonly Shape[]): string => shapes.map(formatShape).join(', ');

export const add: LayerDefinition = {
  kind: 'add',
  description: 'Element-wise sum of two or more inputs of the same shape (a residual connection).',
  argsSchema: argsObject({}),
  inputs: TWO_OR_MORE_INPUTS,
  examples: [{}],
  configure: () => ({
    checkInputs(shapes) {
      const first = shapes[0];
      if (first === undefined) return undefined;
      const same = shapes.every(
        (s) => s.length === first.length && s.every((d, i) => d === first[i]),
      );
      if (same) return undefined;
      return {
        code: 'merge-shape-mismatch',
        message: `add expects inputs of one shape, found ${listShapes(shapes)}`,
        hint: 'make the branches agree, e.g. the same strides and padding, a 1x1 conv2d to match channels, or use concatenate',
      };
    },
    createLayers: ({ name }) => [tf.layers.add({ name })],
  }),
};

export const concatenate: LayerDefinition = {
  kind: 'concatenate',
  description:
    'Joins two or more inputs along an axis (channels by default), as in an inception block (torch.cat).',
  argsSchema: argsObject({
    axis: {
      type: 'integer',
      default: -1,
      description: 'Axis to join along; -1 is the last (channels). Other dimensions must match.',
    },
  }),
  inputs: TWO_OR_MORE_INPUTS,
  examples: [{}, { axis: 1 }],
  configure(args) {
    const axis = readNumber(args, 'axis');
    return {
      checkInputs(shapes) {
        const first = shapes[0];
        if (first === undefined) return undefined;
        const rank = first.length;
        if (shapes.some((s) => s.length !== rank)) {
          return {
            code: 'merge-shape-mismatch',
            message: `concatenate expects inputs of one rank, found ${listShapes(shapes)}`,
          };
        }
        const resolved = axis < 0 ? rank + axis : axis;
        if (resolved < 1 || resolved >= rank) {
          return {
            code: 'bad-axis',
            message: `concatenate axis ${axis} is not a feature axis of inputs ${listShapes(shapes)}`,
            hint: `use an axis from 1 to ${rank - 1}, or -1 for the last`,
          };
        }
        const mismatch = shapes.some((s) => s.some((d, i) => i !== resolved && d !== first[i]));
        if (!mismatch) return undefined;
        return {
          code: 'merge-shape-mismatch',
          message: `concatenate on axis ${axis} expects inputs equal in every other dimension, found ${listShapes(shapes)}`,
          hint: 'match the spatial sizes of the branches (same strides and padding)',
        };
      },
      createLayers: ({ name }) => [tf.layers.concatenate({ name, axis })],
    };
  },
};

export const MERGE_LAYERS: readonly LayerDefinition[] = [add, concatenate];
