import { Tile, type KernelConfig, type TensorInfo, type TileAttrs } from '../../tf.js';
import {
  attrsOf,
  heapView,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type TypedArray,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `Tile` as block copies: each input row is copied once, then every level of
 * the output is filled by copying the finished block (`copyWithin`, a
 * memmove) instead of computing a source index per element as wasm's kernel
 * does. Batch-norm's gradient tiles a [1,1,1,C] vector over the whole
 * activation (84 ms a step for the tutorial net before this).
 */
export function tile(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const x = inputOf(args, 'x', Tile);
  const { reps } = attrsOf<TileAttrs>(args);
  const outShape = x.shape.map((d, i) => d * (reps[i] ?? 1));
  const out = backend.makeOutput(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const src = heapView(backend, x);
  const dst = heapView(backend, out);
  if (x.shape.length === 0) {
    dst[0] = src[0] ?? 0;
    return out;
  }
  // Elements in one step of dimension d, in the input and in the output.
  const rank = x.shape.length;
  const srcStride = new Array<number>(rank).fill(1);
  const dstStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    srcStride[d] = (srcStride[d + 1] ?? 1) * (x.shape[d + 1] ?? 1);
    dstStride[d] = (dstStride[d + 1] ?? 1) * (outShape[d + 1] ?? 1);
  }
  fill(0, 0, 0, { src, dst, inShape: x.shape, reps, srcStride, dstStride });
  return out;
}

interface TilePlan {
  readonly src: TypedArray;
  readonly dst: TypedArray;
  readonly inShape: readonly number[];
  readonly reps: readonly number[];
  readonly srcStride: readonly number[];
  readonly dstStride: readonly number[];
}

/** Writes the output block of dimension `d` starting at `dstAt` from the input at `srcAt`. */
function fill(d: number, srcAt: number, dstAt: number, plan: TilePlan): void {
  const size = plan.inShape[d] ?? 1;
  const rep = plan.reps[d] ?? 1;
  const last = d === plan.inShape.length - 1;
  if (last) {
    plan.dst.set(plan.src.subarray(srcAt, srcAt + size), dstAt);
  } else {
    const srcStep = plan.srcStride[d] ?? 1;
    const dstStep = plan.dstStride[d] ?? 1;
    for (let i = 0; i < size; i++) fill(d + 1, srcAt + i * srcStep, dstAt + i * dstStep, plan);
  }
  // Replicate the finished block, doubling the copied length each time.
  const block = size * (last ? 1 : (plan.dstStride[d] ?? 1));
  const total = block * rep;
  let filled = block;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    plan.dst.copyWithin(dstAt + filled, dstAt, dstAt + n);
    filled += n;
  }
}

export const tileConfig: KernelConfig = { kernelName: Tile, backendName: 'wasm', kernelFunc: tile };
