import { describe, expect, it } from 'vitest';
import type { AugmentSpec } from '../../src/config/experiment.js';
import { createBatchArrays } from '../../src/data/batch-arrays.js';
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
});
