import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { resolveConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { validOutputRange } from './im2col.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

interface DepthwiseBackpropFilterAttrs extends ConvGradientAttrs {
  readonly filterShape: [number, number, number, number];
}

/**
 * dW[kh, kw, ci, m] = sum over (n, oh, ow) of x[n, ih, iw, ci] * dy[n, oh, ow, ci*M + m].
 * Each channel only meets itself, so there is no GEMM to hand this to; a
 * direct loop with the channel run innermost (contiguous in NHWC) costs the
 * same multiply-adds as the forward pass. Sums run in float64: they span the
 * whole batch.
 */
function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const x = inputOf(args, 'x', 'DepthwiseConv2dNativeBackpropFilter');
  const dy = inputOf(args, 'dy', 'DepthwiseConv2dNativeBackpropFilter');
  const attrs = args.attrs as unknown as DepthwiseBackpropFilterAttrs;
  const g = resolveConvGeometry(
    'DepthwiseConv2dNativeBackpropFilter',
    x.shape,
    attrs.filterShape,
    attrs,
    true,
  );
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: CM,
  } = g;
  const M = CM / C;
  const sum = new Float64Array(g.filterHeight * g.filterWidth * CM);

  const dw = backend.makeOutput([...attrs.filterShape], 'float32');
  const xs = heapFloats(backend, x, 'DepthwiseConv2dNativeBackpropFilter');
  const dys = heapFloats(backend, dy, 'DepthwiseConv2dNativeBackpropFilter');
  const KW = g.filterWidth;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const rowRanges: Array<[number, number]> = [];
  for (let kh = 0; kh < g.filterHeight; kh++) {
    rowRanges.push(validOutputRange(kh, sh, g.dilationHeight, g.padTop, H, OH));
  }
  const colRanges: Array<[number, number]> = [];
  for (let kw = 0; kw < KW; kw++)
    colRanges.push(validOutputRange(kw, sw, g.dilationWidth, g.padLeft, W, OW));
  // One image at a time (its x and dy stay in cache), every tap over its valid
  // output range: no bounds tests in the inner loops.
  for (let n = 0; n < g.batch; n++) {
    for (let kh = 0; kh < g.filterHeight; kh++) {
      const [ohLo, ohHi] = rowRanges[kh]!;
      for (let kw = 0; kw < KW; kw++) {
        const [owLo, owHi] = colRanges[kw]!;
        if (owLo >= owHi) continue;
        const wBase = (kh * KW + kw) * CM;
        const iw0 = owLo * sw - g.padLeft + kw * g.dilationWidth;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const ih = oh * sh - g.padTop + kh * g.dilationHeight;
          let xi = ((n * H + ih) * W + iw0) * C;
          let di = ((n * OH + oh) * OW + owLo) * CM;
          for (let ow = owLo; ow < owHi; ow++, xi += sw * C, di += CM) {
            if (M === 1) {
              for (let ci = 0; ci < C; ci++) sum[wBase + ci]! += xs[xi + ci]! * dys[di + ci]!;
            } else {
              for (let ci = 0; ci < C; ci++) {
                const xv = xs[xi + ci]!;
                const o = ci * M;
                for (let m = 0; m < M; m++) sum[wBase + o + m]! += xv * dys[di + o + m]!;
              }
            }
          }
        }
      }
    }
  }
  heapFloats(backend, dw, 'DepthwiseConv2dNativeBackpropFilter').set(sum);
  return dw;
}

/** `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (wasm has none). */
export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
