import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { resolveConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

interface DepthwiseBackpropInputAttrs extends ConvGradientAttrs {
  readonly inputShape: [number, number, number, number];
}

/**
 * dx[n, ih, iw, ci] = sum over (kh, kw, m) of W[kh, kw, ci, m] * dy[n, oh, ow, ci*M + m],
 * scattered from each output pixel into the input pixels it read, with the
 * channel run innermost (contiguous in NHWC).
 */
function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const dy = inputOf(args, 'dy', 'DepthwiseConv2dNativeBackpropInput');
  const filter = inputOf(args, 'filter', 'DepthwiseConv2dNativeBackpropInput');
  const attrs = args.attrs as unknown as DepthwiseBackpropInputAttrs;
  const g = resolveConvGeometry(
    'DepthwiseConv2dNativeBackpropInput',
    attrs.inputShape,
    filter.shape,
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

  const dx = backend.makeOutput([...attrs.inputShape], 'float32');
  const dxs = heapFloats(backend, dx, 'DepthwiseConv2dNativeBackpropInput');
  dxs.fill(0);
  const ws = heapFloats(backend, filter, 'DepthwiseConv2dNativeBackpropInput');
  const dys = heapFloats(backend, dy, 'DepthwiseConv2dNativeBackpropInput');
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
                dxs[xBase + ci]! += ws[wBase + ci]! * dys[dyBase + ci]!;
            } else {
              for (let ci = 0; ci < C; ci++) {
                const o = ci * M;
                let acc = 0;
                for (let m = 0; m < M; m++) acc += ws[wBase + o + m]! * dys[dyBase + o + m]!;
                dxs[xBase + ci]! += acc;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

/** `DepthwiseConv2dNativeBackpropInput` for the wasm backend (wasm has none). */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
