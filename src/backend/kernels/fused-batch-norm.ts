import {
  FusedBatchNorm,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { replacingKernel } from './replacing-kernel.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `FusedBatchNorm` (inference form, also the last step of training's) with
 * per-channel parameters: one pass, y = offset + (x - mean) * scale / sqrt(variance + epsilon)
 * with the per-channel factor computed once, as the cpu backend computes it.
 * Parameters of other sizes go to wasm's kernel.
 */
export const fusedBatchNormConfig: KernelConfig = replacingKernel(
  FusedBatchNorm,
  (args: WasmKernelArgs): TensorInfo | undefined => {
    const x = inputOf(args, 'x', FusedBatchNorm);
    const channels = x.shape[x.shape.length - 1] ?? 0;
    const params = [
      args.inputs['mean'],
      args.inputs['variance'],
      args.inputs['offset'],
      args.inputs['scale'],
    ];
    const fits = (p: TensorInfo | undefined): boolean =>
      p === undefined ||
      (p.dtype === 'float32' && (sizeOf(p.shape) === channels || sizeOf(p.shape) === 1));
    if (x.dtype !== 'float32' || channels === 0 || !params.every(fits)) return undefined;
    const [meanInfo, varianceInfo, offsetInfo, scaleInfo] = params;
    if (meanInfo === undefined || varianceInfo === undefined) return undefined;
    const { varianceEpsilon } = attrsOf<FusedBatchNormAttrs>(args);

    const backend = wasmBackendOf(args);
    const out = backend.makeOutput(x.shape, 'float32');
    const perChannel = (p: TensorInfo | undefined, absent: number): Float64Array => {
      const values = new Float64Array(channels).fill(absent);
      if (p === undefined) return values;
      const v = heapFloats(backend, p, FusedBatchNorm);
      for (let c = 0; c < channels; c++) values[c] = v[v.length === 1 ? 0 : c] as number;
      return values;
    };
    const mean = perChannel(meanInfo, 0);
    const variance = perChannel(varianceInfo, 1);
    const offset = perChannel(offsetInfo, 0);
    const factor = perChannel(scaleInfo, 1);
    for (let c = 0; c < channels; c++)
      factor[c] = (factor[c] as number) / Math.sqrt((variance[c] as number) + varianceEpsilon);

    const xs = heapFloats(backend, x, FusedBatchNorm);
    const ys = heapFloats(backend, out, FusedBatchNorm);
    for (let i = 0, c = 0; i < xs.length; i++) {
      ys[i] =
        (offset[c] as number) + ((xs[i] as number) - (mean[c] as number)) * (factor[c] as number);
      if (++c === channels) c = 0;
    }
    return out;
  },
);
