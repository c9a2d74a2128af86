import type { KernelConfig, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fullConvolutionPadding, inputGradientByConvolution } from './conv-input-by-xnn.js';
import {
  IM2COL_FLOAT_BUDGET,
  imagesPerChunk,
  resolveConvGeometry,
  type ConvGeometry,
  type ConvGradientAttrs,
} from './conv-geometry.js';
import { addPatchRowsToImage } from './im2col.js';
import { convLoopsFor, type RowAdd } from './conv-loops.js';
import { matMulWasm } from './wasm-matmul.js';
import { heapFloats, inputOf, wasmBackendOf, type WasmKernelArgs } from './wasm-tensors.js';

const KERNEL = 'Conv2DBackpropInput';

interface Conv2DBackpropInputAttrs extends ConvGradientAttrs {
  readonly inputShape: [number, number, number, number];
}

/**
 * How the input gradient is computed: `col2im` (dy x W^T on wasm's GEMM,
 * scatter-added into the image), `convolution` (one XNNPACK convolution of
 * dy with the rotated filter; stride 1 only, other shapes use col2im), or
 * `auto`, chosen by {@link convolutionPays}.
 */
export type InputGradientStrategy = 'auto' | 'col2im' | 'convolution';

export interface Conv2dBackpropInputOptions {
  readonly strategy?: InputGradientStrategy;
  /** Largest [P, K] buffer, in floats, before the batch is split (default 16M floats = 64 MB). */
  readonly im2colFloatBudget?: number;
  /** col2im's scatter-add on the SIMD row function where channels allow (default true). */
  readonly simd?: boolean;
  /**
   * col2im's SIMD scatter adds a patch's whole row of taps per call where they
   * all fall inside the image (default true; false: one call per tap, as before).
   */
  readonly wideRows?: boolean;
}

/**
 * dx = col2im(dy x W^T): dy in NHWC is [P, co]; the filter [K, co] is
 * transposed once to [co, K] (it is tiny), so the GEMM needs no transpose
 * flag; its [P, K] rows are then scatter-added into the image. Batches whose
 * [P, K] buffer would pass the budget go in chunks.
 */
function inputGradientByCol2im(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  inputShape: [number, number, number, number],
  budget: number,
  rowAdd: RowAdd | null,
  wideRows: boolean,
): TensorInfo {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const CO = g.outChannels;
  const pixelsPerImage = g.outHeight * g.outWidth;

  const filterT = backend.makeOutput([CO, K], 'float32');
  transposeInto(heapFloats(backend, filter, KERNEL), K, CO, heapFloats(backend, filterT, KERNEL));
  const dx = backend.makeOutput([...inputShape], 'float32');
  heapFloats(backend, dx, KERNEL).fill(0);

  const chunk = imagesPerChunk(K * pixelsPerImage, g.batch, budget);
  for (let first = 0; first < g.batch; first += chunk) {
    const count = Math.min(chunk, g.batch - first);
    const P = count * pixelsPerImage;
    const wholeBatch = count === g.batch;
    const dyRows = wholeBatch ? dy : backend.makeOutput([P, CO], 'float32');
    if (!wholeBatch) {
      const start = first * pixelsPerImage * CO;
      heapFloats(backend, dyRows, KERNEL).set(
        heapFloats(backend, dy, KERNEL).subarray(start, start + P * CO),
      );
    }
    const cols = matMulWasm(backend, dyRows, filterT, P, CO, K);
    if (!wholeBatch) backend.disposeData(dyRows.dataId);
    addPatchRowsToImage(
      heapFloats(backend, cols, KERNEL),
      g,
      first,
      count,
      heapFloats(backend, dx, KERNEL),
      rowAdd,
      wideRows,
    );
    backend.disposeData(cols.dataId);
  }
  backend.disposeData(filterT.dataId);
  return dx;
}

/** out[c, r] = a[r, c] for row-major a [rows, columns]. */
function transposeInto(a: Float32Array, rows: number, columns: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = a[r * columns + c]!;
  }
}

/**
 * `auto`'s choice for stride 1 (for larger strides, spreading dy with zeros
 * and convolving measured slower than col2im). The convolution computes the
 * whole padded image, `inHeight x inWidth` outputs per `outHeight x outWidth`
 * useful ones, and XNNPACK fills its 8-wide output tiles only with 8 or more
 * input channels. Measured at batch 128 (bench/conv-kernels.mjs), col2im
 * with its SIMD scatter wins on LeNet-5 conv2 (valid 14 -> 10, 6 channels:
 * 3.3 ms against 4.2) and the tutorial net's layers (mycnn conv3, valid
 * 9 -> 7: 1.9 against 2.4); the convolution on same-padded layers with 16
 * channels (resnet 3x3: 12.1 against 20.9; inception 5x5: 16.9 against 40.9).
 * Without the SIMD scatter, col2im in JS loses nearly everywhere.
 */
function convolutionPays(g: ConvGeometry, simdScatter: boolean): boolean {
  if (!simdScatter) return true;
  const wasted = (g.inHeight * g.inWidth) / (g.outHeight * g.outWidth);
  return g.inChannels >= 8 && wasted <= 1.5;
}

/**
 * Builds the wasm `Conv2DBackpropInput` kernel, which replaces wasm's own (a
 * naive loop). Options exist for tests and benchmarks; the runner uses
 * {@link conv2dBackpropInputConfig}.
 *
 * @example
 * tf.registerKernel(makeConv2dBackpropInputConfig({ strategy: 'col2im' }));
 */
export function makeConv2dBackpropInputConfig(
  options: Conv2dBackpropInputOptions = {},
): KernelConfig {
  const strategy = options.strategy ?? 'auto';
  const budget = options.im2colFloatBudget ?? IM2COL_FLOAT_BUDGET;
  const simd = options.simd ?? true;
  const wideRows = options.wideRows ?? true;
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const backend = wasmBackendOf(args);
    const dy = inputOf(args, 'dy', KERNEL);
    const filter = inputOf(args, 'filter', KERNEL);
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const g = resolveConvGeometry(KERNEL, attrs.inputShape, filter.shape, attrs, false);
    const rowAdd = simd ? (convLoopsFor(backend)?.rowAdd ?? null) : null;
    const unitStride = g.strideHeight === 1 && g.strideWidth === 1;
    const wanted =
      strategy === 'convolution' || (strategy === 'auto' && convolutionPays(g, rowAdd !== null));
    const fullPad = wanted && unitStride ? fullConvolutionPadding(g) : undefined;
    return fullPad !== undefined
      ? inputGradientByConvolution(backend, dy, filter, g, fullPad)
      : inputGradientByCol2im(backend, dy, filter, g, attrs.inputShape, budget, rowAdd, wideRows);
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc };
}

/** `Conv2DBackpropInput` for the wasm backend, strategy chosen by shape. */
export const conv2dBackpropInputConfig: KernelConfig = makeConv2dBackpropInputConfig();
