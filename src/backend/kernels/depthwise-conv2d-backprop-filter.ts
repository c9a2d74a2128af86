import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { resolveConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
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
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < g.filterHeight; kh++) {
        const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const dyBase = ((n * OH + oh) * OW + ow) * CM;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((n * H + ih) * W + iw) * C;
            const wBase = (kh * g.filterWidth + kw) * CM;
            if (M === 1) {
              for (let ci = 0; ci < C; ci++)
                sum[wBase + ci]! += xs[xBase + ci]! * dys[dyBase + ci]!;
            } else {
              for (let ci = 0; ci < C; ci++) {
                const xv = xs[xBase + ci]!;
                const o = ci * M;
                for (let m = 0; m < M; m++) sum[wBase + o + m]! += xv * dys[dyBase + o + m]!;
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
