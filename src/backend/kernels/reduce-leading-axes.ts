import { backend_util, util, type TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { replacingKernel, type ReplacingKernelConfig } from './replacing-kernel.js';
import { simdLoopsFor } from './simd/simd-loops.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

interface ReduceAttrs {
  readonly axis: number | number[];
  readonly keepDims: boolean;
}

/** Length of the running-sum block: a multiple of the kept size near this many values. */
const BLOCK = 1024;

/**
 * `Sum` or `Mean` of a float32 tensor over its leading axes (a bias or
 * batch-norm gradient: [N, H, W, C] to [C]) in one pass: the input is added
 * block by block into a row of running sums (float64), which is then folded
 * to the kept size. wasm's kernel first transposes the reduced axes to the
 * end (0.65 ms for a [128, 15, 15, 16] sum). Other reductions go to wasm's
 * kernel.
 */
export function leadingAxesReduction(kernelName: string, mean: boolean): ReplacingKernelConfig {
  return replacingKernel(kernelName, (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', kernelName);
    if (x.dtype !== 'float32' || x.shape.length === 0) return undefined;
    const { axis, keepDims } = attrsOf<ReduceAttrs>(args);
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((a, i) => a !== i)) return undefined;
    const kept = sizeOf(x.shape.slice(axes.length));
    const reduced = sizeOf(x.shape.slice(0, axes.length));
    if (kept === 0 || reduced < 2 || kept > BLOCK) return undefined;

    const backend = wasmBackendOf(args);
    const outShape = keepDims
      ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes)
      : x.shape.slice(axes.length);
    const out = backend.makeOutput(outShape, 'float32');
    const sums = sumColumns(backend, x, kept);
    const ys = heapFloats(backend, out, kernelName);
    for (let c = 0; c < kept; c++)
      ys[c] = mean ? (sums[c] as number) / reduced : (sums[c] as number);
    return out;
  });
}

/**
 * Column sums of `x` viewed as [size / width, width]: a row of
 * running float64 sums one block long (a multiple of `width` and of 4) is
 * fed the input block by block, then folded to `width` sums. The blocks go
 * through the SIMD loop where there is one (its running row then lives in
 * wasm memory), else through JavaScript, four blocks per pass.
 */
function sumColumns(backend: BackendWasm, x: TensorInfo, width: number): Float64Array {
  const block = 4 * width * Math.max(1, Math.floor(BLOCK / (4 * width)));
  const simd = simdLoopsFor(backend);
  // Allocate before taking views: an allocation may grow (replace) the heap.
  const scratch = simd === null ? undefined : backend.makeOutput([2 * block], 'float32');
  const xs = heapFloats(backend, x, 'Sum');
  const whole = xs.length - (xs.length % block);
  let running: Float64Array;
  if (simd !== null && scratch !== undefined) {
    const floats = heapFloats(backend, scratch, 'Sum');
    running = new Float64Array(floats.buffer, floats.byteOffset, block).fill(0);
    simd.addBlocks(xs.byteOffset, whole / block, block / 4, running.byteOffset);
  } else {
    running = new Float64Array(block);
    addBlocks(xs, whole, block, running);
  }
  for (let i = whole, j = 0; i < xs.length; i++, j++)
    running[j] = (running[j] as number) + (xs[i] as number);
  const sums = new Float64Array(width);
  for (let j = 0; j < block; j++) {
    const c = j % width;
    sums[c] = (sums[c] as number) + (running[j] as number);
  }
  if (scratch !== undefined) backend.disposeData(scratch.dataId);
  return sums;
}

/** running[j] += xs[start + j] for every block start below `whole`, four blocks per pass. */
function addBlocks(xs: Float32Array, whole: number, block: number, running: Float64Array): void {
  const wholeFours = whole - (whole % (4 * block));
  let start = 0;
  for (; start < wholeFours; start += 4 * block) {
    for (let j = 0, at = start; j < block; j++, at++) {
      running[j] =
        (running[j] as number) +
        (xs[at] as number) +
        (xs[at + block] as number) +
        (xs[at + 2 * block] as number) +
        (xs[at + 3 * block] as number);
    }
  }
  for (; start < whole; start += block) {
    for (let j = 0; j < block; j++) running[j] = (running[j] as number) + (xs[start + j] as number);
  }
}
