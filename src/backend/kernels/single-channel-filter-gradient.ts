import type { TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv-geometry.js';
import { simdFunctionsFor } from './simd/simd-loops.js';
import {
  dyOverreadFloats,
  padImages,
  singleChannelFilterGradient,
  type PadImages,
  type SingleChannelFilterGradientLayout,
} from './simd/single-channel-conv-functions.js';
import { heapFloats } from './wasm-tensors.js';

const KERNEL = 'Conv2DBackpropFilter';

/** Accumulators one pass keeps in vector registers (with dy's vectors and a splat: 15 of 16). */
const MAX_ACCUMULATORS = 12;

interface FilterGradientFunctions {
  filterGradientRows(x: number, dy: number, sums: number, images: number): void;
  padImages: PadImages;
}

/** The functions for `layout` on `backend`, compiled on first use; null without SIMD. */
function functionsFor(
  backend: BackendWasm,
  layout: SingleChannelFilterGradientLayout,
): FilterGradientFunctions | null {
  return simdFunctionsFor(backend, { filterGradient: layout }, () => [
    singleChannelFilterGradient(layout),
    padImages(),
  ]);
}

let calls = 0;

/** How many filter gradients the loops here have computed: for tests, that the shapes take them. */
export function singleChannelFilterGradientCalls(): number {
  return calls;
}

/**
 * The filter gradient of a convolution of one input channel, stride and
 * dilation 1, at most 8 output channels: dW[ky, kx, 0, c] = sum over (n,
 * y, x) of x[n, y + ky - padTop, x + kx - padLeft] * dy[n, y, x, c], by
 * the SIMD loop `filterGradientRows` on the input padded into a scratch
 * buffer (or read in place without padding): each dy pixel is loaded once
 * per pass as a vector of its channels and multiplied by each tap's input
 * value splatted, the taps of a few filter rows a pass in registers. im2col
 * first writes K = kh * kw copies of the input (one channel: nothing to
 * share a load), which cost more than this product: at batch 32, LeNet-5's
 * first layer took 0.59 ms against 0.94 by im2col, the tutorial net's 0.15
 * against 0.49 (in-process medians). Sums are float32 over one image and
 * float64 across images. Undefined for any other case, or without the SIMD
 * loops.
 */
export function filterGradientBySingleChannelLoops(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  filterShape: readonly number[],
): TensorInfo | undefined {
  const vectors = Math.ceil(g.outChannels / 4);
  const paddedHeight = g.outHeight + g.filterHeight - 1;
  const rowFloats = g.outWidth + g.filterWidth - 1;
  const padBottom = paddedHeight - g.inHeight - g.padTop;
  const padRight = rowFloats - g.inWidth - g.padLeft;
  if (
    g.inChannels !== 1 ||
    g.outChannels > 8 ||
    g.strideHeight !== 1 ||
    g.strideWidth !== 1 ||
    g.dilationHeight !== 1 ||
    g.dilationWidth !== 1 ||
    Math.min(g.padTop, g.padLeft, padBottom, padRight) < 0 ||
    g.filterWidth * vectors > MAX_ACCUMULATORS ||
    Math.min(g.batch, g.outHeight, g.outWidth) < 1
  ) {
    return undefined;
  }
  const rows = Math.min(g.filterHeight, Math.floor(MAX_ACCUMULATORS / (g.filterWidth * vectors)));
  const passes: { first: number; functions: FilterGradientFunctions; rows: number }[] = [];
  for (let first = 0; first < g.filterHeight; first += rows) {
    const passRows = Math.min(rows, g.filterHeight - first);
    const functions = functionsFor(backend, {
      channels: g.outChannels,
      filterHeight: g.filterHeight,
      filterWidth: g.filterWidth,
      rows: passRows,
      rowFloats,
      outHeight: g.outHeight,
      outWidth: g.outWidth,
    });
    if (functions === null) return undefined;
    passes.push({ first, functions, rows: passRows });
  }
  const dyView = heapFloats(backend, dy, KERNEL);
  const overread = dyOverreadFloats(g.outChannels);
  if (dyView.byteOffset + 4 * (dyView.length + overread) > dyView.buffer.byteLength) {
    return undefined;
  }
  const imageSums = rows * g.filterWidth * vectors * 4;
  const sums = backend.makeOutput([g.batch * imageSums], 'float32');
  const unpadded = Math.max(g.padTop, g.padLeft, padBottom, padRight) === 0;
  const scratch = unpadded
    ? undefined
    : backend.makeOutput([g.batch * paddedHeight * rowFloats], 'float32');
  // Views after the last allocation (it may have grown the memory); addresses stay valid.
  const xAt = heapFloats(backend, x, KERNEL).byteOffset;
  const source = scratch === undefined ? xAt : heapFloats(backend, scratch, KERNEL).byteOffset;
  if (scratch !== undefined) {
    passes[0]!.functions.padImages(
      xAt,
      source,
      g.batch,
      g.inHeight,
      g.inWidth,
      g.padTop * rowFloats + g.padLeft,
      padRight + g.padLeft,
      padRight + padBottom * rowFloats,
    );
  }
  const dyAt = heapFloats(backend, dy, KERNEL).byteOffset;
  const sumsView = heapFloats(backend, sums, KERNEL);
  const C = g.outChannels;
  const total = new Float64Array(g.filterHeight * g.filterWidth * C);
  for (const pass of passes) {
    pass.functions.filterGradientRows(
      source + 4 * pass.first * rowFloats,
      dyAt,
      sumsView.byteOffset,
      g.batch,
    );
    const passSums = pass.rows * g.filterWidth * vectors * 4;
    for (let n = 0; n < g.batch; n++) {
      const at = n * passSums;
      for (let t = 0; t < pass.rows * g.filterWidth; t++) {
        const tap = pass.first * g.filterWidth + t;
        for (let c = 0; c < C; c++) total[tap * C + c]! += sumsView[at + t * vectors * 4 + c]!;
      }
    }
  }
  if (scratch !== undefined) backend.disposeData(scratch.dataId);
  backend.disposeData(sums.dataId);
  const dw = backend.makeOutput([...filterShape], 'float32');
  heapFloats(backend, dw, KERNEL).set(total);
  calls++;
  return dw;
}
