import * as tf from '../../tf.js';
import { FusedConv2D, type FusedConv2DAttrs, type TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { replacingKernel, type ReplacingKernelConfig } from './replacing-kernel.js';
import { simdFunctionsFor } from './simd/simd-loops.js';
import {
  overreadFloats,
  padImages,
  singleChannelConv,
  type PadImages,
  type SingleChannelConvLayout,
} from './simd/single-channel-conv-functions.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * Most output channels one pass of the loop keeps in accumulators, eight
 * outputs of a row each (two vectors): with the inputs and the weights of
 * a tap, 14 of the 16 vector registers. More channels go in groups, each
 * reading the input again. Measured at batch 32 (in-process medians, the
 * better of noisy rounds): LeNet-5's 6 channels 0.38 ms as two groups of
 * 3, 0.34-0.43 as one of 6 at four or eight outputs; 1 -> 8 channels 3x3
 * 0.24 ms as two groups of 4, 0.39 as one of 8 (where V8 spills), against
 * XNNPACK's 0.40; 1 -> 32 3x3 1.0 ms against 1.3.
 */
const MAX_GROUP_CHANNELS = 4;

/** A convolution function for one layout, and the padding copy beside it. */
interface SingleChannelConvFunctions {
  convolve(x: number, filter: number, bias: number, out: number, images: number): void;
  padImages: PadImages;
}

interface Plan {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outShape: [number, number, number, number];
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  /** Each group of output channels: its first channel and its layout. */
  readonly groups: readonly { readonly first: number; readonly layout: SingleChannelConvLayout }[];
}

/**
 * What {@link fusedConv2d} computes itself: one input channel, NHWC, stride
 * and dilation 1, non-negative padding, a rank-1 bias or none, linear or
 * ReLU; undefined for every other case (wasm's kernel then runs it).
 */
function planOf(args: WasmKernelArgs): Plan | undefined {
  const x = inputOf(args, 'x', FusedConv2D);
  const filter = inputOf(args, 'filter', FusedConv2D);
  const { bias, preluActivationWeights } = args.inputs;
  const attrs = attrsOf<Partial<FusedConv2DAttrs>>(args);
  if (
    x.dtype !== 'float32' ||
    filter.dtype !== 'float32' ||
    x.shape.length !== 4 ||
    filter.shape.length !== 4 ||
    x.shape[3] !== 1 ||
    filter.shape[2] !== 1 ||
    preluActivationWeights !== undefined ||
    (attrs.activation !== 'linear' && attrs.activation !== 'relu') ||
    (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') ||
    attrs.strides === undefined ||
    attrs.pad === undefined
  ) {
    return undefined;
  }
  // tfjs's own arithmetic, as wasm's kernel uses it: the same padding and output shape.
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  if (
    info.strideHeight !== 1 ||
    info.strideWidth !== 1 ||
    info.dilationHeight !== 1 ||
    info.dilationWidth !== 1 ||
    Math.min(top, bottom, left, right) < 0 ||
    info.batchSize < 1 ||
    info.outHeight < 1 ||
    info.outWidth < 1 ||
    info.outChannels < 1
  ) {
    return undefined;
  }
  if (
    bias !== undefined &&
    (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)
  ) {
    return undefined;
  }
  const groups = channelGroups(info.outChannels).map(([first, groupChannels]) => ({
    first,
    layout: {
      channels: info.outChannels,
      groupChannels,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      rowFloats: info.outWidth + info.filterWidth - 1,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      bias: bias !== undefined,
      relu: attrs.activation === 'relu',
      vectors: 2,
    } satisfies SingleChannelConvLayout,
  }));
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outShape: [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
    padTop: top,
    padBottom: bottom,
    padLeft: left,
    padRight: right,
    groups,
  };
}

/** [first channel, count] of each group, the counts as even as they go (6: 3 and 3; 11: 4, 4, 3). */
function channelGroups(channels: number): [number, number][] {
  const count = Math.ceil(channels / MAX_GROUP_CHANNELS);
  const base = Math.floor(channels / count);
  const groups: [number, number][] = [];
  for (let g = 0, first = 0; g < count; g++) {
    const size = base + (g < channels % count ? 1 : 0);
    groups.push([first, size]);
    first += size;
  }
  return groups;
}

/** The functions for `layout` on `backend`, compiled on first use; null without SIMD. */
function functionsFor(
  backend: BackendWasm,
  layout: SingleChannelConvLayout,
): SingleChannelConvFunctions | null {
  return simdFunctionsFor(backend, { conv: layout }, () => [
    singleChannelConv(layout),
    padImages(),
  ]);
}

let calls = 0;

/** How many convolutions the SIMD loops here have computed: for tests, that the shapes take them. */
export function singleChannelConvCalls(): number {
  return calls;
}

/**
 * `FusedConv2D` of one input channel by the direct SIMD convolution of
 * single-channel-conv-functions.ts, on the image padded into a scratch
 * buffer (one channel: a cheap copy) or read in place when there is no
 * padding. The first layer of an image net has one input channel, and
 * XNNPACK ran it at 1-3 GMAC/s: LeNet-5's [32, 28, 28, 1] * [5, 5, 1, 6]
 * 'same' + ReLU took 1.33 ms, the tutorial net's [32, 32, 32, 1] * [3, 3,
 * 1, 3] 'valid' 0.77 ms. Every other case, and every case without the SIMD
 * loops, goes to wasm's kernel.
 */
function fusedConv2d(args: WasmKernelArgs): TensorInfo | undefined {
  const plan = planOf(args);
  if (plan === undefined) return undefined;
  const backend = wasmBackendOf(args);
  const functions: SingleChannelConvFunctions[] = [];
  for (const g of plan.groups) {
    const f = functionsFor(backend, g.layout);
    if (f === null) return undefined;
    functions.push(f);
  }
  const { outHeight, filterHeight, rowFloats } = plan.groups[0]!.layout;
  const imageFloats = (outHeight + filterHeight - 1) * rowFloats;
  const overread = Math.max(...plan.groups.map((g) => overreadFloats(g.layout)));
  const out = backend.makeOutput(plan.outShape, 'float32');
  const view = (name: string): Float32Array =>
    heapFloats(backend, inputOf(args, name, FusedConv2D), FusedConv2D);
  const x = view('x');
  const unpadded = Math.max(plan.padTop, plan.padBottom, plan.padLeft, plan.padRight) === 0;
  // In place only where the last row's overread stays inside the memory.
  const inPlace = unpadded && x.byteOffset + 4 * (x.length + overread) <= x.buffer.byteLength;
  let source = x.byteOffset;
  let scratch: TensorInfo | undefined;
  if (!inPlace) {
    scratch = backend.makeOutput([plan.batch * imageFloats + overread], 'float32');
    // Views after the last allocation (it may have grown the memory); addresses stay valid.
    const padded = heapFloats(backend, scratch, FusedConv2D);
    source = padded.byteOffset;
    functions[0]!.padImages(
      x.byteOffset,
      source,
      plan.batch,
      plan.inHeight,
      plan.inWidth,
      plan.padTop * rowFloats + plan.padLeft,
      plan.padRight + plan.padLeft,
      plan.padRight + plan.padBottom * rowFloats,
    );
    // What the last step overreads: zeros too, not whatever the memory held.
    padded.fill(0, plan.batch * imageFloats);
  }
  const filterAt = view('filter').byteOffset;
  const biasAt = args.inputs['bias'] === undefined ? undefined : view('bias').byteOffset;
  const outAt = heapFloats(backend, out, FusedConv2D).byteOffset;
  plan.groups.forEach((g, i) => {
    const at = 4 * g.first;
    const biasArg = biasAt === undefined ? 0 : biasAt + at;
    functions[i]!.convolve(source, filterAt + at, biasArg, outAt + at, plan.batch);
  });
  if (scratch !== undefined) backend.disposeData(scratch.dataId);
  calls++;
  return out;
}

export const fusedConv2DConfig: ReplacingKernelConfig = replacingKernel(FusedConv2D, fusedConv2d);
