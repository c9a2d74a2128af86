import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '../../tf.js';
import { simdLoopsFor, type SimdLoops } from './simd/simd-loops.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `MaxPoolGrad` in one pass over the windows, without branches on the data:
 * the forward pass's output `y` is the window's maximum, so the first
 * position holding it (row-major window order, the cpu backend's tie rule:
 * after a ReLU many windows tie at 0) gets the window's gradient. Equality
 * tests are turned into 0/1 numbers and multiplied in, rather than branched
 * on: on random data a branch mispredicts every other time. A window whose
 * maximum is -Infinity or NaN gets no gradient, as on cpu. With 2x2 windows
 * at stride 2 (the common case) every input value is written once, so only
 * an odd last row or column needs zeroing, and with 4
 * channels or more the windows go through a SIMD loop (simd-loops.ts). wasm's kernel rescans every
 * window for each input pixel (23-29 ms a step for the nets we train).
 */
export function maxPoolGrad(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const dy = inputOf(args, 'dy', MaxPoolGrad);
  const input = inputOf(args, 'input', MaxPoolGrad);
  const output = inputOf(args, 'output', MaxPoolGrad);
  const { filterSize, strides, pad, dimRoundingMode } = attrsOf<MaxPoolGradAttrs>(args);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const pool: PoolArrays = {
    x: heapFloats(backend, input, MaxPoolGrad),
    y: heapFloats(backend, output, MaxPoolGrad),
    dy: heapFloats(backend, dy, MaxPoolGrad),
    dx: heapFloats(backend, dx, MaxPoolGrad),
  };
  // 2x2 windows at stride 2 inside the input: each input value is under one
  // window at most; only an odd last row or column is under none.
  const disjoint2x2 =
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth;
  if (disjoint2x2) {
    zeroUncovered(pool.dx, info);
    const simd = info.inChannels >= 4 ? simdLoopsFor(backend) : null;
    if (simd !== null) {
      disjoint2x2WindowsSimd(simd, pool, info);
    } else {
      disjoint2x2Windows(pool, info);
    }
  } else {
    pool.dx.fill(0);
    anyWindow(pool, info);
  }
  return dx;
}

/** Zeroes the input rows and columns past the last 2x2 window (an odd height or width). */
function zeroUncovered(dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const channels = info.inChannels;
  const rowLength = info.inWidth * channels;
  const coveredRows = 2 * info.outHeight;
  const coveredLength = 2 * info.outWidth * channels;
  for (let b = 0; b < info.batchSize; b++) {
    const imageAt = b * info.inHeight * rowLength;
    if (coveredLength < rowLength) {
      for (let r = 0; r < coveredRows; r++) {
        const rowAt = imageAt + r * rowLength;
        dx.fill(0, rowAt + coveredLength, rowAt + rowLength);
      }
    }
    dx.fill(0, imageAt + coveredRows * rowLength, imageAt + info.inHeight * rowLength);
  }
}

interface PoolArrays {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly dy: Float32Array;
  readonly dx: Float32Array;
}

/** 2x2 windows at stride 2, no padding: each covered input value written once. */
function disjoint2x2Windows(pool: PoolArrays, info: backend_util.Conv2DInfo): void {
  const { x, y, dy, dx } = pool;
  const channels = info.inChannels;
  const rowStep = info.inWidth * channels;
  let outAt = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let oh = 0; oh < info.outHeight; oh++) {
      let at = (b * info.inHeight + 2 * oh) * rowStep;
      for (let ow = 0; ow < info.outWidth; ow++, at += channels) {
        for (let ch = 0; ch < channels; ch++, at++, outAt++) {
          const max = y[outAt] as number;
          const g = (dy[outAt] as number) * +(max > -Infinity);
          const e0 = +((x[at] as number) === max);
          const e1 = +((x[at + channels] as number) === max) & (e0 ^ 1);
          const seen = e0 | e1;
          const e2 = +((x[at + rowStep] as number) === max) & (seen ^ 1);
          const e3 = +((x[at + rowStep + channels] as number) === max) & ((seen | e2) ^ 1);
          dx[at] = g * e0;
          dx[at + channels] = g * e1;
          dx[at + rowStep] = g * e2;
          dx[at + rowStep + channels] = g * e3;
        }
      }
    }
  }
}

/**
 * The same with 4 channels per SIMD step, one image per call
 * (simd-loops.ts). When the channels are not a multiple of 4, a second pass
 * takes the last 4 channels, overlapping the first pass: both write the same
 * values to the channels they share.
 */
function disjoint2x2WindowsSimd(
  simd: SimdLoops,
  pool: PoolArrays,
  info: backend_util.Conv2DInfo,
): void {
  const channels = info.inChannels;
  const channelBytes = 4 * channels;
  const rowBytes = info.inWidth * channelBytes;
  const outRowBytes = info.outWidth * channelBytes;
  const dxDelta = pool.dx.byteOffset - pool.x.byteOffset;
  const groups = Math.floor(channels / 4);
  // Channel offsets (bytes) and group counts of the passes.
  const passes: [number, number][] = [[0, groups]];
  if (channels % 4 !== 0) passes.push([4 * (channels - 4), 1]);
  for (const [channelAt, passGroups] of passes) {
    const xSkip = 2 * channelBytes - 16 * passGroups;
    const ySkip = channelBytes - 16 * passGroups;
    // After a row of windows x stands at the end of their first input row.
    const xRowSkip = 2 * rowBytes - info.outWidth * 2 * channelBytes;
    for (let b = 0; b < info.batchSize; b++) {
      const xAt = pool.x.byteOffset + b * info.inHeight * rowBytes + channelAt;
      const outAt = b * info.outHeight * outRowBytes + channelAt;
      simd.maxPoolGrad2x2Rows(
        xAt,
        pool.y.byteOffset + outAt,
        pool.dy.byteOffset + outAt,
        dxDelta,
        info.outHeight,
        info.outWidth,
        passGroups,
        channelBytes,
        rowBytes,
        xSkip,
        ySkip,
        xRowSkip,
      );
    }
  }
}

/** Any window size, stride and padding: gradients added into a zeroed `dx`. */
function anyWindow(pool: PoolArrays, info: backend_util.Conv2DInfo): void {
  const { x, y, dy, dx } = pool;
  const channels = info.inChannels;
  const rowStep = info.inWidth * channels;
  let outAt = 0;
  for (let b = 0; b < info.batchSize; b++) {
    const imageAt = b * info.inHeight * rowStep;
    for (let oh = 0; oh < info.outHeight; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(info.inHeight, top + info.filterHeight);
      for (let ow = 0; ow < info.outWidth; ow++) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(info.inWidth, left + info.filterWidth);
        const windowAt = imageAt + rowStart * rowStep + colStart * channels;
        for (let ch = 0; ch < channels; ch++, outAt++) {
          const max = y[outAt] as number;
          const g = (dy[outAt] as number) * +(max > -Infinity);
          let seen = 0;
          for (let r = rowStart, rowAt = windowAt + ch; r < rowEnd; r++, rowAt += rowStep) {
            for (let c = colStart, at = rowAt; c < colEnd; c++, at += channels) {
              const first = +((x[at] as number) === max) & (seen ^ 1);
              dx[at] = (dx[at] as number) + g * first;
              seen |= first;
            }
          }
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
