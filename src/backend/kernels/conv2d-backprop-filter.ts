import type { KernelConfig, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientByConvolution } from './conv-filter-by-xnn.js';
import {
  IM2COL_FLOAT_BUDGET,
  imagesPerChunk,
  resolveConvGeometry,
  type ConvGeometry,
  type ConvGradientAttrs,
} from './conv-geometry.js';
import { convLoopsFor, type ConvLoops } from './conv-loops.js';
import { writePatchRows } from './im2col.js';
import { matMulWasm } from './wasm-matmul.js';
import { outerProductFits, outerProductInto } from './outer-product.js';
import { filterGradientBySingleChannelLoops } from './single-channel-filter-gradient.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

const KERNEL = 'Conv2DBackpropFilter';

interface Conv2DBackpropFilterAttrs extends ConvGradientAttrs {
  readonly filterShape: [number, number, number, number];
}

/**
 * How the filter gradient is computed: `im2col` (patches of x laid out
 * [K, P], times dy as [P, co] by a SIMD loop, or wasm's GEMM without it), `convolution` (one XNNPACK
 * convolution with batch and channels swapped), or `auto`, which picks by
 * shape from measurements (bench/conv-kernels.mjs).
 */
export type FilterGradientStrategy = 'auto' | 'im2col' | 'convolution';

export interface Conv2dBackpropFilterOptions {
  readonly strategy?: FilterGradientStrategy;
  /** Largest im2col buffer, in floats, before the batch is split (default 16M floats = 64 MB). */
  readonly im2colFloatBudget?: number;
  /**
   * im2col's copies by the wasm gather loop and the product by the wasm SIMD
   * loop `outer4x8` where they load (default true); false: JavaScript copies
   * and XNNPACK's GEMM.
   */
  readonly wasmLoops?: boolean;
  /** false: with wasmLoops, keeps the wasm gather but multiplies on XNNPACK's GEMM (default true). */
  readonly simdProduct?: boolean;
  /**
   * One input channel, stride 1 (a net's first layer) by the direct SIMD
   * loop of single-channel-filter-gradient.ts, before the strategy (default:
   * with `auto`; a strategy asked for runs alone, as tests and benchmarks want).
   */
  readonly singleChannel?: boolean;
}

/**
 * `auto`: im2col writes K x P floats (K = kh*kw*ci, P = output pixels); the
 * convolution form copies x and dy once, about (ci + co) x P floats, and
 * lets XNNPACK pack dy. Measured at batch 128 (bench/conv-kernels.mjs), with
 * im2col's copies in wasm, the convolution wins once K passes 8 (ci + co):
 * inception's 5x5 16->8 (K 400: 23.7 ms against 52), and loses below:
 * LeNet-5 conv2 (K 150 against 176: 2.7 ms against 2.9), resnet's 3x3 16->16
 * (24.8 against 28.1), the tutorial net's layers. Those figures predate the
 * SIMD product (outer4x8), which makes im2col cheaper: the rule is not re-measured.
 */
function chooseStrategy(
  g: ConvGeometry,
  strategy: FilterGradientStrategy,
): 'im2col' | 'convolution' {
  if (strategy !== 'auto') return strategy;
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  return K >= 8 * (g.inChannels + g.outChannels) ? 'convolution' : 'im2col';
}

/**
 * dW[kh, kw, ci, co] = sum over (n, oh, ow) of x[n, ih, iw, ci] * dy[n, oh, ow, co].
 * im2col form: one GEMM, patches of x laid out [K, P] times dy, which in NHWC
 * already is [P, co]; the product [K, co] is the gradient in the filter's own
 * layout, with no transpose anywhere. Batches whose [K, P] buffer would pass
 * the budget go in chunks, summed in float64.
 */
function filterGradientByIm2col(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  filterShape: [number, number, number, number],
  budget: number,
  loops: ConvLoops | null,
  simdProduct: boolean,
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const chunk = imagesPerChunk(K * g.outHeight * g.outWidth, g.batch, budget);
  if (chunk >= g.batch) {
    const product = chunkProduct(backend, x, dy, g, 0, g.batch, loops, simdProduct);
    return { dataId: product.dataId, shape: filterShape, dtype: 'float32' };
  }
  const sum = new Float64Array(K * CO);
  for (let first = 0; first < g.batch; first += chunk) {
    const part = chunkProduct(
      backend,
      x,
      dy,
      g,
      first,
      Math.min(chunk, g.batch - first),
      loops,
      simdProduct,
    );
    const partView = heapFloats(backend, part, KERNEL);
    for (let i = 0; i < sum.length; i++) sum[i]! += partView[i]!;
    backend.disposeData(part.dataId);
  }
  const dw = backend.makeOutput(filterShape, 'float32');
  heapFloats(backend, dw, KERNEL).set(sum);
  return dw;
}

/** cols([K, P]) x dy([P, co]) for images [first, first + count), as a new [K, co] tensor. */
function chunkProduct(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
  first: number,
  count: number,
  loops: ConvLoops | null,
  simdProduct: boolean,
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const P = count * g.outHeight * g.outWidth;
  // Room for whole blocks of four rows: the SIMD product reads them (and drops their sums).
  const cols = backend.makeOutput([Math.ceil(K / 4) * 4, P], 'float32');
  // dy's rows for these images are contiguous; the whole batch uses dy in place.
  const wholeBatch = count === g.batch;
  const dyRows = wholeBatch ? dy : backend.makeOutput([P, CO], 'float32');
  if (!wholeBatch) {
    const start = first * g.outHeight * g.outWidth * CO;
    heapFloats(backend, dyRows, KERNEL).set(
      heapFloats(backend, dy, KERNEL).subarray(start, start + P * CO),
    );
  }
  const colsView = heapFloats(backend, cols, KERNEL);
  writePatchRows(heapFloats(backend, x, KERNEL), g, first, count, colsView, loops?.gather ?? null);
  const dyView = heapFloats(backend, dyRows, KERNEL);
  // The SIMD product reads up to 8 floats past dy's last row: only where the memory has them.
  const product =
    loops !== null &&
    simdProduct &&
    outerProductFits(dyView.buffer.byteLength, colsView.byteOffset, dyView.byteOffset, K, P, CO)
      ? productByOuterLoops(backend, loops, colsView.byteOffset, dyView.byteOffset, K, P, CO)
      : matMulWasm(backend, cols, dyRows, K, P, CO);
  backend.disposeData(cols.dataId);
  if (!wholeBatch) backend.disposeData(dyRows.dataId);
  return product;
}

/**
 * cols [K, P] x dy [P, co] (at byte addresses colsAt, dyAt) by the SIMD
 * outer loops (outer-product.ts), straight from the tensors: XNNPACK's GEMM
 * would first pack dy (a fresh [P, co] every step) and pad co to 8 columns,
 * which costs more than the product itself for the small co of first layers
 * (measured 5.9 against 0.45 ms for the tutorial net's first layer at batch
 * 64, and faster on every layer of configs/). The same values bit for bit.
 */
function productByOuterLoops(
  backend: BackendWasm,
  loops: ConvLoops,
  colsAt: number,
  dyAt: number,
  K: number,
  P: number,
  CO: number,
): TensorInfo {
  // Addresses, not views: an allocation may grow the memory and detach earlier views.
  const product = backend.makeOutput([K, CO], 'float32');
  const sums = backend.makeOutput([32], 'float32');
  const sumsView = heapFloats(backend, sums, KERNEL);
  outerProductInto(loops, sumsView, colsAt, dyAt, K, P, CO, heapFloats(backend, product, KERNEL));
  backend.disposeData(sums.dataId);
  return product;
}

/**
 * Builds the wasm `Conv2DBackpropFilter` kernel (wasm has none). Options exist
 * for tests and benchmarks; the runner uses {@link conv2dBackpropFilterConfig}.
 *
 * @example
 * tf.registerKernel(makeConv2dBackpropFilterConfig({ strategy: 'im2col' }));
 */
export function makeConv2dBackpropFilterConfig(
  options: Conv2dBackpropFilterOptions = {},
): KernelConfig {
  const strategy = options.strategy ?? 'auto';
  const budget = options.im2colFloatBudget ?? IM2COL_FLOAT_BUDGET;
  const wasmLoops = options.wasmLoops ?? true;
  const simdProduct = options.simdProduct ?? true;
  const singleChannel = options.singleChannel ?? strategy === 'auto';
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const backend = wasmBackendOf(args);
    const x = inputOf(args, 'x', KERNEL);
    const dy = inputOf(args, 'dy', KERNEL);
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    const g = resolveConvGeometry(KERNEL, x.shape, attrs.filterShape, attrs, false);
    const direct = singleChannel
      ? filterGradientBySingleChannelLoops(backend, x, dy, g, attrs.filterShape)
      : undefined;
    if (direct !== undefined) return direct;
    return chooseStrategy(g, strategy) === 'convolution'
      ? filterGradientByConvolution(backend, x, dy, g)
      : filterGradientByIm2col(
          backend,
          x,
          dy,
          g,
          attrs.filterShape,
          budget,
          wasmLoops ? convLoopsFor(backend) : null,
          simdProduct,
        );
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc };
}

/** `Conv2DBackpropFilter` for the wasm backend, strategy chosen by shape. */
export const conv2dBackpropFilterConfig: KernelConfig = makeConv2dBackpropFilterConfig();
