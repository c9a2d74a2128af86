import type { KernelConfig, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fullConvolutionPadding } from './conv-input-by-xnn.js';
import { resolveConvGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { convWasm } from './wasm-conv.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

const KERNEL = 'DepthwiseConv2dNativeBackpropInput';

interface DepthwiseBackpropInputAttrs extends ConvGradientAttrs {
  readonly inputShape: [number, number, number, number];
}

/**
 * How the input gradient is computed: `loop` (a direct scatter in JS),
 * `convolution` (XNNPACK's depthwise convolution of dy with the rotated
 * filter, then a sum over the channel multiplier; stride 1 only, other
 * shapes use the loop), or `auto` (the convolution wherever it applies).
 */
export type DepthwiseInputGradientStrategy = 'auto' | 'loop' | 'convolution';

/**
 * dx[n, ih, iw, ci] = sum over (kh, kw, m) of W[kh, kw, ci, m] * dy[n, oh, ow, ci*M + m],
 * scattered from each output pixel into the input pixels it read, with the
 * channel run innermost (contiguous in NHWC).
 */
function inputGradientByLoop(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: [number, number, number, number],
): TensorInfo {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: CM,
  } = g;
  const M = CM / C;

  const dx = backend.makeOutput([...inputShape], 'float32');
  const dxs = heapFloats(backend, dx, KERNEL);
  dxs.fill(0);
  const ws = heapFloats(backend, filter, KERNEL);
  const dys = heapFloats(backend, dy, KERNEL);
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

/**
 * The stride-1 input gradient as XNNPACK's depthwise convolution: dy (C*M
 * channels) with the filter rotated by 180 degrees, padded to x's size (the
 * "full" convolution), then, for a multiplier M > 1, the M outputs of each
 * input channel summed.
 */
function inputGradientByConvolution(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  pad: { top: number; bottom: number; left: number; right: number },
): TensorInfo {
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outChannels: CM } = g;
  const M = CM / C;
  const KH = g.filterHeight;
  const KW = g.filterWidth;
  const rotated = backend.makeOutput([KH, KW, CM, 1], 'float32');
  const ws = heapFloats(backend, filter, KERNEL);
  const rs = heapFloats(backend, rotated, KERNEL);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const from = (kh * KW + kw) * CM;
      const to = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CM;
      rs.set(ws.subarray(from, from + CM), to);
    }
  }
  const spread = convWasm(backend, dy, rotated, {
    batch: N,
    inHeight: g.outHeight,
    inWidth: g.outWidth,
    inChannels: CM,
    filterHeight: KH,
    filterWidth: KW,
    outChannels: CM,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: g.dilationHeight,
    dilationWidth: g.dilationWidth,
    padTop: pad.top,
    padBottom: pad.bottom,
    padLeft: pad.left,
    padRight: pad.right,
    depthwise: true,
  });
  backend.disposeData(rotated.dataId);
  if (M === 1) return spread;
  const dx = backend.makeOutput([N, H, W, C], 'float32');
  const ss = heapFloats(backend, spread, KERNEL);
  const dxs = heapFloats(backend, dx, KERNEL);
  for (let i = 0, o = 0; i < dxs.length; i++) {
    let sum = 0;
    for (let m = 0; m < M; m++) sum += ss[o++]!;
    dxs[i] = sum;
  }
  backend.disposeData(spread.dataId);
  return dx;
}

/**
 * Builds the wasm `DepthwiseConv2dNativeBackpropInput` kernel (wasm has
 * none). Options exist for tests and benchmarks; the runner uses
 * {@link depthwiseConv2dNativeBackpropInputConfig}.
 */
export function makeDepthwiseConv2dNativeBackpropInputConfig(
  options: { readonly strategy?: DepthwiseInputGradientStrategy } = {},
): KernelConfig {
  const strategy = options.strategy ?? 'auto';
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const backend = wasmBackendOf(args);
    const dy = inputOf(args, 'dy', KERNEL);
    const filter = inputOf(args, 'filter', KERNEL);
    const attrs = args.attrs as unknown as DepthwiseBackpropInputAttrs;
    const g = resolveConvGeometry(KERNEL, attrs.inputShape, filter.shape, attrs, true);
    const unitStride = g.strideHeight === 1 && g.strideWidth === 1;
    const fullPad = strategy !== 'loop' && unitStride ? fullConvolutionPadding(g) : undefined;
    return fullPad !== undefined
      ? inputGradientByConvolution(backend, dy, filter, g, fullPad)
      : inputGradientByLoop(backend, dy, filter, g, attrs.inputShape);
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc };
}

/** `DepthwiseConv2dNativeBackpropInput` for the wasm backend (wasm has none). */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig =
  makeDepthwiseConv2dNativeBackpropInputConfig();
