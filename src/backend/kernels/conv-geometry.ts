import * as tf from '../../tf.js';
import { BackendError } from '../../errors.js';

/**
 * Everything a 2-D convolution gradient needs to know about its shapes, NHWC,
 * with the padding already resolved to top/left offsets (tfjs's `same`,
 * `valid`, a number, or explicit `[[0,0],[t,b],[l,r],[0,0]]` all end up here).
 */
export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Output channels of the convolution (for depthwise: inChannels * multiplier). */
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** The attributes tfjs passes to the conv gradient kernels that we read. */
export interface ConvGradientAttrs {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dilations?: [number, number] | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Resolves a conv gradient kernel's attributes into a {@link ConvGeometry}
 * with tfjs's own shape arithmetic, so padding matches the forward pass.
 *
 * @example
 * resolveConvGeometry('Conv2DBackpropFilter', [128, 28, 28, 1], [5, 5, 1, 6], { strides: 1, pad: 'same' }, false)
 */
export function resolveConvGeometry(
  kernelName: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvGradientAttrs,
  depthwise: boolean,
): ConvGeometry {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new BackendError(
      `${kernelName} on the wasm backend supports only NHWC (channelsLast) data, found ${attrs.dataFormat}`,
      { hint: 'use dataFormat: channelsLast for conv layers, or choose the cpu backend' },
    );
  }
  if (inputShape.length !== 4 || filterShape.length !== 4) {
    throw new BackendError(
      `${kernelName}: expected a rank-4 input and filter, found shapes [${inputShape.join(', ')}] and [${filterShape.join(', ')}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Largest im2col/col2im buffer, in floats (64 MB), before a batch is processed in chunks. */
export const IM2COL_FLOAT_BUDGET = 16 * 1024 * 1024;

/**
 * How many images of the batch to process at once so that an im2col buffer of
 * `floatsPerImage` floats per image stays under `limit` floats (at least one image).
 */
export function imagesPerChunk(floatsPerImage: number, batch: number, limit: number): number {
  return Math.max(1, Math.min(batch, Math.floor(limit / Math.max(1, floatsPerImage))));
}
