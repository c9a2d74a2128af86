import { describe, expect, it } from 'vitest';
import type { AugmentSpec } from '../../src/config/experiment.js';
import {
  drawImage,
  drawStream,
  fillAugmentedBatch,
  noiseStream,
  type AugmentPosition,
} from '../../src/data/augment.js';
import { createBatchArrays, pixelTable } from '../../src/data/batch-arrays.js';
import type { ImageSplit } from '../../src/data/dataset.js';

function split(count = 16, size = 8): ImageSplit {
  const images = new Uint8Array(count * size * size);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + (i >> 3) * 11) % 256;
  return { images, labels: new Uint8Array(count), count, height: size, width: size, channels: 1 };
}
const none: AugmentSpec = { shift: 0, cropPadding: 0, flip: false, rotate: 0, noise: 0 };
const batches = (augment: AugmentSpec | undefined, seed = 1, epoch = 0): Float32Array[] =>
  [
    ...createBatchArrays(split(), {
      batchSize: 4,
      shuffle: false,
      seed,
      epoch,
      normalize: undefined,
      augment,
    }),
  ].map((b) => b.xs);

describe('data.augment', () => {
  const all: AugmentSpec = { shift: 2, cropPadding: 1, flip: true, rotate: 15, noise: 0.05 };

  it('gives the same images for the same seed and epoch, others for another epoch or seed', () => {
    expect(batches(all)).toEqual(batches(all));
    expect(batches(all, 1, 1)).not.toEqual(batches(all, 1, 0));
    expect(batches(all, 2, 0)).not.toEqual(batches(all, 1, 0));
  });

  it('changes nothing when every change is off', () => {
    expect(batches(none)).toEqual(batches(undefined));
  });

  it('flips an image exactly left-right, or leaves it', () => {
    const plain = batches(undefined).flatMap((b) => [...b]);
    const flipped = batches({ ...none, flip: true }).flatMap((b) => [...b]);
    let mirrored = 0;
    for (let image = 0; image < 16; image++) {
      const at = (xs: number[], y: number, x: number): number => xs[image * 64 + y * 8 + x]!;
      const same = [...Array(64).keys()].every(
        (p) => at(flipped, p >> 3, p & 7) === at(plain, p >> 3, p & 7),
      );
      const mirror = [...Array(64).keys()].every(
        (p) => at(flipped, p >> 3, p & 7) === at(plain, p >> 3, 7 - (p & 7)),
      );
      expect(same || mirror).toBe(true);
      if (mirror) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(0);
    expect(mirrored).toBeLessThan(16);
  });

  it('shifts by whole pixels with zeros coming in', () => {
    const plain = batches(undefined).flatMap((b) => [...b]);
    const shifted = batches({ ...none, shift: 2 }).flatMap((b) => [...b]);
    for (let image = 0; image < 16; image++) {
      const out = shifted.slice(image * 64, image * 64 + 64);
      const src = plain.slice(image * 64, image * 64 + 64);
      const found = [-2, -1, 0, 1, 2]
        .flatMap((dy) => [-2, -1, 0, 1, 2].map((dx) => [dy, dx] as const))
        .some(([dy, dx]) =>
          out.every((v, p) => {
            const sy = (p >> 3) - dy;
            const sx = (p & 7) - dx;
            return v === (sy >= 0 && sy < 8 && sx >= 0 && sx < 8 ? src[sy * 8 + sx] : 0);
          }),
        );
      expect(found).toBe(true);
    }
  });

  it('adds noise of the asked standard deviation', () => {
    const plain = batches(undefined).flatMap((b) => [...b]);
    const noisy = batches({ ...none, noise: 0.1 }).flatMap((b) => [...b]);
    const diffs = noisy.map((v, i) => v - plain[i]!);
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / diffs.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeGreaterThan(0.08);
    expect(sd).toBeLessThan(0.12);
  });

  it('equals a per-pixel reference of the formula, for every kind at once, gray and colour', () => {
    const cases: [AugmentSpec, number, [number, number]][] = [
      [all, 1, [9, 7]],
      [{ ...all, shift: 3, cropPadding: 2, rotate: 30 }, 3, [9, 7]],
      [{ ...none, rotate: 10 }, 1, [9, 7]],
      [{ ...none, shift: 2, flip: true }, 3, [9, 7]],
      [{ ...none, noise: 0.1 }, 1, [9, 7]],
      [{ shift: 2, cropPadding: 2, flip: true, rotate: 10, noise: 0.05 }, 1, [28, 28]],
      [{ ...all, rotate: 180 }, 3, [32, 31]],
    ];
    for (const [spec, channels, [h, w]] of cases) {
      const image = colourSplit(24, h, w, channels);
      const indices = Uint32Array.from([5, 0, 23, 5, 11, 17, 2, 8, 19, 13]);
      const position = { seed: 3, epoch: 2, batch: 4 };
      const table = pixelTable({ mean: 0.3, std: 0.4 });
      const size = h * w * channels;
      const xs = new Float32Array(indices.length * size);
      const labels = new Int32Array(indices.length);
      fillAugmentedBatch(image, indices, table, xs, labels, spec, position, 0.4);
      const { values, ties } = reference(image, indices, table, spec, position, 0.4);
      // A pixel whose exact source lies within 1e-4 of half-way between two may show either.
      expect(ties.size).toBeLessThan(xs.length / 1000);
      for (const t of ties) values[t] = xs[t]!;
      expect(xs).toEqual(values);
      expect([...labels]).toEqual([...indices].map((i) => image.labels[i]));
    }
  });

  it('draws flips, angles and translations over their whole ranges', () => {
    const spec: AugmentSpec = { ...all, shift: 1, cropPadding: 1, rotate: 10 };
    const random = drawStream({ seed: 9, epoch: 0, batch: 0 });
    const draws = Array.from({ length: 4000 }, () => drawImage(spec, random));
    const flips = draws.filter((d) => d.flip).length;
    expect(flips).toBeGreaterThan(1800);
    expect(flips).toBeLessThan(2200);
    const limit = (10 * Math.PI) / 180;
    expect(draws.every((d) => Math.abs(d.angle) <= limit)).toBe(true);
    expect(
      draws.some((d) => d.angle > limit * 0.95) && draws.some((d) => d.angle < -limit * 0.95),
    ).toBe(true);
    for (const key of ['dy', 'dx'] as const) {
      const seen = new Set(draws.map((d) => d[key]));
      expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
    }
  });
});

/** `count` images of h x w x channels, every byte different from its neighbours. */
function colourSplit(count: number, h: number, w: number, channels: number): ImageSplit {
  const images = new Uint8Array(count * h * w * channels);
  for (let i = 0; i < images.length; i++) images[i] = 1 + ((i * 53 + (i >> 2) * 29) % 255);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 7);
  return { images, labels, count, height: h, width: w, channels };
}

/**
 * The meaning of `data.augment`, pixel by pixel and as plainly as it can be said: each output
 * pixel (y, x) shows the input pixel found by undoing the translation, then the rotation by the
 * drawn angle about the centre, then the flip, each coordinate rounded to the nearest; outside
 * the image a zero byte comes in; then the noise's next value, times noise / std, is added.
 * `ties`: the values whose source coordinate is within 1e-4 of half-way (either pixel is right).
 */
function reference(
  image: ImageSplit,
  indices: Uint32Array,
  table: Float32Array,
  spec: AugmentSpec,
  position: AugmentPosition,
  std: number,
): { values: Float32Array; ties: Set<number> } {
  const { height: h, width: w, channels: c } = image;
  const values = new Float32Array(indices.length * h * w * c);
  const ties = new Set<number>();
  const nearHalf = (v: number): boolean => Math.abs(v - Math.floor(v) - 0.5) < 1e-4;
  const random = drawStream(position);
  const noise = noiseStream(position);
  for (let b = 0; b < indices.length; b++) {
    const { flip, angle, dy, dx } = drawImage(spec, random);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sy = y - dy;
        let sx = x - dx;
        let tie = false;
        if (angle !== 0) {
          const ry = sy - (h - 1) / 2;
          const rx = sx - (w - 1) / 2;
          const fy = Math.cos(angle) * ry - Math.sin(angle) * rx + (h - 1) / 2;
          const fx = Math.sin(angle) * ry + Math.cos(angle) * rx + (w - 1) / 2;
          tie = nearHalf(fy) || nearHalf(fx);
          sy = Math.round(fy);
          sx = Math.round(fx);
        }
        if (flip) sx = w - 1 - sx;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        for (let k = 0; k < c; k++) {
          const byte = inside ? image.images[((indices[b]! * h + sy) * w + sx) * c + k]! : 0;
          const at = ((b * h + y) * w + x) * c + k;
          values[at] = table[byte]!;
          if (tie) ties.add(at);
        }
      }
    }
    if (spec.noise > 0) {
      const from = b * h * w * c;
      noise.addTo(values, from, from + h * w * c, spec.noise / std);
    }
  }
  return { values, ties };
}
