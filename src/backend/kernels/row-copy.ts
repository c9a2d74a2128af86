import type { TypedArray } from './wasm-tensors.js';

/**
 * Copies a box of a row-major tensor into a box of another, one contiguous
 * row at a time: the shared machinery of `PadV2` (input into the middle of
 * the output) and `Slice` (a box of the input into the output).
 *
 * `box` is the shape of what is copied; `srcShape`/`dstShape` the shapes of
 * the two tensors and `srcStart`/`dstStart` where the box begins in each.
 * Trailing dimensions the box spans entirely in both tensors are merged into
 * the row, so a [128, 28, 28, 1] image padded in height and width copies
 * 3,584 rows of 28 values, not 100,352 rows of 1.
 */
export function copyBox(
  src: TypedArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: TypedArray,
  dstShape: readonly number[],
  dstStart: readonly number[],
  box: readonly number[],
): void {
  const rank = box.length;
  // The innermost dimension the box does not span in full (in either tensor).
  let split = rank - 1;
  while (split > 0 && box[split] === srcShape[split] && box[split] === dstShape[split]) split--;
  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  const rowLength = (box[split] ?? 1) * (srcStrides[split] ?? 1);
  let srcAt = offsetOf(srcStart, srcStrides);
  let dstAt = offsetOf(dstStart, dstStrides);
  let rows = 1;
  for (let d = 0; d < split; d++) rows *= box[d] ?? 1;
  const index = new Array<number>(split).fill(0);
  for (let row = 0; row < rows; row++) {
    if (rowLength >= 64) {
      dst.set(src.subarray(srcAt, srcAt + rowLength), dstAt);
    } else {
      for (let i = 0; i < rowLength; i++) dst[dstAt + i] = src[srcAt + i] as number;
    }
    // Advance the odometer over the dimensions before the row.
    for (let d = split - 1; d >= 0; d--) {
      const next = (index[d] ?? 0) + 1;
      if (next < (box[d] ?? 1)) {
        index[d] = next;
        srcAt += srcStrides[d] ?? 0;
        dstAt += dstStrides[d] ?? 0;
        break;
      }
      index[d] = 0;
      srcAt -= ((box[d] ?? 1) - 1) * (srcStrides[d] ?? 0);
      dstAt -= ((box[d] ?? 1) - 1) * (dstStrides[d] ?? 0);
    }
  }
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--)
    strides[d] = (strides[d + 1] ?? 1) * (shape[d + 1] ?? 1);
  return strides;
}

function offsetOf(start: readonly number[], strides: readonly number[]): number {
  let at = 0;
  for (let d = 0; d < start.length; d++) at += (start[d] ?? 0) * (strides[d] ?? 0);
  return at;
}
