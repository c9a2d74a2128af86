import type { SimdLoops } from './simd/simd-loops.js';

/**
 * The passes of batch norm's training kernels (batch-norm-train.ts) over x
 * viewed as [size / C, C], block by block: a block is a multiple of C and
 * of 4 values near BLOCK long, so its columns are channels in turn and the
 * SIMD loops can take 4 values at once whatever C is. Per-channel values
 * are spread over float64 rows of the block's length (value of column j =
 * that of channel j mod C); sums run per column over the blocks, then the
 * values past the last whole block, then fold to channels. The JavaScript
 * loops (no SIMD) follow the same order, so both give the same values.
 * Rows live in the wasm memory (the SIMD loops read them there).
 */

const BLOCK = 1024;

/** A multiple of `channels` and of 4 near BLOCK values. */
export function blockLength(channels: number): number {
  const unit = channels % 4 === 0 ? channels : channels % 2 === 0 ? 2 * channels : 4 * channels;
  return unit * Math.max(1, Math.floor(BLOCK / unit));
}

/** row[j] = values[j mod C]. */
export function spread(values: ArrayLike<number>, row: Float64Array): Float64Array {
  const channels = values.length;
  for (let j = 0; j < row.length; j++) row[j] = values[j % channels] as number;
  return row;
}

/** Per-channel sums of the column sums in `row`. */
export function fold(row: Float64Array, channels: number): Float64Array {
  const sums = new Float64Array(channels);
  for (let j = 0; j < row.length; j++) {
    const c = j % channels;
    sums[c] = (sums[c] as number) + (row[j] as number);
  }
  return sums;
}

const wholeOf = (length: number, block: number): number => length - (length % block);

/** running[j] = sum of x over column j. */
export function columnSums(simd: SimdLoops | null, xs: Float32Array, running: Float64Array): void {
  const block = running.length;
  const whole = wholeOf(xs.length, block);
  running.fill(0);
  if (simd !== null) simd.addBlocks(xs.byteOffset, whole / block, block / 4, running.byteOffset);
  else {
    for (let start = 0; start < whole; start += block) {
      for (let j = 0; j < block; j++)
        running[j] = (running[j] as number) + (xs[start + j] as number);
    }
  }
  for (let i = whole, j = 0; i < xs.length; i++, j++)
    running[j] = (running[j] as number) + (xs[i] as number);
}

/** running[j] = sum of (x - center[j])^2 over column j. */
export function squaredDeviationSums(
  simd: SimdLoops | null,
  xs: Float32Array,
  center: Float64Array,
  running: Float64Array,
): void {
  const block = running.length;
  const whole = wholeOf(xs.length, block);
  running.fill(0);
  let i = 0;
  if (simd !== null) {
    simd.addSquaredDeviations(
      xs.byteOffset,
      whole / block,
      block / 4,
      center.byteOffset,
      running.byteOffset,
    );
    i = whole;
  }
  for (let j = 0; i < xs.length; i++, j = j + 1 === block ? 0 : j + 1) {
    const d = (xs[i] as number) - (center[j] as number);
    running[j] = (running[j] as number) + d * d;
  }
}

/** y = x scale[j] + shift[j] (float64, rounded once). */
export function scaleShiftColumns(
  simd: SimdLoops | null,
  xs: Float32Array,
  ys: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
): void {
  const block = scale.length;
  const whole = wholeOf(xs.length, block);
  let i = 0;
  if (simd !== null) {
    simd.scaleShift(
      xs.byteOffset,
      ys.byteOffset,
      whole / block,
      block / 4,
      scale.byteOffset,
      shift.byteOffset,
    );
    i = whole;
  }
  for (let j = 0; i < xs.length; i++, j = j + 1 === block ? 0 : j + 1) {
    ys[i] = (xs[i] as number) * (scale[j] as number) + (shift[j] as number);
  }
}

/** sumDy[j] = sum of dy, sumDyXc[j] = sum of dy (x - center[j]) over column j. */
export function gradientSums(
  simd: SimdLoops | null,
  dys: Float32Array,
  xs: Float32Array,
  center: Float64Array,
  sumDy: Float64Array,
  sumDyXc: Float64Array,
): void {
  const block = center.length;
  const whole = wholeOf(xs.length, block);
  sumDy.fill(0);
  sumDyXc.fill(0);
  let i = 0;
  if (simd !== null) {
    simd.addGradientSums(
      dys.byteOffset,
      xs.byteOffset,
      whole / block,
      block / 4,
      center.byteOffset,
      sumDy.byteOffset,
      sumDyXc.byteOffset,
    );
    i = whole;
  }
  for (let j = 0; i < xs.length; i++, j = j + 1 === block ? 0 : j + 1) {
    const g = dys[i] as number;
    sumDy[j] = (sumDy[j] as number) + g;
    sumDyXc[j] = (sumDyXc[j] as number) + g * ((xs[i] as number) - (center[j] as number));
  }
}

/** dx = dy a[j] + x b[j] + k[j] (float64, rounded once). */
export function gradientColumns(
  simd: SimdLoops | null,
  dys: Float32Array,
  xs: Float32Array,
  dxs: Float32Array,
  rows: { readonly a: Float64Array; readonly b: Float64Array; readonly k: Float64Array },
): void {
  const { a, b, k } = rows;
  const block = a.length;
  const whole = wholeOf(xs.length, block);
  let i = 0;
  if (simd !== null) {
    simd.batchNormGradient(
      dys.byteOffset,
      xs.byteOffset,
      dxs.byteOffset,
      whole / block,
      block / 4,
      a.byteOffset,
      b.byteOffset,
      k.byteOffset,
    );
    i = whole;
  }
  for (let j = 0; i < xs.length; i++, j = j + 1 === block ? 0 : j + 1) {
    dxs[i] =
      (dys[i] as number) * (a[j] as number) +
      (xs[i] as number) * (b[j] as number) +
      (k[j] as number);
  }
}
