import sharp from 'sharp';

/**
 * One example's uint8 pixels (height x width x channels, row-major) as a PNG
 * data URL, for the dashboard's grid of misclassified images.
 *
 * @example
 * const url = await encodePngDataUrl(split.images.subarray(0, 784), 28, 28, 1);
 */
export async function encodePngDataUrl(
  pixels: Uint8Array,
  height: number,
  width: number,
  channels: number,
): Promise<string> {
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
  })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
