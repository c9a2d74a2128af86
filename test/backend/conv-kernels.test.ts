import * as tf from '../../src/tf.js';
import type { KernelConfig, NamedAttrMap, Tensor } from '../../src/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conv2dBackpropFilterConfig,
  makeConv2dBackpropFilterConfig,
} from '../../src/backend/kernels/conv2d-backprop-filter.js';
import {
  conv2dBackpropInputConfig,
  makeConv2dBackpropInputConfig,
} from '../../src/backend/kernels/conv2d-backprop-input.js';
import {
  depthwiseConv2dNativeBackpropFilterConfig,
  makeDepthwiseConv2dNativeBackpropFilterConfig,
} from '../../src/backend/kernels/depthwise-conv2d-backprop-filter.js';
import { convLoopsFor } from '../../src/backend/kernels/conv-loops.js';
import {
  depthwiseConv2dNativeBackpropInputConfig,
  makeDepthwiseConv2dNativeBackpropInputConfig,
} from '../../src/backend/kernels/depthwise-conv2d-backprop-input.js';

const OUR_KERNELS: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly kernel: number;
  /** Output channels, or the channel multiplier for depthwise cases. */
  readonly channels: number;
  readonly stride: number;
  readonly pad: Pad;
}

/** A small deterministic generator so that failures reproduce. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomValues(random: () => number, size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random() * 2 - 1;
  return values;
}

function outputSize(inSize: number, kernel: number, stride: number, pad: Pad, axis: 1 | 2): number {
  if (pad === 'same') return Math.ceil(inSize / stride);
  if (pad === 'valid') return Math.floor((inSize - kernel) / stride) + 1;
  const [before, after] = typeof pad === 'number' ? [pad, pad] : pad[axis];
  return Math.floor((inSize + before + after - kernel) / stride) + 1;
}

/** Runs one kernel on `backendName` with the given float inputs and returns its output values. */
async function runOn(
  backendName: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: NamedAttrMap,
): Promise<Float32Array> {
  await tf.setBackend(backendName);
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.backend().numDataIds();
  const tensors: Record<string, Tensor> = {};
  for (const [name, input] of Object.entries(inputs))
    tensors[name] = tf.tensor(input.values, input.shape);
  const out = tf.engine().runKernel(kernelName, tensors, attrs) as Tensor;
  const values = (await out.data()) as Float32Array;
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  expect(tf.memory().numTensors, `${kernelName} on ${backendName} leaked tensors`).toBe(
    tensorsBefore,
  );
  expect(tf.backend().numDataIds(), `${kernelName} on ${backendName} leaked backend data`).toBe(
    dataIdsBefore,
  );
  return values;
}

/** Largest |a - b| relative to the largest |b| (the reference), so large sums are judged fairly. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst / scale;
}

function describeCase(c: ConvCase): string {
  return `N${c.batch} ${c.height}x${c.width}x${c.inChannels} k${c.kernel} ch${c.channels} s${c.stride} pad ${JSON.stringify(c.pad)}`;
}

const CONV_CASES: readonly ConvCase[] = [
  // channels past a block of 8 (the SIMD filter-gradient product's columns) and K = 27, not 4n
  {
    batch: 3,
    height: 10,
    width: 10,
    inChannels: 3,
    kernel: 3,
    channels: 19,
    stride: 1,
    pad: 'valid',
  },
  // the tutorial net's third layer, smaller batch
  {
    batch: 4,
    height: 9,
    width: 9,
    inChannels: 16,
    kernel: 3,
    channels: 32,
    stride: 1,
    pad: 'valid',
  },
  // LeNet-5's second layer (col2im's whole rows of taps: 5 x 6 = 30 floats, not 4n), smaller batch
  {
    batch: 2,
    height: 14,
    width: 14,
    inChannels: 6,
    kernel: 5,
    channels: 16,
    stride: 1,
    pad: 'valid',
  },
  // LeNet-5's first layer: 1 channel, same padding (rows of taps cut at both edges)
  {
    batch: 2,
    height: 12,
    width: 12,
    inChannels: 1,
    kernel: 5,
    channels: 6,
    stride: 1,
    pad: 'same',
  },
  // channels past 8, same padding, stride 2 (interior and edge taps, 5 x 10 floats a row)
  {
    batch: 2,
    height: 11,
    width: 13,
    inChannels: 10,
    kernel: 5,
    channels: 9,
    stride: 2,
    pad: 'same',
  },
  { batch: 1, height: 5, width: 5, inChannels: 1, kernel: 1, channels: 1, stride: 1, pad: 'valid' },
  { batch: 2, height: 7, width: 9, inChannels: 3, kernel: 3, channels: 4, stride: 1, pad: 'same' },
  { batch: 3, height: 9, width: 7, inChannels: 2, kernel: 3, channels: 5, stride: 2, pad: 'same' },
  {
    batch: 2,
    height: 11,
    width: 10,
    inChannels: 5,
    kernel: 5,
    channels: 3,
    stride: 2,
    pad: 'valid',
  },
  {
    batch: 1,
    height: 13,
    width: 13,
    inChannels: 3,
    kernel: 7,
    channels: 2,
    stride: 1,
    pad: 'same',
  },
  { batch: 2, height: 8, width: 8, inChannels: 4, kernel: 7, channels: 6, stride: 2, pad: 'same' },
  { batch: 4, height: 12, width: 12, inChannels: 1, kernel: 5, channels: 6, stride: 1, pad: 2 },
  {
    batch: 2,
    height: 6,
    width: 6,
    inChannels: 6,
    kernel: 3,
    channels: 3,
    stride: 1,
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  },
  {
    batch: 2,
    height: 9,
    width: 8,
    inChannels: 3,
    kernel: 3,
    channels: 4,
    stride: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  {
    batch: 1,
    height: 6,
    width: 6,
    inChannels: 64,
    kernel: 1,
    channels: 64,
    stride: 1,
    pad: 'valid',
  },
  {
    batch: 1,
    height: 5,
    width: 5,
    inChannels: 33,
    kernel: 3,
    channels: 64,
    stride: 2,
    pad: 'same',
  },
  { batch: 1, height: 4, width: 4, inChannels: 2, kernel: 5, channels: 3, stride: 1, pad: 'same' },
  {
    batch: 16,
    height: 10,
    width: 10,
    inChannels: 6,
    kernel: 5,
    channels: 16,
    stride: 1,
    pad: 'valid',
  },
  {
    batch: 33,
    height: 7,
    width: 7,
    inChannels: 16,
    kernel: 3,
    channels: 32,
    stride: 1,
    pad: 'same',
  },
  // one channel, stride 1, same width: the patch rows are shifted copies of the image
  { batch: 3, height: 7, width: 9, inChannels: 1, kernel: 4, channels: 5, stride: 1, pad: 'same' },
  { batch: 2, height: 8, width: 6, inChannels: 1, kernel: 3, channels: 2, stride: 1, pad: 'same' },
  // explicit padding wider than the kernel: the convolution form does not apply, col2im does
  {
    batch: 2,
    height: 6,
    width: 7,
    inChannels: 3,
    kernel: 3,
    channels: 4,
    stride: 1,
    pad: [
      [0, 0],
      [4, 1],
      [0, 4],
      [0, 0],
    ],
  },
  {
    batch: 5,
    height: 12,
    width: 12,
    inChannels: 8,
    kernel: 7,
    channels: 4,
    stride: 2,
    pad: 'same',
  },
];

const DEPTHWISE_CASES: readonly ConvCase[] = [
  { batch: 2, height: 8, width: 7, inChannels: 5, kernel: 3, channels: 3, stride: 1, pad: 'same' },
  { batch: 3, height: 6, width: 6, inChannels: 4, kernel: 2, channels: 2, stride: 1, pad: 'valid' },
  { batch: 1, height: 5, width: 5, inChannels: 1, kernel: 1, channels: 1, stride: 1, pad: 'valid' },
  { batch: 2, height: 7, width: 9, inChannels: 3, kernel: 3, channels: 1, stride: 1, pad: 'same' },
  { batch: 3, height: 9, width: 7, inChannels: 8, kernel: 3, channels: 2, stride: 2, pad: 'same' },
  {
    batch: 2,
    height: 11,
    width: 10,
    inChannels: 5,
    kernel: 5,
    channels: 3,
    stride: 2,
    pad: 'valid',
  },
  {
    batch: 1,
    height: 13,
    width: 13,
    inChannels: 16,
    kernel: 7,
    channels: 1,
    stride: 1,
    pad: 'same',
  },
  { batch: 4, height: 12, width: 12, inChannels: 6, kernel: 5, channels: 1, stride: 1, pad: 2 },
  {
    batch: 2,
    height: 9,
    width: 8,
    inChannels: 3,
    kernel: 3,
    channels: 4,
    stride: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { batch: 1, height: 6, width: 6, inChannels: 64, kernel: 3, channels: 1, stride: 1, pad: 'same' },
  {
    batch: 17,
    height: 8,
    width: 8,
    inChannels: 32,
    kernel: 3,
    channels: 1,
    stride: 2,
    pad: 'same',
  },
];

/** Every way our kernels can compute a gradient; each must match cpu on every case. */
const FILTER_VARIANTS: ReadonlyArray<[string, KernelConfig]> = [
  ['auto', conv2dBackpropFilterConfig],
  ['im2col', makeConv2dBackpropFilterConfig({ strategy: 'im2col' })],
  ['im2col in JS', makeConv2dBackpropFilterConfig({ strategy: 'im2col', wasmLoops: false })],
  [
    'im2col, XNNPACK product',
    makeConv2dBackpropFilterConfig({ strategy: 'im2col', simdProduct: false }),
  ],
  ['convolution', makeConv2dBackpropFilterConfig({ strategy: 'convolution' })],
  // a tiny budget forces one chunk per image or two: the chunked path of a large batch
  [
    'im2col in chunks',
    makeConv2dBackpropFilterConfig({ strategy: 'im2col', im2colFloatBudget: 2000 }),
  ],
];
const INPUT_VARIANTS: ReadonlyArray<[string, KernelConfig]> = [
  ['auto', conv2dBackpropInputConfig],
  ['col2im', makeConv2dBackpropInputConfig({ strategy: 'col2im' })],
  ['convolution', makeConv2dBackpropInputConfig({ strategy: 'convolution' })],
  [
    'col2im in chunks',
    makeConv2dBackpropInputConfig({ strategy: 'col2im', im2colFloatBudget: 2000 }),
  ],
  ['col2im in JS', makeConv2dBackpropInputConfig({ strategy: 'col2im', simd: false })],
  [
    'col2im, SIMD scatter tap by tap',
    makeConv2dBackpropInputConfig({ strategy: 'col2im', wideRows: false }),
  ],
];

const DEPTHWISE_FILTER_VARIANTS: ReadonlyArray<[string, KernelConfig]> = [
  ['auto', depthwiseConv2dNativeBackpropFilterConfig],
  ['loop', makeDepthwiseConv2dNativeBackpropFilterConfig({ strategy: 'loop' })],
  ['simd', makeDepthwiseConv2dNativeBackpropFilterConfig({ strategy: 'simd' })],
];
const DEPTHWISE_INPUT_VARIANTS: ReadonlyArray<[string, KernelConfig]> = [
  ['auto', depthwiseConv2dNativeBackpropInputConfig],
  ['loop', makeDepthwiseConv2dNativeBackpropInputConfig({ strategy: 'loop' })],
  ['convolution', makeDepthwiseConv2dNativeBackpropInputConfig({ strategy: 'convolution' })],
];

/** Runs `fn` with `config` registered in place of the kernel of the same name, then puts that one back. */
async function withKernel<T>(config: KernelConfig, fn: () => Promise<T>): Promise<T> {
  const current = tf.getKernel(config.kernelName, 'wasm');
  if (current !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
  try {
    return await fn();
  } finally {
    tf.unregisterKernel(config.kernelName, 'wasm');
    if (current !== undefined) tf.registerKernel(current);
  }
}

describe('wasm conv training kernels', () => {
  const replaced: KernelConfig[] = [];

  beforeAll(async () => {
    tf.env().set('PROD', true);
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    for (const config of OUR_KERNELS) {
      const existing = tf.getKernel(config.kernelName, 'wasm');
      if (existing !== undefined) {
        replaced.push(existing);
        tf.unregisterKernel(config.kernelName, 'wasm');
      }
      tf.registerKernel(config);
    }
  });

  afterAll(() => {
    for (const config of OUR_KERNELS) tf.unregisterKernel(config.kernelName, 'wasm');
    for (const config of replaced) tf.registerKernel(config);
  });

  it('binds the SIMD row kernels to the wasm memory (else the simd variants would test the loop)', async () => {
    await tf.setBackend('wasm');
    const rows = convLoopsFor(tf.backend() as never);
    expect(rows?.rowDot).toBeTypeOf('function');
    expect(rows?.rowAdd).toBeTypeOf('function');
    expect(rows?.gather).toBeTypeOf('function');
    expect(rows?.outer4x8).toBeTypeOf('function');
  });

  it('replaces every kernel it names on wasm', () => {
    for (const config of OUR_KERNELS) expect(tf.getKernel(config.kernelName, 'wasm')).toBe(config);
  });

  describe.each(CONV_CASES)('conv2d $batch', (c) => {
    const random = makeRandom(c.batch * 7919 + c.height * 104729 + c.inChannels * 31 + c.kernel);
    const xShape = [c.batch, c.height, c.width, c.inChannels];
    const filterShape = [c.kernel, c.kernel, c.inChannels, c.channels];
    const dyShape = [
      c.batch,
      outputSize(c.height, c.kernel, c.stride, c.pad, 1),
      outputSize(c.width, c.kernel, c.stride, c.pad, 2),
      c.channels,
    ];
    const x = {
      values: randomValues(
        random,
        xShape.reduce((a, b) => a * b),
      ),
      shape: xShape,
    };
    const filter = {
      values: randomValues(
        random,
        filterShape.reduce((a, b) => a * b),
      ),
      shape: filterShape,
    };
    const dy = {
      values: randomValues(
        random,
        dyShape.reduce((a, b) => a * b),
      ),
      shape: dyShape,
    };
    const common = {
      strides: [c.stride, c.stride],
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    };

    it(`Conv2DBackpropFilter matches cpu: ${describeCase(c)}`, async () => {
      const attrs = { ...common, filterShape } as unknown as NamedAttrMap;
      const expected = await runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs);
      for (const [variant, config] of FILTER_VARIANTS) {
        const actual = await withKernel(config, () =>
          runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs),
        );
        expect(relativeError(actual, expected), variant).toBeLessThan(1e-5);
      }
    });

    it(`Conv2DBackpropInput matches cpu: ${describeCase(c)}`, async () => {
      const attrs = { ...common, inputShape: xShape } as unknown as NamedAttrMap;
      const expected = await runOn('cpu', 'Conv2DBackpropInput', { dy, filter }, attrs);
      for (const [variant, config] of INPUT_VARIANTS) {
        const actual = await withKernel(config, () =>
          runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs),
        );
        expect(relativeError(actual, expected), variant).toBeLessThan(1e-5);
      }
    });
  });

  describe.each(DEPTHWISE_CASES)('depthwise conv2d', (c) => {
    const random = makeRandom(
      c.batch * 7919 + c.height * 104729 + c.inChannels * 31 + c.kernel + 17,
    );
    const xShape = [c.batch, c.height, c.width, c.inChannels];
    const filterShape = [c.kernel, c.kernel, c.inChannels, c.channels];
    const dyShape = [
      c.batch,
      outputSize(c.height, c.kernel, c.stride, c.pad, 1),
      outputSize(c.width, c.kernel, c.stride, c.pad, 2),
      c.inChannels * c.channels,
    ];
    const x = {
      values: randomValues(
        random,
        xShape.reduce((a, b) => a * b),
      ),
      shape: xShape,
    };
    const filter = {
      values: randomValues(
        random,
        filterShape.reduce((a, b) => a * b),
      ),
      shape: filterShape,
    };
    const dy = {
      values: randomValues(
        random,
        dyShape.reduce((a, b) => a * b),
      ),
      shape: dyShape,
    };
    const common = {
      strides: [c.stride, c.stride],
      dilations: [1, 1],
      pad: c.pad,
      dimRoundingMode: undefined,
    };

    it(`DepthwiseConv2dNativeBackpropFilter matches cpu: ${describeCase(c)}`, async () => {
      const attrs = { ...common, filterShape } as unknown as NamedAttrMap;
      const expected = await runOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs);
      for (const [variant, config] of DEPTHWISE_FILTER_VARIANTS) {
        const actual = await withKernel(config, () =>
          runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs),
        );
        expect(relativeError(actual, expected), variant).toBeLessThan(1e-5);
      }
    });

    it(`DepthwiseConv2dNativeBackpropInput matches cpu: ${describeCase(c)}`, async () => {
      const attrs = { ...common, inputShape: xShape } as unknown as NamedAttrMap;
      const expected = await runOn(
        'cpu',
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        attrs,
      );
      for (const [variant, config] of DEPTHWISE_INPUT_VARIANTS) {
        const actual = await withKernel(config, () =>
          runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs),
        );
        expect(relativeError(actual, expected), variant).toBeLessThan(1e-5);
      }
    });
  });

  it('gives the same conv2d and depthwiseConv2d gradients through tf.grads as the cpu backend', async () => {
    const random = makeRandom(2024);
    const xValues = randomValues(random, 3 * 11 * 11 * 4);
    const wValues = randomValues(random, 3 * 3 * 4 * 5);
    const dwValues = randomValues(random, 5 * 5 * 5 * 2);
    const gradientsOn = async (backendName: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
      await tf.setBackend(backendName);
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(xValues, [3, 11, 11, 4]);
      const w = tf.tensor4d(wValues, [3, 3, 4, 5]);
      const dw = tf.tensor4d(dwValues, [5, 5, 5, 2]);
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar => {
        const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'));
        const d = tf.depthwiseConv2d(h, c as tf.Tensor4D, 1, 'valid');
        return tf.sum(tf.square(d));
      };
      const grads = tf.grads(loss)([x, w, dw]);
      const values = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array));
      tf.dispose([x, w, dw, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      return values;
    };
    const expected = await gradientsOn('cpu');
    const actual = await gradientsOn('wasm');
    for (let i = 0; i < expected.length; i++)
      expect(relativeError(actual[i]!, expected[i]!)).toBeLessThan(1e-4);
  });

  it('trains a small LeNet-like net to the same losses as the cpu backend', async () => {
    const random = makeRandom(99);
    const images = randomValues(random, 8 * 16 * 16 * 1);
    const labels = Array.from({ length: 8 }, (_, i) => (i * 7) % 10);
    const build = (): tf.Sequential =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [16, 16, 1],
            filters: 4,
            kernelSize: 5,
            padding: 'same',
            activation: 'relu',
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu' }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10 }),
        ],
      });
    let initial: Float32Array[] = [];
    const lossesOn = async (backendName: 'cpu' | 'wasm'): Promise<number[]> => {
      await tf.setBackend(backendName);
      const before = tf.memory().numTensors;
      const model = build();
      if (initial.length === 0)
        initial = model.getWeights().map((w) => w.dataSync() as Float32Array);
      else {
        const weights = model.getWeights().map((w, i) => tf.tensor(initial[i]!, w.shape));
        model.setWeights(weights);
        tf.dispose(weights);
      }
      // plain SGD: Adam normalises gradients and would hide a wrong scale
      const optimizer = tf.train.sgd(0.1);
      const xs = tf.tensor4d(images, [8, 16, 16, 1]);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10));
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor),
          true,
        );
        losses.push((await loss!.data())[0]!);
        loss!.dispose();
      }
      tf.dispose([xs, ys]);
      optimizer.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return losses;
    };
    const expected = await lossesOn('cpu');
    const actual = await lossesOn('wasm');
    // the losses must move, or the comparison would prove nothing
    expect(Math.abs(expected[4]! - expected[0]!)).toBeGreaterThan(1e-3);
    for (let i = 0; i < expected.length; i++) expect(actual[i]!).toBeCloseTo(expected[i]!, 5);
  });

  it('refuses NCHW data with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 5, 5]);
    const attrs = {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NCHW',
      filterShape: [3, 3, 2, 3],
    } as unknown as NamedAttrMap;
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs)).toThrow(
      /supports only NHWC/,
    );
    tf.dispose([x, dy]);
  });
});
