import type { TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv-geometry.js';
import { convWasm } from './wasm-conv.js';
import { InternalError } from '../../errors.js';
import { heapFloats } from './wasm-tensors.js';

const KERNEL = 'Conv2DBackpropInput';

/** Padding of the "full" convolution that maps dy back onto x, or undefined if one would be negative. */
export function fullConvolutionPadding(
  g: ConvGeometry,
): { top: number; bottom: number; left: number; right: number } | undefined {
  // dy spread out by the stride (only stride 1 is convolved this way today)
  const upHeight = (g.outHeight - 1) * g.strideHeight + 1;
  const upWidth = (g.outWidth - 1) * g.strideWidth + 1;
  const top = (g.filterHeight - 1) * g.dilationHeight - g.padTop;
  const left = (g.filterWidth - 1) * g.dilationWidth - g.padLeft;
  const bottom = g.inHeight - upHeight + (g.filterHeight - 1) * g.dilationHeight - top;
  const right = g.inWidth - upWidth + (g.filterWidth - 1) * g.dilationWidth - left;
  return Math.min(top, bottom, left, right) < 0 ? undefined : { top, bottom, left, right };
}

/**
 * The input gradient of a stride-1 convolution as one forward XNNPACK
 * convolution: dy convolved with the filter rotated by 180 degrees, in/out
 * channels swapped, padded so that the output is x's size (the "full"
 * convolution). No im2col, no col2im. Callers check
 * {@link fullConvolutionPadding} first.
 */
export function inputGradientByConvolution(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  pad: { top: number; bottom: number; left: number; right: number },
): TensorInfo {
  const { batch: N, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW } = g;
  const KH = g.filterHeight;
  const KW = g.filterWidth;
  if (g.strideHeight !== 1 || g.strideWidth !== 1) {
    throw new InternalError(
      `${KERNEL}: the convolution form needs stride 1, found ${g.strideHeight}x${g.strideWidth}`,
    );
  }

  const rotated = backend.makeOutput([KH, KW, CO, CI], 'float32');
  const ws = heapFloats(backend, filter, KERNEL);
  const rs = heapFloats(backend, rotated, KERNEL);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const from = (kh * KW + kw) * CI * CO;
      const to = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CO * CI;
      for (let ci = 0; ci < CI; ci++) {
        for (let co = 0; co < CO; co++) rs[to + co * CI + ci] = ws[from + ci * CO + co]!;
      }
    }
  }

  const dx = convWasm(backend, dy, rotated, {
    batch: N,
    inHeight: OH,
    inWidth: OW,
    inChannels: CO,
    filterHeight: KH,
    filterWidth: KW,
    outChannels: CI,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: g.dilationHeight,
    dilationWidth: g.dilationWidth,
    padTop: pad.top,
    padBottom: pad.bottom,
    padLeft: pad.left,
    padRight: pad.right,
    depthwise: false,
  });
  backend.disposeData(rotated.dataId);
  return dx;
}
