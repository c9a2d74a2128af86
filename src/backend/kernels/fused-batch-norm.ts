import {
  Add,
  FusedBatchNorm,
  Multiply,
  Sub,
  type FusedBatchNormAttrs,
  type TensorInfo,
} from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import {
  applyChannelVector,
  bindBinary,
  channelRows,
  type BinaryFunction,
} from './channel-broadcast.js';
import { replacingKernel, type ReplacingKernelConfig } from './replacing-kernel.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

let sub: BinaryFunction | undefined;
let multiply: BinaryFunction | undefined;
let add: BinaryFunction | undefined;

function setup(backend: object): void {
  sub = bindBinary(backend, Sub);
  multiply = bindBinary(backend, Multiply);
  add = bindBinary(backend, Add);
}

/**
 * `FusedBatchNorm` with per-channel parameters, as the cpu backend computes
 * it, y = offset + (x - mean) * (scale / sqrt(variance + epsilon)), in three
 * passes of wasm's plain elementwise loops over long rows (see
 * channelBroadcastKernel), 4x faster than wasm's kernel. Other parameter
 * sizes go to wasm's kernel.
 */
function fusedBatchNorm(args: WasmKernelArgs): TensorInfo | undefined {
  const x = inputOf(args, 'x', FusedBatchNorm);
  const mean = args.inputs['mean'];
  const variance = args.inputs['variance'];
  const offset = args.inputs['offset'];
  const scale = args.inputs['scale'];
  const rows = channelRows(x.shape);
  if (x.dtype !== 'float32' || rows === undefined || mean === undefined || variance === undefined) {
    return undefined;
  }
  const perChannel = (p: TensorInfo | undefined): boolean =>
    p === undefined ||
    (p.dtype === 'float32' && (sizeOf(p.shape) === rows.channels || sizeOf(p.shape) === 1));
  if (![mean, variance, offset, scale].every(perChannel)) return undefined;
  if (sub === undefined || multiply === undefined || add === undefined) {
    throw new InternalError('FusedBatchNorm: kernel used before its setup');
  }
  const { varianceEpsilon } = attrsOf<FusedBatchNormAttrs>(args);
  const backend = wasmBackendOf(args);
  const values = (p: TensorInfo | undefined, absent: number): Float64Array =>
    channelValues(backend, p, rows.channels, absent);
  const factor = values(scale, 1);
  const varianceValues = values(variance, 1);
  for (let c = 0; c < rows.channels; c++) {
    factor[c] = (factor[c] as number) / Math.sqrt((varianceValues[c] as number) + varianceEpsilon);
  }
  const plan = { fullIsA: true, ...rows };
  const centred = backend.makeOutput(x.shape, 'float32');
  const scaled = backend.makeOutput(x.shape, 'float32');
  applyChannelVector(backend, sub, x, values(mean, 0), plan, centred);
  applyChannelVector(backend, multiply, centred, factor, plan, scaled);
  if (offset === undefined) {
    backend.disposeData(centred.dataId);
    return scaled;
  }
  // The sum goes into the first buffer, which is free again.
  applyChannelVector(backend, add, scaled, values(offset, 0), plan, centred);
  backend.disposeData(scaled.dataId);
  return centred;
}

/** A parameter's value per channel (a single value repeated), or `absent` for every channel. */
function channelValues(
  backend: BackendWasm,
  p: TensorInfo | undefined,
  channels: number,
  absent: number,
): Float64Array {
  const values = new Float64Array(channels).fill(absent);
  if (p === undefined) return values;
  const v = heapFloats(backend, p, FusedBatchNorm);
  for (let c = 0; c < channels; c++) values[c] = v[v.length === 1 ? 0 : c] as number;
  return values;
}

export const fusedBatchNormConfig: ReplacingKernelConfig = replacingKernel(
  FusedBatchNorm,
  fusedBatchNorm,
  setup,
);
