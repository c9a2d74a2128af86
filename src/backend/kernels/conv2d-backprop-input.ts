import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
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
 * `auto`: the convolution for stride 1 (1.5-2x faster than col2im at batch
 * 128 on LeNet-5 and tutorial-net layers), col2im otherwise (for stride 2,
 * spreading dy with zeros and convolving measured slower than col2im).
 */
export type InputGradientStrategy = 'auto' | 'col2im' | 'convolution';

export interface Conv2dBackpropInputOptions {
  readonly strategy?: InputGradientStrategy;
  /** Largest [P, K] buffer, in floats, before the batch is split (default 16M floats = 64 MB). */
  readonly im2colFloatBudget?: number;
  /** col2im's scatter-add on the SIMD row function where channels allow (default true). */
  readonly simd?: boolean;
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
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const backend = wasmBackendOf(args);
    const dy = inputOf(args, 'dy', KERNEL);
    const filter = inputOf(args, 'filter', KERNEL);
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const g = resolveConvGeometry(KERNEL, attrs.inputShape, filter.shape, attrs, false);
    const unitStride = g.strideHeight === 1 && g.strideWidth === 1;
    const fullPad = strategy !== 'col2im' && unitStride ? fullConvolutionPadding(g) : undefined;
    return fullPad !== undefined
      ? inputGradientByConvolution(backend, dy, filter, g, fullPad)
      : inputGradientByCol2im(
          backend,
          dy,
          filter,
          g,
          attrs.inputShape,
          budget,
          simd ? (convLoopsFor(backend)?.rowAdd ?? null) : null,
        );
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc };
}

/** `Conv2DBackpropInput` for the wasm backend, strategy chosen by shape. */
export const conv2dBackpropInputConfig: KernelConfig = makeConv2dBackpropInputConfig();
