import type { AugmentSpec } from '../config/experiment.js';
import type { ImageSplit } from './dataset.js';
import { createRandom, mixSeed } from './random.js';

/** Salt that keeps augmentation's random stream apart from the shuffle's. */
const AUGMENT_STREAM = 0x61756721;

/** Where a batch sits in the run: with the seed, decides every random change in it. */
export interface AugmentPosition {
  readonly seed: number;
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based batch of the epoch. */
  readonly batch: number;
}

/**
 * Fills a batch like `fillBatch`, with each image changed at random:
 * flipped (p = 1/2), rotated about its centre by up to `rotate` degrees,
 * translated by up to `shift` (and `cropPadding`, which is torchvision's
 * RandomCrop(size, padding) on a same-size crop: a translation with zeros
 * coming in) pixels each way, all in one pass with nearest-pixel sampling
 * (torchvision's default for rotation), then gaussian `noise` on the [0, 1]
 * scale. The random draws come from (seed, epoch, batch) alone, so the same
 * seed gives the same images and a resumed run needs no generator state.
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
  const random = createRandom(
    mixSeed(position.seed, position.epoch, position.batch, AUGMENT_STREAM),
  );
  const reach = spec.shift + spec.cropPadding;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const source = new Int32Array(h * w);
  for (let b = 0; b < indices.length; b++) {
    const example = indices[b]!;
    labels[b] = split.labels[example]!;
    const flip = spec.flip && random() < 0.5;
    const angle = spec.rotate > 0 ? ((random() * 2 - 1) * spec.rotate * Math.PI) / 180 : 0;
    const dy = reach > 0 ? Math.floor(random() * (2 * reach + 1)) - reach : 0;
    const dx = reach > 0 ? Math.floor(random() * (2 * reach + 1)) - reach : 0;
    const from = example * size;
    const to = b * size;
    const images = split.images;
    if (angle === 0) {
      copyShifted(images, from, xs, to, { h, w, c, dy, dx, flip }, table);
    } else {
      mapPixels(source, h, w, { flip, angle, dy, dx, cy, cx });
      for (let p = 0; p < h * w; p++) {
        const s = source[p]!;
        for (let k = 0; k < c; k++) {
          xs[to + p * c + k] = s < 0 ? table[0]! : table[images[from + s * c + k]!]!;
        }
      }
    }
    if (spec.noise > 0) addNoise(xs, to, size, spec.noise / std, random);
  }
}

/**
 * The same pixels as `mapPixels` without a rotation (translation and flip only), row by row:
 * a row shifted out is one fill, no per-pixel index map. About half the cost of the mapped
 * path (bench/recipe.mjs augment), which keeps `shift` cheap beside a training step.
 */
function copyShifted(
  images: Uint8Array,
  from: number,
  xs: Float32Array,
  to: number,
  t: {
    readonly h: number;
    readonly w: number;
    readonly c: number;
    readonly dy: number;
    readonly dx: number;
    readonly flip: boolean;
  },
  table: Float32Array,
): void {
  const { h, w, c, dy, dx, flip } = t;
  const zero = table[0]!;
  const rowSize = w * c;
  for (let y = 0; y < h; y++) {
    const row = to + y * rowSize;
    const sy = y - dy;
    if (sy < 0 || sy >= h) {
      xs.fill(zero, row, row + rowSize);
      continue;
    }
    const sourceRow = from + sy * rowSize;
    for (let x = 0; x < w; x++) {
      const shifted = x - dx;
      const sx = flip ? w - 1 - shifted : shifted;
      const out = row + x * c;
      if (sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) xs[out + k] = zero;
      } else {
        const at = sourceRow + sx * c;
        for (let k = 0; k < c; k++) xs[out + k] = table[images[at + k]!]!;
      }
    }
  }
}

/** For each output pixel, the input pixel it shows (-1: outside, zero comes in). */
function mapPixels(
  source: Int32Array,
  h: number,
  w: number,
  t: {
    readonly flip: boolean;
    readonly angle: number;
    readonly dy: number;
    readonly dx: number;
    readonly cy: number;
    readonly cx: number;
  },
): void {
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Undo the translation, then the rotation (about the centre), then the flip.
      let sy = y - t.dy;
      let sx = x - t.dx;
      if (t.angle !== 0) {
        const ry = sy - t.cy;
        const rx = sx - t.cx;
        sy = Math.round(cos * ry - sin * rx + t.cy);
        sx = Math.round(sin * ry + cos * rx + t.cx);
      }
      if (t.flip) sx = w - 1 - sx;
      source[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? sy * w + sx : -1;
    }
  }
}

/** Box-Muller pairs of standard normals, scaled by `scale`, added to xs[from, from + count). */
function addNoise(
  xs: Float32Array,
  from: number,
  count: number,
  scale: number,
  random: () => number,
): void {
  for (let i = 0; i < count; i += 2) {
    const u = 1 - random();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    const theta = 2 * Math.PI * random();
    xs[from + i] = xs[from + i]! + r * Math.cos(theta);
    if (i + 1 < count) xs[from + i + 1] = xs[from + i + 1]! + r * Math.sin(theta);
  }
}

/** Whether a spec changes anything (all zero / false is the same as no augmentation). */
export function augmentsAnything(spec: AugmentSpec | undefined): spec is AugmentSpec {
  return (
    spec !== undefined &&
    (spec.shift > 0 || spec.cropPadding > 0 || spec.flip || spec.rotate > 0 || spec.noise > 0)
  );
}
