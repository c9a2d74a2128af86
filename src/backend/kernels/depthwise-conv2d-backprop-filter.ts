import type { KernelConfig, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { resolveConvGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { validOutputRange } from './im2col.js';
import { convLoopsFor, type RowDot } from './conv-loops.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

const KERNEL = 'DepthwiseConv2dNativeBackpropFilter';

interface DepthwiseBackpropFilterAttrs extends ConvGradientAttrs {
  readonly filterShape: [number, number, number, number];
}

/**
 * How the filter gradient is computed: `loop` (plain JS), `simd` (the inner
 * loop as a 128-bit SIMD WebAssembly function on wasm's memory; multiplier 1
 * and channels a multiple of 4, other shapes use the loop), or `auto` (simd
 * wherever it applies: 16.4 -> about 2 ms at 128x14x14x32, 3x3).
 */
export type DepthwiseFilterGradientStrategy = 'auto' | 'loop' | 'simd';

/** Valid output row and column ranges of every filter tap, hoisted out of the loops. */
function tapRanges(g: ConvGeometry): {
  rows: Array<[number, number]>;
  cols: Array<[number, number]>;
} {
  const rows: Array<[number, number]> = [];
  for (let kh = 0; kh < g.filterHeight; kh++) {
    rows.push(
      validOutputRange(kh, g.strideHeight, g.dilationHeight, g.padTop, g.inHeight, g.outHeight),
    );
  }
  const cols: Array<[number, number]> = [];
  for (let kw = 0; kw < g.filterWidth; kw++) {
    cols.push(
      validOutputRange(kw, g.strideWidth, g.dilationWidth, g.padLeft, g.inWidth, g.outWidth),
    );
  }
  return { rows, cols };
}

/**
 * dW[kh, kw, ci, m] = sum over (n, oh, ow) of x[n, ih, iw, ci] * dy[n, oh, ow, ci*M + m].
 * Each channel only meets itself, so there is no GEMM to hand this to; a
 * direct loop, one image at a time (its x and dy stay in cache), every tap
 * over its valid output range, the channel run innermost (contiguous in
 * NHWC). Sums run in float64: they span the whole batch.
 */
function filterGradientByLoop(
  x: Float32Array,
  dy: Float32Array,
  g: ConvGeometry,
  sum: Float64Array,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: CM,
  } = g;
  const M = CM / C;
  const KW = g.filterWidth;
  const { rows, cols } = tapRanges(g);
  for (let n = 0; n < g.batch; n++) {
    for (let kh = 0; kh < g.filterHeight; kh++) {
      const [ohLo, ohHi] = rows[kh]!;
      for (let kw = 0; kw < KW; kw++) {
        const [owLo, owHi] = cols[kw]!;
        if (owLo >= owHi) continue;
        const wBase = (kh * KW + kw) * CM;
        const iw0 = owLo * g.strideWidth - g.padLeft + kw * g.dilationWidth;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          let xi = ((n * H + ih) * W + iw0) * C;
          let di = ((n * OH + oh) * OW + owLo) * CM;
          for (let ow = owLo; ow < owHi; ow++, xi += g.strideWidth * C, di += CM) {
            if (M === 1) {
              for (let ci = 0; ci < C; ci++) sum[wBase + ci]! += x[xi + ci]! * dy[di + ci]!;
            } else {
              for (let ci = 0; ci < C; ci++) {
                const xv = x[xi + ci]!;
                const o = ci * M;
                for (let m = 0; m < M; m++) sum[wBase + o + m]! += xv * dy[di + o + m]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The same sums with {@link RowDot} doing each row of a tap (multiplier 1,
 * channels a multiple of 4): float32 sums within one image in a scratch
 * tensor on the wasm heap, folded into the float64 total after each image.
 */
function filterGradientBySimd(
  backend: BackendWasm,
  rowDot: RowDot,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  sum: Float64Array,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const KW = g.filterWidth;
  const scratch = backend.makeOutput([sum.length], 'float32');
  const acc = heapFloats(backend, scratch, KERNEL);
  const accAt = acc.byteOffset;
  const xAt = heapFloats(backend, x, KERNEL).byteOffset;
  const dyAt = heapFloats(backend, dy, KERNEL).byteOffset;
  const { rows, cols } = tapRanges(g);
  const xStep = g.strideWidth * C * 4;
  for (let n = 0; n < g.batch; n++) {
    acc.fill(0);
    for (let kh = 0; kh < g.filterHeight; kh++) {
      const [ohLo, ohHi] = rows[kh]!;
      for (let kw = 0; kw < KW; kw++) {
        const [owLo, owHi] = cols[kw]!;
        if (owLo >= owHi) continue;
        const tapAt = accAt + (kh * KW + kw) * C * 4;
        const iw0 = owLo * g.strideWidth - g.padLeft + kw * g.dilationWidth;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          const xi = ((n * H + ih) * W + iw0) * C;
          const di = ((n * OH + oh) * OW + owLo) * C;
          rowDot(tapAt, xAt + xi * 4, xStep, dyAt + di * 4, C * 4, owHi - owLo, C / 4);
        }
      }
    }
    for (let i = 0; i < sum.length; i++) sum[i]! += acc[i]!;
  }
  backend.disposeData(scratch.dataId);
}

/**
 * Builds the wasm `DepthwiseConv2dNativeBackpropFilter` kernel (wasm has
 * none). Options exist for tests and benchmarks; the runner uses
 * {@link depthwiseConv2dNativeBackpropFilterConfig}.
 */
export function makeDepthwiseConv2dNativeBackpropFilterConfig(
  options: { readonly strategy?: DepthwiseFilterGradientStrategy } = {},
): KernelConfig {
  const strategy = options.strategy ?? 'auto';
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const backend = wasmBackendOf(args);
    const x = inputOf(args, 'x', KERNEL);
    const dy = inputOf(args, 'dy', KERNEL);
    const attrs = args.attrs as unknown as DepthwiseBackpropFilterAttrs;
    const g = resolveConvGeometry(KERNEL, x.shape, attrs.filterShape, attrs, true);
    const sum = new Float64Array(g.filterHeight * g.filterWidth * g.outChannels);
    const simdFits = g.outChannels === g.inChannels && g.inChannels % 4 === 0;
    const rowDot = strategy !== 'loop' && simdFits ? (convLoopsFor(backend)?.rowDot ?? null) : null;
    if (rowDot !== null) {
      filterGradientBySimd(backend, rowDot, x, dy, g, sum);
    } else {
      filterGradientByLoop(heapFloats(backend, x, KERNEL), heapFloats(backend, dy, KERNEL), g, sum);
    }
    const dw = backend.makeOutput([...attrs.filterShape], 'float32');
    heapFloats(backend, dw, KERNEL).set(sum);
    return dw;
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc };
}

/** `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (wasm has none). */
export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig =
  makeDepthwiseConv2dNativeBackpropFilterConfig();
