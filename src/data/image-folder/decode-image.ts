import sharp, { type Metadata, type OutputInfo } from 'sharp';

/** What the header of an image file says, before decoding the pixels. */
export interface ImageHeader {
  readonly height: number;
  readonly width: number;
  /** Colour channels, alpha not counted: 1 (grey) or 3. */
  readonly colours: number;
}

/** The target of decoding: every image comes out at this size and channel count. */
export interface DecodeTarget {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  /** Resize to height x width (fill, no crop); false: an image of another size is an error. */
  readonly resize: boolean;
}

/** Why a file could not be used: a short reason for a one-line message. */
export class BadImage extends Error {}

/**
 * Reads only the header (size after EXIF orientation, colour channels).
 * A file sharp cannot read at all throws BadImage.
 */
export async function readImageHeader(path: string): Promise<ImageHeader> {
  let meta: Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (error) {
    throw new BadImage(reasonOf(error));
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!(width > 0 && height > 0)) throw new BadImage('the image has no size');
  const channels = meta.channels ?? 0;
  const colours = channels - (meta.hasAlpha ? 1 : 0);
  return { height, width, colours: colours <= 1 ? 1 : 3 };
}

/**
 * Decodes one file into `out` (height x width x channels uint8, row-major):
 * EXIF orientation applied, alpha flattened onto black for 1 and 3 channels,
 * grey converted to RGB or RGB to grey (luminance) as the target says.
 * Any failure, or a size that differs without `resize`, throws BadImage.
 */
export async function decodeImageInto(
  path: string,
  target: DecodeTarget,
  out: Uint8Array,
): Promise<void> {
  let pipeline = sharp(path, { failOn: 'error' }).autoOrient();
  if (target.resize) pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
  if (target.channels === 4) pipeline = pipeline.toColourspace('srgb').ensureAlpha();
  else {
    pipeline = pipeline.flatten({ background: '#000000' });
    pipeline = target.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new BadImage(reasonOf(error));
  }
  const { info, data } = decoded;
  if (info.width !== target.width || info.height !== target.height) {
    throw new BadImage(
      `the image is ${info.height}x${info.width} (height x width), the others ${target.height}x${target.width}`,
    );
  }
  if (info.channels !== target.channels) {
    throw new BadImage(`decoded to ${info.channels} channels, expected ${target.channels}`);
  }
  out.set(data);
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // sharp's messages can span lines (libvips adds its own); keep the first.
  const first = message.split('\n')[0]!.trim();
  if (/unsupported image format/i.test(first)) return 'not an image sharp can decode';
  return first === '' ? 'cannot decode' : first;
}
