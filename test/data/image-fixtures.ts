import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** A real image file: `pixels` (height x width x channels uint8) encoded by sharp as PNG, JPEG, WebP... */
export async function writeImage(
  path: string,
  pixels: Uint8Array,
  shape: readonly [number, number, 1 | 3 | 4],
  format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' = 'png',
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const [height, width, channels] = shape;
  const raw = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  // sharp writes raw single-channel input as RGB unless told the colour space.
  const image = channels === 1 ? raw.toColourspace('b-w') : raw;
  const encoded =
    format === 'jpeg'
      ? image.jpeg({ quality: 95 })
      : format === 'webp'
        ? image.webp({ lossless: true })
        : format === 'tiff'
          ? image.tiff()
          : format === 'gif'
            ? image.gif()
            : image.png();
  writeFileSync(path, await encoded.toBuffer());
}

/**
 * A learnable class picture: class c is bright in horizontal band c of `classes`
 * bands, dark elsewhere, with per-file noise from `seed`.
 */
export function classPicture(
  classIndex: number,
  classes: number,
  shape: readonly [number, number, 1 | 3 | 4],
  seed: number,
): Uint8Array {
  const [height, width, channels] = shape;
  const out = new Uint8Array(height * width * channels);
  let state = (seed * 2654435761) >>> 0;
  const noise = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 24) % 40;
  };
  for (let y = 0; y < height; y++) {
    const band = Math.floor((y * classes) / height);
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const base = band === classIndex ? 200 : 20;
        out[(y * width + x) * channels + c] = c === 3 ? 255 : base + noise();
      }
    }
  }
  return out;
}

/** Writes `perClass` images per class under `dir/<class>/NNN.<ext>`. */
export async function writeImageFolder(
  dir: string,
  classes: readonly string[],
  perClass: number,
  shape: readonly [number, number, 1 | 3 | 4],
  format: 'png' | 'jpeg' = 'png',
  seedBase = 0,
): Promise<void> {
  for (const [c, name] of classes.entries()) {
    for (let i = 0; i < perClass; i++) {
      const file = join(
        dir,
        name,
        `${String(i).padStart(3, '0')}.${format === 'jpeg' ? 'jpg' : 'png'}`,
      );
      await writeImage(
        file,
        classPicture(c, classes.length, shape, seedBase + c * 1000 + i),
        shape,
        format,
      );
    }
  }
}
