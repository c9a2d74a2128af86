import * as tf from '../../tf.js';
import { resolveActivationField, ACTIVATION_FIELD } from './activations.js';
import { fusedConvolution } from './conv-bias-activation.js';
import { checkImageInput, checkWindowFits } from './image-checks.js';
import {
  argsObject,
  CONV_PADDING,
  createInitializer,
  KERNEL_INITIALIZER,
  KERNEL_REGULARIZER,
  KERNEL_SIZE,
  POOL_PADDING,
  positiveInt,
  readBoolean,
  readConvPadding,
  readKernelInitializer,
  readKernelRegularizer,
  readNumber,
  readPair,
  readString,
  regularizerArgs,
  STRIDES,
  USE_BIAS,
  type ConvPadding,
} from './layer-args.js';
import {
  ONE_INPUT,
  type ConfiguredLayer,
  type LayerArgs,
  type LayerContext,
  type LayerDefinition,
} from './layer-definition.js';

const FILTERS = positiveInt('Number of output channels (PyTorch out_channels).', {
  maximum: 65536,
});
const DEPTH_MULTIPLIER = positiveInt('Output channels per input channel of the depthwise step.', {
  default: 1,
});

/**
 * Explicit padding becomes a ZeroPadding2D layer before a `valid` convolution,
 * as PyTorch pads; except where tfjs's `same` pads exactly that (stride 1, an
 * odd kernel and (kernel - 1) / 2 on each side, e.g. 3x3 with padding 1): then
 * the convolution pads as it computes, with no padded copy of its input a
 * step and no `Slice` of its input gradient back.
 */
function paddingLayers(
  padding: ConvPadding,
  name: string,
  kernelSize: readonly [number, number],
  strides: readonly [number, number],
): {
  mode: 'valid' | 'same';
  before: tf.layers.Layer[];
} {
  if (padding === 'valid' || padding === 'same') return { mode: padding, before: [] };
  const [h, w] = padding;
  if (h === 0 && w === 0) return { mode: 'valid', before: [] };
  const unitStride = strides[0] === 1 && strides[1] === 1;
  if (unitStride && 2 * h + 1 === kernelSize[0] && 2 * w + 1 === kernelSize[1]) {
    return { mode: 'same', before: [] };
  }
  const layer = tf.layers.zeroPadding2d({
    padding: [
      [h, h],
      [w, w],
    ],
    name: `${name}/pad`,
  });
  return { mode: 'valid', before: [layer] };
}

/** Shared by the convolution kinds: image input, the kernel fits, padding then conv then activation. */
function configureConvolution(
  kind: string,
  args: LayerArgs,
  create: (common: {
    name: string;
    seed: number;
    kernelSize: [number, number];
    strides: [number, number];
    padding: 'valid' | 'same';
    useBias: boolean;
    activation: ReturnType<typeof resolveActivationField>['native'];
  }) => tf.layers.Layer,
  options: { readonly kernelMustFit: boolean } = { kernelMustFit: true },
): ConfiguredLayer {
  const kernelSize = readPair(args, 'kernelSize');
  const strides = readPair(args, 'strides');
  const padding = readConvPadding(args);
  const useBias = readBoolean(args, 'useBias');
  return {
    checkInputs: ([shape]) =>
      shape === undefined
        ? undefined
        : (checkImageInput(kind, shape) ??
          (options.kernelMustFit
            ? checkWindowFits(kind, 'kernelSize', kernelSize, shape, padding)
            : undefined)),
    createLayers({ name, seed }: LayerContext) {
      const pad = paddingLayers(padding, name, kernelSize, strides);
      const activation = resolveActivationField(args, name);
      const conv = create({
        name,
        seed,
        kernelSize,
        strides,
        padding: pad.mode,
        useBias,
        activation: activation.native,
      });
      return [...pad.before, conv, ...activation.after];
    },
  };
}

export const conv2d: LayerDefinition = {
  kind: 'conv2d',
  description: '2-D convolution over [batch, height, width, channels] (PyTorch nn.Conv2d).',
  argsSchema: argsObject(
    {
      filters: FILTERS,
      kernelSize: KERNEL_SIZE,
      strides: STRIDES,
      padding: CONV_PADDING,
      activation: ACTIVATION_FIELD,
      useBias: USE_BIAS,
      kernelInitializer: KERNEL_INITIALIZER,
      kernelRegularizer: KERNEL_REGULARIZER,
    },
    ['filters', 'kernelSize'],
  ),
  inputs: ONE_INPUT,
  examples: [
    { filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' },
    { filters: 3, kernelSize: 3, padding: 2 },
    { filters: 4, kernelSize: [3, 1], strides: [2, 1], activation: 'leakyRelu', useBias: false },
    { filters: 8, kernelSize: 3, padding: 1, kernelRegularizer: { l1: 0.00001, l2: 0.0005 } },
  ],
  configure(args) {
    const filters = readNumber(args, 'filters');
    const initializer = readKernelInitializer(args);
    const regularizer = readKernelRegularizer(args);
    return configureConvolution('conv2d', args, (c) =>
      fusedConvolution(
        tf.layers.conv2d({
          name: c.name,
          filters,
          kernelSize: c.kernelSize,
          strides: c.strides,
          padding: c.padding,
          useBias: c.useBias,
          ...(c.activation === undefined ? {} : { activation: c.activation }),
          kernelInitializer: createInitializer(initializer, c.seed),
          ...regularizerArgs('kernelRegularizer', regularizer),
        }),
      ),
    );
  },
};

export const depthwiseConv2d: LayerDefinition = {
  kind: 'depthwiseConv2d',
  description:
    'Depthwise 2-D convolution: each input channel convolved on its own (PyTorch Conv2d with groups = in_channels).',
  argsSchema: argsObject(
    {
      kernelSize: KERNEL_SIZE,
      depthMultiplier: DEPTH_MULTIPLIER,
      strides: STRIDES,
      padding: CONV_PADDING,
      activation: ACTIVATION_FIELD,
      useBias: USE_BIAS,
      kernelInitializer: KERNEL_INITIALIZER,
      kernelRegularizer: KERNEL_REGULARIZER,
    },
    ['kernelSize'],
  ),
  inputs: ONE_INPUT,
  examples: [
    { kernelSize: 3, padding: 'same' },
    { kernelSize: 3, depthMultiplier: 2, padding: 1 },
  ],
  configure(args) {
    const depthMultiplier = readNumber(args, 'depthMultiplier');
    const initializer = readKernelInitializer(args);
    const regularizer = readKernelRegularizer(args);
    return configureConvolution('depthwiseConv2d', args, (c) =>
      tf.layers.depthwiseConv2d({
        name: c.name,
        kernelSize: c.kernelSize,
        depthMultiplier,
        strides: c.strides,
        padding: c.padding,
        useBias: c.useBias,
        ...(c.activation === undefined ? {} : { activation: c.activation }),
        depthwiseInitializer: createInitializer(initializer, c.seed),
        ...regularizerArgs('depthwiseRegularizer', regularizer),
      }),
    );
  },
};

export const separableConv2d: LayerDefinition = {
  kind: 'separableConv2d',
  description:
    'Depthwise convolution followed by a 1x1 (pointwise) convolution that mixes channels.',
  argsSchema: argsObject(
    {
      filters: FILTERS,
      kernelSize: KERNEL_SIZE,
      depthMultiplier: DEPTH_MULTIPLIER,
      strides: STRIDES,
      padding: CONV_PADDING,
      activation: ACTIVATION_FIELD,
      useBias: USE_BIAS,
      kernelInitializer: KERNEL_INITIALIZER,
      kernelRegularizer: KERNEL_REGULARIZER,
    },
    ['filters', 'kernelSize'],
  ),
  inputs: ONE_INPUT,
  examples: [{ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }],
  configure(args) {
    const filters = readNumber(args, 'filters');
    const depthMultiplier = readNumber(args, 'depthMultiplier');
    const initializer = readKernelInitializer(args);
    const regularizer = readKernelRegularizer(args);
    return configureConvolution('separableConv2d', args, (c) =>
      tf.layers.separableConv2d({
        name: c.name,
        filters,
        kernelSize: c.kernelSize,
        depthMultiplier,
        strides: c.strides,
        padding: c.padding,
        useBias: c.useBias,
        ...(c.activation === undefined ? {} : { activation: c.activation }),
        depthwiseInitializer: createInitializer(initializer, c.seed),
        pointwiseInitializer: createInitializer(initializer, c.seed + 1),
        ...regularizerArgs('depthwiseRegularizer', regularizer),
        ...regularizerArgs('pointwiseRegularizer', regularizer),
      }),
    );
  },
};

export const conv2dTranspose: LayerDefinition = {
  kind: 'conv2dTranspose',
  description:
    'Transposed 2-D convolution, upsampling by its strides (PyTorch nn.ConvTranspose2d; padding `valid` or `same`).',
  argsSchema: argsObject(
    {
      filters: FILTERS,
      kernelSize: KERNEL_SIZE,
      strides: STRIDES,
      padding: POOL_PADDING,
      activation: ACTIVATION_FIELD,
      useBias: USE_BIAS,
      kernelInitializer: KERNEL_INITIALIZER,
      kernelRegularizer: KERNEL_REGULARIZER,
    },
    ['filters', 'kernelSize'],
  ),
  inputs: ONE_INPUT,
  examples: [{ filters: 4, kernelSize: 2, strides: 2 }],
  configure(args) {
    const filters = readNumber(args, 'filters');
    const initializer = readKernelInitializer(args);
    const regularizer = readKernelRegularizer(args);
    const padding = readString(args, 'padding', ['valid', 'same']);
    return configureConvolution(
      'conv2dTranspose',
      { ...args, padding },
      (c) =>
        tf.layers.conv2dTranspose({
          name: c.name,
          filters,
          kernelSize: c.kernelSize,
          strides: c.strides,
          padding: c.padding,
          useBias: c.useBias,
          ...(c.activation === undefined ? {} : { activation: c.activation }),
          kernelInitializer: createInitializer(initializer, c.seed),
          ...regularizerArgs('kernelRegularizer', regularizer),
        }),
      // A transposed convolution grows its input: any kernel fits.
      { kernelMustFit: false },
    );
  },
};

export const CONVOLUTION_LAYERS: readonly LayerDefinition[] = [
  conv2d,
  depthwiseConv2d,
  separableConv2d,
  conv2dTranspose,
];
