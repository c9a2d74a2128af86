import { bump, repeat, ZERO } from './loop-builders.js';
import { I32, op, V128, type FunctionSpec } from './wasm-encoder.js';

/**
 * The loops of the direct convolution of one input channel
 * (fused-conv2d.ts): stride 1, dilation 1, NHWC, on images already padded
 * (or needing no padding). A convolution of one input channel has no
 * reduction over channels for XNNPACK's GEMM to use, so its packed kernel
 * runs at 1-3 GMAC/s; here four (or eight) neighbouring outputs of a row
 * are one vector, each filter tap loads them once and adds them, times the
 * tap's weight splatted, into one accumulator per output channel (about
 * 11 GMAC/s for LeNet-5's first layer).
 */

/**
 * What one generated convolution function is specialised for: the sizes
 * are constants of its code (loop counts, strides, the stores of a row's
 * last, partial step), so a call passes only addresses. A training run
 * sees one or two such shapes, compiled once each.
 */
export interface SingleChannelConvLayout {
  /** Output channels of the tensor: the stride of an output pixel. */
  readonly channels: number;
  /**
   * The channels one call computes, from `filter`, `bias` and `out` as given;
   * groupChannels * vectors accumulators, at most 8 before V8 spills them.
   */
  readonly groupChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Floats in a row of the (padded) input: outWidth + filterWidth - 1. */
  readonly rowFloats: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly bias: boolean;
  readonly relu: boolean;
  /** Vectors of 4 outputs per step along a row (1 or 2): 2 loads each weight once for 8 outputs. */
  readonly vectors: 1 | 2;
}

/**
 * Floats the convolution reads past the end of its input: the last step of
 * a row whose width is not a multiple of its outputs per step reads a whole
 * vector (those outputs are not stored).
 */
export function overreadFloats(layout: SingleChannelConvLayout): number {
  const step = 4 * layout.vectors;
  return Math.ceil(layout.outWidth / step) * step - layout.outWidth;
}

/**
 * `convolve(x, filter, bias, out, images)`: out[n, y, x, c] = act(bias[c] +
 * sum over (ky, kx) of x[n, y + ky, x + kx] * filter[ky, kx, 0, c]) for
 * `images` images of (outHeight + filterHeight - 1) rows of `rowFloats`
 * floats at `x`, the taps in row-major order; `filter`, `bias` and `out` at
 * the group's first channel. Byte addresses.
 */
export function singleChannelConv(layout: SingleChannelConvLayout): FunctionSpec {
  const { channels, groupChannels, filterHeight, filterWidth, rowFloats, vectors } = layout;
  const [x, filter, bias, out, images] = [0, 1, 2, 3, 4];
  const [xp, outp, rows, steps, tp, wp, ky, kx] = [5, 6, 7, 8, 9, 10, 11, 12];
  const firstVector = 13;
  const accumulator = (c: number, v: number): number => firstVector + c * vectors + v;
  const input = (v: number): number => firstVector + groupChannels * vectors + v;
  const weight = firstVector + (groupChannels + 1) * vectors;
  const channelList = [...Array<number>(groupChannels).keys()];
  const vectorList = [...Array<number>(vectors).keys()];

  const start = channelList.flatMap((c) =>
    vectorList.flatMap((v) => [
      ...(!layout.bias
        ? op.v128Const(ZERO)
        : v === 0
          ? [...op.get(bias), ...op.v128Load32Splat(4 * c)]
          : op.get(accumulator(c, 0))),
      ...op.set(accumulator(c, v)),
    ]),
  );
  // The taps in row-major order, in loops: unrolled, V8 issues every load of the step before
  // its arithmetic and spills them (measured 3 GMAC/s for LeNet-5's 25 taps).
  const tap = [
    ...vectorList.flatMap((v) => [...op.get(tp), ...op.v128Load(16 * v), ...op.set(input(v))]),
    ...channelList.flatMap((c) => [
      ...[...op.get(wp), ...op.v128Load32Splat(4 * c), ...op.set(weight)],
      ...vectorList.flatMap((v) => [
        ...[...op.get(accumulator(c, v)), ...op.get(weight), ...op.get(input(v))],
        ...[...op.f32x4Mul, ...op.f32x4Add, ...op.set(accumulator(c, v))],
      ]),
    ]),
    ...bump(tp, 4),
    ...bump(wp, 4 * channels),
  ];
  const taps = [
    ...[...op.get(xp), ...op.set(tp), ...op.get(filter), ...op.set(wp)],
    ...[...op.i32(filterHeight), ...op.set(ky)],
    ...repeat(ky, [
      ...[...op.i32(filterWidth), ...op.set(kx)],
      ...repeat(kx, tap),
      ...bump(tp, 4 * (rowFloats - filterWidth)),
    ]),
  ];
  const activation = !layout.relu
    ? []
    : channelList.flatMap((c) =>
        vectorList.flatMap((v) => [
          ...[...op.get(accumulator(c, v)), ...op.v128Const(ZERO), ...op.f32x4Max],
          ...op.set(accumulator(c, v)),
        ]),
      );
  /** The first `outputs` outputs of the step, each pixel's channels side by side. */
  const store = (outputs: number): number[] =>
    [...Array<number>(outputs).keys()].flatMap((j) =>
      channelList.flatMap((c) => [
        ...op.get(outp),
        ...op.get(accumulator(c, j >> 2)),
        ...op.f32x4ExtractLane(j & 3),
        ...op.f32Store(4 * (j * channels + c)),
      ]),
    );
  const step = (outputs: number): number[] => [...start, ...taps, ...activation, ...store(outputs)];

  const perStep = 4 * vectors;
  const fullSteps = Math.floor(layout.outWidth / perStep);
  const tail = layout.outWidth - fullSteps * perStep;
  const row = [
    ...(fullSteps === 0
      ? []
      : [
          ...[...op.i32(fullSteps), ...op.set(steps)],
          ...repeat(steps, [
            ...step(perStep),
            ...bump(xp, 4 * perStep),
            ...bump(outp, 4 * perStep * channels),
          ]),
        ]),
    ...(tail === 0 ? [] : [...step(tail), ...bump(outp, 4 * tail * channels)]),
    ...bump(xp, 4 * (rowFloats - fullSteps * perStep)),
  ];
  const image = [
    ...[...op.i32(layout.outHeight), ...op.set(rows)],
    ...repeat(rows, row),
    ...bump(xp, 4 * (filterHeight - 1) * rowFloats),
  ];
  return {
    name: 'convolve',
    params: [I32, I32, I32, I32, I32],
    locals: [
      ...Array<number>(8).fill(I32),
      ...Array<number>((groupChannels + 1) * vectors + 1).fill(V128),
    ],
    body: [[...op.get(x), ...op.set(xp), ...op.get(out), ...op.set(outp)], repeat(images, image)],
  };
}

/** {@link padImages} as its module exports it (byte addresses, counts of floats). */
export type PadImages = (
  src: number,
  dst: number,
  images: number,
  inHeight: number,
  inWidth: number,
  headZeros: number,
  gapZeros: number,
  tailZeros: number,
) => void;

/**
 * `padImages(src, dst, images, inHeight, inWidth, headZeros, gapZeros,
 * tailZeros)`: each image of `inHeight` rows of `inWidth` floats at `src`
 * written to `dst` with zeros around it, in address order: `headZeros`
 * (the top rows and the first left margin), each row followed by
 * `gapZeros` (its right margin and the next row's left), the last by
 * `tailZeros` (its right margin and the bottom rows).
 */
export function padImages(): FunctionSpec {
  const [src, dst, images, inHeight, inWidth, headZeros, gapZeros, tailZeros] = [
    0, 1, 2, 3, 4, 5, 6, 7,
  ];
  const [row, count] = [8, 9];
  /** `floats` (a local) floats from src to dst, or zeros to dst (src null), both moved on. */
  const run = (floats: number, from: number | null): number[] => [
    ...[...op.get(floats), ...op.i32(2), ...op.i32ShrU, ...op.set(count)],
    ...repeat(count, [
      ...op.get(dst),
      ...(from === null ? op.v128Const(ZERO) : [...op.get(from), ...op.v128Load()]),
      ...op.v128Store(),
      ...bump(dst, 16),
      ...(from === null ? [] : bump(from, 16)),
    ]),
    ...[...op.get(floats), ...op.i32(3), ...op.i32And, ...op.set(count)],
    ...repeat(count, [
      ...op.get(dst),
      ...(from === null ? op.f32Const(0) : [...op.get(from), ...op.f32Load()]),
      ...op.f32Store(),
      ...bump(dst, 4),
      ...(from === null ? [] : bump(from, 4)),
    ]),
  ];
  const image = [
    ...run(headZeros, null),
    ...[...op.get(inHeight), ...op.set(row)],
    ...op.block,
    ...op.loop,
    ...run(inWidth, src),
    ...[...op.get(row), ...op.i32(1), ...op.i32Sub, ...op.tee(row), ...op.i32Eqz, ...op.brIf(1)],
    ...run(gapZeros, null),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...run(tailZeros, null),
  ];
  return {
    name: 'padImages',
    params: Array<number>(8).fill(I32),
    locals: [I32, I32],
    body: [repeat(images, image)],
  };
}

/**
 * What one generated filter-gradient function is specialised for: `rows`
 * filter rows of `filterWidth` taps, every output channel (at most 8) in
 * `ceil(channels / 4)` vectors.
 */
export interface SingleChannelFilterGradientLayout {
  readonly channels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Filter rows one call sums (its accumulators: rows * filterWidth * channel vectors). */
  readonly rows: number;
  readonly rowFloats: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

/** Floats the filter gradient reads past the end of dy: the last pixel's whole vectors. */
export function dyOverreadFloats(channels: number): number {
  return Math.ceil(channels / 4) * 4 - channels;
}

/**
 * `filterGradientRows(x, dy, sums, images)`: for each image n, for r in
 * [0, rows), kx in [0, filterWidth), c in [0, channels): sums[n, r, kx, c]
 * = sum over (y, x) of x[n, y + r, x + kx] * dy[n, y, x, c], float32 sums
 * over one image's pixels (the caller adds the images in float64). `x` is
 * the padded input at the first filter row summed, images of (outHeight +
 * filterHeight - 1) rows of `rowFloats` floats; `sums` holds rows *
 * filterWidth * ceil(channels / 4) vectors an image (lanes past the
 * channels are the next pixel's, and dropped). dy's pixel is one or two
 * vectors loaded once for all the taps: the inner loop is a splat and a
 * multiply-add a tap.
 */
export function singleChannelFilterGradient(
  layout: SingleChannelFilterGradientLayout,
): FunctionSpec {
  const { channels, filterHeight, filterWidth, rows, rowFloats, outHeight, outWidth } = layout;
  const vectors = Math.ceil(channels / 4);
  const [x, dy, sums, images] = [0, 1, 2, 3];
  const [rowCount, pixelCount] = [4, 5];
  const firstVector = 6;
  const tapList: [number, number][] = [];
  for (let r = 0; r < rows; r++) for (let kx = 0; kx < filterWidth; kx++) tapList.push([r, kx]);
  const accumulator = (t: number, v: number): number => firstVector + t * vectors + v;
  const dyVector = (v: number): number => firstVector + tapList.length * vectors + v;
  const splat = firstVector + (tapList.length + 1) * vectors;
  const accumulators = [...Array<number>(tapList.length * vectors).keys()];
  const pixel = [
    ...[...Array<number>(vectors).keys()].flatMap((v) => [
      ...[...op.get(dy), ...op.v128Load(16 * v), ...op.set(dyVector(v))],
    ]),
    ...tapList.flatMap(([r, kx], t) => [
      ...[...op.get(x), ...op.v128Load32Splat(4 * (r * rowFloats + kx)), ...op.set(splat)],
      ...[...Array<number>(vectors).keys()].flatMap((v) => [
        ...[...op.get(accumulator(t, v)), ...op.get(splat), ...op.get(dyVector(v))],
        ...[...op.f32x4Mul, ...op.f32x4Add, ...op.set(accumulator(t, v))],
      ]),
    ]),
    ...bump(x, 4),
    ...bump(dy, 4 * channels),
  ];
  const image = [
    ...accumulators.flatMap((a) => [...op.v128Const(ZERO), ...op.set(firstVector + a)]),
    ...[...op.i32(outHeight), ...op.set(rowCount)],
    ...repeat(rowCount, [
      ...[...op.i32(outWidth), ...op.set(pixelCount)],
      ...repeat(pixelCount, pixel),
      ...bump(x, 4 * (rowFloats - outWidth)),
    ]),
    ...bump(x, 4 * (filterHeight - 1) * rowFloats),
    ...accumulators.flatMap((a) => [
      ...[...op.get(sums), ...op.get(firstVector + a), ...op.v128Store(16 * a)],
    ]),
    ...bump(sums, 16 * accumulators.length),
  ];
  return {
    name: 'filterGradientRows',
    params: [I32, I32, I32, I32],
    locals: [I32, I32, ...Array<number>((tapList.length + 1) * vectors + 1).fill(V128)],
    body: [repeat(images, image)],
  };
}
