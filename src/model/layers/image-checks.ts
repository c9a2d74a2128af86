import { formatShape, type Shape } from '../shape.js';
import type { ShapeIssue } from './layer-definition.js';
import type { ConvPadding } from './layer-args.js';

/** Layers over images need [batch, height, width, channels] (NHWC). */
export function checkImageInput(kind: string, shape: Shape): ShapeIssue | undefined {
  if (shape.length === 4) return undefined;
  const hint =
    shape.length === 3
      ? 'images need a channels dimension: e.g. model.input [28, 28, 1] instead of [28, 28]'
      : shape.length === 2
        ? 'set model.input to [height, width, channels] (e.g. [28, 28, 1]) or add a `reshape` layer before it'
        : 'only 2-D images in NHWC layout are supported';
  return {
    code: 'bad-input-rank',
    message: `${kind} expects a 4-D input [batch, height, width, channels], found ${formatShape(shape)}`,
    hint,
  };
}

/**
 * A window (kernel or pool) must fit in the input it slides over, padding
 * included; `same` padding always fits.
 */
export function checkWindowFits(
  kind: string,
  what: 'kernelSize' | 'poolSize',
  window: readonly [number, number],
  shape: Shape,
  padding: ConvPadding,
): ShapeIssue | undefined {
  if (padding === 'same') return undefined;
  const [height, width] = [shape[1], shape[2]];
  if (height === null || height === undefined || width === null || width === undefined) {
    return undefined;
  }
  const [padH, padW] = padding === 'valid' ? [0, 0] : padding;
  const [paddedH, paddedW] = [height + 2 * padH, width + 2 * padW];
  if (window[0] <= paddedH && window[1] <= paddedW) return undefined;
  const size = window[0] === window[1] ? String(window[0]) : `[${window[0]}, ${window[1]}]`;
  const input =
    padH === 0 && padW === 0
      ? `the input ${height}x${width}`
      : `the padded input ${paddedH}x${paddedW} (${height}x${width} plus padding)`;
  return {
    code: 'window-too-large',
    message: `${kind} ${what} ${size} is larger than ${input} from ${formatShape(shape)}`,
    hint: `use a smaller ${what}, ${kind === 'conv2d' || what === 'kernelSize' ? 'padding: same or more padding' : 'padding: same'}, or remove a pooling layer before it`,
  };
}
