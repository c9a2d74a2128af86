import type { TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import { wasmDataId, wasmFunction } from './wasm-tensors.js';

/** Geometry of one XNNPACK convolution, with explicit non-negative padding. */
export interface XnnConvSpec {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Output channels; for a depthwise convolution, equal to `inChannels`. */
  readonly outChannels: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly depthwise: boolean;
}

type NativeConv = (...args: unknown[]) => void;
const nativeConvs = new WeakMap<BackendWasm, { dense: NativeConv; depthwise: NativeConv }>();

function nativeConv(backend: BackendWasm, depthwise: boolean): NativeConv {
  let fns = nativeConvs.get(backend);
  if (fns === undefined) {
    // x_id, batch, in_h, in_w, filter_id, f_h, f_w, pad t/r/b/l, is_same_pad,
    // dilation h/w, stride h/w, in_channels, out_channels, out_id
    const argTypes = new Array<string>(19).fill('number');
    fns = {
      dense: wasmFunction(backend, 'Conv2D', argTypes),
      depthwise: wasmFunction(backend, 'DepthwiseConv2dNative', argTypes),
    };
    nativeConvs.set(backend, fns);
  }
  return depthwise ? fns.depthwise : fns.dense;
}

/** Output size along one axis of a convolution with explicit padding. */
export function convOutputSize(
  inSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
): number {
  return Math.floor((inSize + padBefore + padAfter - dilation * (filterSize - 1) - 1) / stride) + 1;
}

/**
 * A forward NHWC convolution by the C function behind wasm's `Conv2D` (or
 * `DepthwiseConv2dNative`) kernel: XNNPACK's convolution, which packs the
 * filter and multiplies without an im2col copy. Called directly, not through
 * the kernel registry or the engine. The filter is `[fh, fw, inChannels,
 * outChannels]` (depthwise: `[fh, fw, inChannels, 1]`). XNNPACK caches the
 * operator by filter id and frees it when the filter tensor is disposed.
 * The caller owns the returned tensor.
 */
export function convWasm(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  s: XnnConvSpec,
): TensorInfo {
  if (Math.min(s.padTop, s.padBottom, s.padLeft, s.padRight) < 0) {
    throw new InternalError(
      `wasm convolution: negative padding ${s.padTop},${s.padRight},${s.padBottom},${s.padLeft}`,
    );
  }
  const outHeight = convOutputSize(
    s.inHeight,
    s.filterHeight,
    s.strideHeight,
    s.dilationHeight,
    s.padTop,
    s.padBottom,
  );
  const outWidth = convOutputSize(
    s.inWidth,
    s.filterWidth,
    s.strideWidth,
    s.dilationWidth,
    s.padLeft,
    s.padRight,
  );
  const out = backend.makeOutput([s.batch, outHeight, outWidth, s.outChannels], 'float32');
  nativeConv(backend, s.depthwise)(
    wasmDataId(backend, x),
    s.batch,
    s.inHeight,
    s.inWidth,
    wasmDataId(backend, filter),
    s.filterHeight,
    s.filterWidth,
    s.padTop,
    s.padRight,
    s.padBottom,
    s.padLeft,
    0,
    s.dilationHeight,
    s.dilationWidth,
    s.strideHeight,
    s.strideWidth,
    s.inChannels,
    s.outChannels,
    wasmDataId(backend, out),
  );
  return out;
}
