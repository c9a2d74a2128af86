import type { AugmentSpec } from '../config/experiment.js';
import type { ImageSplit } from './dataset.js';
import { NormalStream } from './gaussian.js';
import { createRandom, mixSeed } from './random.js';

/** Salt that keeps augmentation's random stream apart from the shuffle's. */
const AUGMENT_STREAM = 0x61756721;
/** Salt of the noise's stream. */
const NOISE_STREAM = 0x6e6f6973;

/** Where a batch sits in the run: with the seed, decides every random change in it. */
export interface AugmentPosition {
  readonly seed: number;
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based batch of the epoch. */
  readonly batch: number;
}

/** One image's random changes, drawn in this order from the batch's stream. */
export interface ImageDraw {
  readonly flip: boolean;
  /** Radians; 0: no rotation. */
  readonly angle: number;
  readonly dy: number;
  readonly dx: number;
}

/** The stream that draws each image's flip, angle and translation. */
export function drawStream(position: AugmentPosition): () => number {
  return createRandom(mixSeed(position.seed, position.epoch, position.batch, AUGMENT_STREAM));
}

/** The batch's gaussian noise: one value per pixel and channel, image after image. */
export function noiseStream(position: AugmentPosition): NormalStream {
  return new NormalStream(mixSeed(position.seed, position.epoch, position.batch, NOISE_STREAM));
}

/** The next image's changes from `random` (flip, angle, dy, dx: each drawn only when asked). */
export function drawImage(spec: AugmentSpec, random: () => number): ImageDraw {
  const reach = spec.shift + spec.cropPadding;
  const flip = spec.flip && random() < 0.5;
  const angle = spec.rotate > 0 ? ((random() * 2 - 1) * spec.rotate * Math.PI) / 180 : 0;
  const dy = reach > 0 ? Math.floor(random() * (2 * reach + 1)) - reach : 0;
  const dx = reach > 0 ? Math.floor(random() * (2 * reach + 1)) - reach : 0;
  return { flip, angle, dy, dx };
}

/**
 * Fills a batch like `fillBatch`, with each image changed at random:
 * flipped (p = 1/2), rotated about its centre by up to `rotate` degrees,
 * translated by up to `shift` (and `cropPadding`, which is torchvision's
 * RandomCrop(size, padding) on a same-size crop: a translation with zeros
 * coming in) pixels each way, all in one resampling pass with nearest-pixel
 * sampling (torchvision's default for rotation), then gaussian `noise` on the
 * [0, 1] scale. The random draws come from (seed, epoch, batch) alone, so the
 * same seed gives the same images and a resumed run needs no generator state.
 * No per-pixel allocation: a translation copies rows, a rotation walks each
 * row in fixed-point integers, noise comes from a ziggurat.
 */
export function fillAugmentedBatch(
  split: ImageSplit,
  indices: Uint32Array,
  table: Float32Array,
  xs: Float32Array,
  labels: Int32Array,
  spec: AugmentSpec,
  position: AugmentPosition,
  /** normalize.std: noise is added on the [0, 1] scale, before the division. */
  std: number,
): void {
  const { height: h, width: w, channels: c } = split;
  const size = h * w * c;
  const random = drawStream(position);
  const noise = spec.noise > 0 ? noiseStream(position) : undefined;
  const scale = spec.noise / std;
  const columns = spec.rotate > 0 ? new Int32Array(2 * w) : undefined;
  const images = split.images;
  for (let b = 0; b < indices.length; b++) {
    const example = indices[b]!;
    labels[b] = split.labels[example]!;
    const draw = drawImage(spec, random);
    const from = example * size;
    const to = b * size;
    const shape = { h, w, c };
    if (draw.angle === 0) copyShifted(images, from, xs, to, shape, draw, table);
    else copyRotated(images, from, xs, to, shape, draw, table, columns!);
    noise?.addTo(xs, to, to + size, scale);
  }
}

interface Shape {
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

/**
 * Translation and flip only, row by row: a row shifted out is one fill, and
 * in a row the columns that come from outside are filled, the rest looked up.
 */
function copyShifted(
  images: Uint8Array,
  from: number,
  xs: Float32Array,
  to: number,
  { h, w, c }: Shape,
  { dy, dx, flip }: ImageDraw,
  table: Float32Array,
): void {
  const zero = table[0]!;
  const rowSize = w * c;
  // Output columns whose source column x - dx is inside the image.
  const first = Math.max(0, dx);
  const end = Math.min(w, w + dx);
  for (let y = 0; y < h; y++) {
    const row = to + y * rowSize;
    const sy = y - dy;
    if (sy < 0 || sy >= h || first >= end) {
      xs.fill(zero, row, row + rowSize);
      continue;
    }
    xs.fill(zero, row, row + first * c);
    xs.fill(zero, row + end * c, row + rowSize);
    const sourceRow = from + sy * rowSize;
    if (c === 1 && !flip) {
      for (let x = first, s = sourceRow + first - dx; x < end; x++, s++) {
        xs[row + x] = table[images[s]!]!;
      }
      continue;
    }
    for (let x = first; x < end; x++) {
      const shifted = x - dx;
      const at = sourceRow + (flip ? w - 1 - shifted : shifted) * c;
      const out = row + x * c;
      for (let k = 0; k < c; k++) xs[out + k] = table[images[at + k]!]!;
    }
  }
}

/**
 * Rotation (with translation and flip) in one pass. Each output pixel shows
 * the input pixel found by undoing the translation, then the rotation about
 * the centre, then the flip, rounded to the nearest; outside, zero comes in.
 * The coordinates are fixed-point integers with `bits` fraction bits (16 up
 * to images of 16,000 pixels a side): a row's start and each column's step
 * are rounded once per image (`columns`), so a pixel costs two integer
 * additions and two shifts. A coordinate is off by at most 2^-bits of a
 * pixel, which changes the nearest pixel only within that of a half-way tie.
 */
function copyRotated(
  images: Uint8Array,
  from: number,
  xs: Float32Array,
  to: number,
  { h, w, c }: Shape,
  { dy, dx, flip, angle }: ImageDraw,
  table: Float32Array,
  columns: Int32Array,
): void {
  const zero = table[0]!;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  // |coordinate| * 2^bits stays under 2^30, so sums of two fit an int32.
  const bits = Math.min(
    16,
    30 - Math.ceil(Math.log2(Math.max(h, w) + Math.abs(dy) + Math.abs(dx) + 2)),
  );
  const one = 2 ** bits;
  for (let x = 0; x < w; x++) {
    const rx = x - dx - cx;
    columns[x] = Math.round(sin * rx * one);
    columns[w + x] = Math.round(cos * rx * one);
  }
  for (let y = 0; y < h; y++) {
    const ry = y - dy - cy;
    // + 0.5 before the shift (a floor): the nearest pixel.
    const rowY = Math.round((cos * ry + cy + 0.5) * one) | 0;
    const rowX = Math.round((sin * ry + cx + 0.5) * one) | 0;
    let out = to + y * w * c;
    for (let x = 0; x < w; x++, out += c) {
      const sy = (rowY - columns[x]!) >> bits;
      let sx = (rowX + columns[w + x]!) >> bits;
      if (flip) sx = w - 1 - sx;
      if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
        const at = from + (sy * w + sx) * c;
        if (c === 1) xs[out] = table[images[at]!]!;
        else for (let k = 0; k < c; k++) xs[out + k] = table[images[at + k]!]!;
      } else if (c === 1) {
        xs[out] = zero;
      } else {
        for (let k = 0; k < c; k++) xs[out + k] = zero;
      }
    }
  }
}

/** Whether a spec changes anything (all zero / false is the same as no augmentation). */
export function augmentsAnything(spec: AugmentSpec | undefined): spec is AugmentSpec {
  return (
    spec !== undefined &&
    (spec.shift > 0 || spec.cropPadding > 0 || spec.flip || spec.rotate > 0 || spec.noise > 0)
  );
}
