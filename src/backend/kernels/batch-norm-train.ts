import type { KernelConfig, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import {
  blockLength,
  columnSums,
  fold,
  gradientColumns,
  gradientSums,
  scaleShiftColumns,
  spread,
  squaredDeviationSums,
} from './batch-norm-loops.js';
import { leakyReluValues } from './leaky-relu.js';
import { leakyReluGradValues } from './leaky-relu-grad.js';
import { simdLoopsFor } from './simd/simd-loops.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  sizeOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/** The runner's own kernels (no tfjs kernel has these names): batch norm's training step. */
export const BATCH_NORM_TRAIN = 'RunnerBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'RunnerBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  readonly epsilon: number;
  /** Weight of this batch in the moving statistics (1 - tfjs-layers' momentum). */
  readonly decay: number;
  /**
   * When set (>= 0): `y` is leaky ReLU of the normalized values with this
   * alpha (the layer after batch norm, computed here: two kernel calls a
   * step fewer), and the gradient takes `y` to apply that ReLU's gradient.
   */
  readonly leakyAlpha?: number;
}

/**
 * Batch normalization's training step over the last axis in one kernel call:
 * inputs `x` [..., C], `gamma`, `beta`, `movingMean`, `movingVariance` [C];
 * outputs `y` (x's shape), the batch `mean` and `invStd` = 1 / sqrt(variance
 * + epsilon) [C] (the gradient's saved values), and the new moving mean and
 * variance [C], `moving - (moving - batch) decay` as tfjs-layers updates
 * them (with the biased batch variance, as it does).
 *
 * Op by op (batch-norm-training.ts's path elsewhere) this is 16 kernel calls
 * per layer and step, here 1. Three passes over x: the channel sums, the
 * squared deviations (two passes, so a large mean does not cancel the
 * variance), y, each a SIMD loop where there is one (batch-norm-loops.ts).
 * Sums run in float64; `mean` and `invStd` are rounded to
 * float32 first and used as rounded in y and in the gradient, so forward
 * and backward see the same statistics. With `leakyAlpha`, y then goes
 * through the `LeakyRelu` kernel's loops in place (the same values as that
 * kernel's, bit for bit).
 */
export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: (args): TensorInfo[] => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const name = BATCH_NORM_TRAIN;
    const x = inputOf(wasmArgs, 'x', name);
    const infos = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((n) =>
      inputOf(wasmArgs, n, name),
    );
    const { epsilon, decay, leakyAlpha } = attrsOf<BatchNormTrainAttrs>(wasmArgs);
    const channels = checkChannels(name, x, infos);
    const backend = wasmBackendOf(wasmArgs);
    const y = backend.makeOutput(x.shape, 'float32');
    const [meanOut, invStdOut, movingMeanOut, movingVarianceOut] = [0, 1, 2, 3].map(() =>
      backend.makeOutput([channels], 'float32'),
    ) as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    const block = blockLength(channels);
    const scratch = backend.makeOutput([2 * 4 * block], 'float32');
    // Views after the last allocation (an allocation can replace the heap).
    const xs = heapFloats(backend, x, name);
    const [gamma, beta, movingMean, movingVariance] = infos.map((info) =>
      heapFloats(backend, info, name),
    ) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const mean = heapFloats(backend, meanOut, name);
    const invStd = heapFloats(backend, invStdOut, name);
    const count = xs.length / channels;
    const simd = simdLoopsFor(backend);
    const [running, center, scaleRow, shiftRow] = rowsOf(backend, scratch, block, 4) as Rows4;

    columnSums(simd, xs, running);
    const sums = fold(running, channels);
    for (let c = 0; c < channels; c++) mean[c] = (sums[c] as number) / count;
    squaredDeviationSums(simd, xs, spread(mean, center), running);
    const squares = fold(running, channels);
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    const movingMeanNew = heapFloats(backend, movingMeanOut, name);
    const movingVarianceNew = heapFloats(backend, movingVarianceOut, name);
    for (let c = 0; c < channels; c++) {
      const variance = Math.fround((squares[c] as number) / count);
      invStd[c] = 1 / Math.sqrt(variance + epsilon);
      // y = (x - mean) gamma invStd + beta = x scale + shift
      scale[c] = (gamma[c] as number) * (invStd[c] as number);
      shift[c] = (beta[c] as number) - (mean[c] as number) * (scale[c] as number);
      const m = movingMean[c] as number;
      const v = movingVariance[c] as number;
      movingMeanNew[c] = m - (m - (mean[c] as number)) * decay;
      movingVarianceNew[c] = v - (v - variance) * decay;
    }
    const ys = heapFloats(backend, y, name);
    scaleShiftColumns(simd, xs, ys, spread(scale, scaleRow), spread(shift, shiftRow));
    if (leakyAlpha !== undefined) leakyReluValues(simd, ys, ys, leakyAlpha);
    backend.disposeData(scratch.dataId);
    return [y, meanOut, invStdOut, movingMeanOut, movingVarianceOut];
  },
};

/**
 * The gradient of BATCH_NORM_TRAIN in one kernel call (16 op by op): inputs
 * `dy`, `x`, `gamma`, and the forward's `mean` and `invStd`; outputs `dx`,
 * `dgamma`, `dbeta`, the closed form PyTorch and TensorFlow use, with
 * xc = x - mean, s = invStd, n values per channel:
 *
 *   dbeta = sum(dy), dgamma = s sum(dy xc)
 *   dx = dy (gamma s) + xc (-gamma s^3 sum(dy xc) / n) + (-gamma s dbeta / n)
 *
 * Two passes over x and dy (the sums, then dx), sums in float64, SIMD loops
 * where there are. With `leakyAlpha` (the forward computed a leaky ReLU
 * after batch norm), `dy` is the gradient at the ReLU's output `y` (an
 * input then): the ReLU's gradient is taken first, by the loops of the
 * runner's leaky-ReLU gradient kernel (the same values, bit for bit).
 */
export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: (args): TensorInfo[] => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const name = BATCH_NORM_TRAIN_GRAD;
    const dy = inputOf(wasmArgs, 'dy', name);
    const x = inputOf(wasmArgs, 'x', name);
    const infos = ['gamma', 'mean', 'invStd'].map((n) => inputOf(wasmArgs, n, name));
    const channels = checkChannels(name, x, infos);
    if (dy.dtype !== 'float32' || sizeOf(dy.shape) !== sizeOf(x.shape)) {
      throw new InternalError(`${name}: dy does not match x`);
    }
    const { leakyAlpha } = attrsOf<Pick<BatchNormTrainAttrs, 'leakyAlpha'>>(wasmArgs);
    const y = leakyAlpha === undefined ? undefined : inputOf(wasmArgs, 'y', name);
    const backend = wasmBackendOf(wasmArgs);
    const dxOut = backend.makeOutput(x.shape, 'float32');
    const dgammaOut = backend.makeOutput([channels], 'float32');
    const dbetaOut = backend.makeOutput([channels], 'float32');
    const block = blockLength(channels);
    const scratch = backend.makeOutput([2 * 6 * block], 'float32');
    const xs = heapFloats(backend, x, name);
    const simd = simdLoopsFor(backend);
    let dys = heapFloats(backend, dy, name);
    if (y !== undefined && leakyAlpha !== undefined) {
      // The ReLU's gradient into dx's memory: the passes below read each value before dx's.
      const pre = heapFloats(backend, dxOut, name);
      leakyReluGradValues(simd, heapFloats(backend, y, name), dys, pre, leakyAlpha);
      dys = pre;
    }
    const [gamma, mean, invStd] = infos.map((info) => heapFloats(backend, info, name)) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const count = xs.length / channels;
    const [center, sumDy, sumDyXc, aRow, bRow, kRow] = rowsOf(backend, scratch, block, 6) as Rows6;
    gradientSums(simd, dys, xs, spread(mean, center), sumDy, sumDyXc);
    const dyTotal = fold(sumDy, channels);
    const dyXc = fold(sumDyXc, channels);
    const dgamma = heapFloats(backend, dgammaOut, name);
    const dbeta = heapFloats(backend, dbetaOut, name);
    // dx = dy a + x b + k with a = gamma s, b = -a s^2 sum(dy xc) / n, k = -a dbeta / n - mean b
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    const k = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      const s = invStd[c] as number;
      const gs = (gamma[c] as number) * s;
      dgamma[c] = (dyXc[c] as number) * s;
      dbeta[c] = dyTotal[c] as number;
      a[c] = gs;
      b[c] = (-gs * s * s * (dyXc[c] as number)) / count;
      k[c] = (-gs * (dyTotal[c] as number)) / count - (mean[c] as number) * (b[c] as number);
    }
    const dxs = heapFloats(backend, dxOut, name);
    gradientColumns(simd, dys, xs, dxs, {
      a: spread(a, aRow),
      b: spread(b, bRow),
      k: spread(k, kRow),
    });
    backend.disposeData(scratch.dataId);
    return [dxOut, dgammaOut, dbetaOut];
  },
};

/** The channel count C of x [..., C], after checking every parameter is float32 [C]. */
function checkChannels(name: string, x: TensorInfo, parameters: readonly TensorInfo[]): number {
  const channels = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || x.shape.length < 2 || channels === undefined || channels === 0) {
    throw new InternalError(`${name}: expected float32 x [..., C], found ${x.dtype} [${x.shape}]`);
  }
  for (const p of parameters) {
    if (p.dtype !== 'float32' || sizeOf(p.shape) !== channels) {
      throw new InternalError(
        `${name}: expected float32 [${channels}], found ${p.dtype} [${p.shape}]`,
      );
    }
  }
  return channels;
}

type Rows4 = [Float64Array, Float64Array, Float64Array, Float64Array];
type Rows6 = [...Rows4, Float64Array, Float64Array];

/** `count` float64 rows of `block` values in `scratch` (a float32 tensor of 2 count block values). */
function rowsOf(
  backend: BackendWasm,
  scratch: TensorInfo,
  block: number,
  count: number,
): Float64Array[] {
  const floats = heapFloats(backend, scratch, 'batch norm rows');
  const all = new Float64Array(floats.buffer, floats.byteOffset, count * block);
  return Array.from({ length: count }, (_, i) => all.subarray(i * block, (i + 1) * block));
}
