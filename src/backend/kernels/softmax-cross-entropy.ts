import type { KernelConfig, TensorInfo } from '../../tf.js';
import { InternalError } from '../../errors.js';
import {
  attrsOf,
  heapFloats,
  heapView,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/** The runner's own kernels (no tfjs kernel has these names): a classifier's objective. */
export const SOFTMAX_CROSS_ENTROPY = 'RunnerSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'RunnerSoftmaxCrossEntropyGrad';

export interface SoftmaxCrossEntropyAttrs {
  /** PyTorch's label_smoothing: targets y (1 - s) + s / classes. */
  readonly labelSmoothing: number;
}

/**
 * The mean softmax cross-entropy of logits [n, K] against int32 class
 * labels [n], with smoothed targets, and the count of right predictions
 * (the first largest logit is the prediction, as argMax takes it), in one
 * kernel call: outputs `loss` (float32 scalar) and `correct` (int32 scalar).
 * What `tf.losses.softmaxCrossEntropy(oneHot(labels), logits, undefined,
 * s)` and `sum(equal(argMax(logits, 1), labels))` compute in 25 calls, in
 * float64 (log-sum-exp after subtracting each row's max) and rounded once.
 * A label outside [0, K) has an all-zero target, as oneHot gives it.
 */
export const softmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  backendName: 'wasm',
  kernelFunc: (args): TensorInfo[] => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const { logits, labels, rows, classes } = checked(wasmArgs, SOFTMAX_CROSS_ENTROPY);
    const { labelSmoothing } = attrsOf<SoftmaxCrossEntropyAttrs>(wasmArgs);
    const backend = wasmBackendOf(wasmArgs);
    const lossOut = backend.makeOutput([], 'float32');
    const correctOut = backend.makeOutput([], 'int32');
    const z = heapFloats(backend, logits, SOFTMAX_CROSS_ENTROPY);
    const y = heapView(backend, labels);
    const off = labelSmoothing / classes;
    const on = 1 - labelSmoothing + off;
    let total = 0;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      const label = y[r] as number;
      let max = z[row] as number;
      let best = 0;
      for (let k = 1; k < classes; k++) {
        const v = z[row + k] as number;
        if (v > max) {
          max = v;
          best = k;
        }
      }
      if (best === label) correct++;
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += Math.exp((z[row + k] as number) - max);
      const logSum = max + Math.log(sum);
      // -sum_k t_k (z_k - logSum), with t_k = off, and on at the label.
      for (let k = 0; k < classes; k++) {
        const target = k === label ? on : off;
        if (target !== 0) total -= target * ((z[row + k] as number) - logSum);
      }
    }
    heapFloats(backend, lossOut, SOFTMAX_CROSS_ENTROPY)[0] = total / rows;
    heapView(backend, correctOut)[0] = correct;
    return [lossOut, correctOut];
  },
};

/**
 * The gradient of SOFTMAX_CROSS_ENTROPY's loss for its logits, in one call:
 * inputs `dy` (scalar), `logits`, `labels`; dlogits = dy (softmax(z) - t) / n,
 * tfjs's own formula for it (targets summing to 1), in float64.
 */
export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
  backendName: 'wasm',
  kernelFunc: (args): TensorInfo => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const { logits, labels, rows, classes } = checked(wasmArgs, SOFTMAX_CROSS_ENTROPY_GRAD);
    const dyInfo = inputOf(wasmArgs, 'dy', SOFTMAX_CROSS_ENTROPY_GRAD);
    const { labelSmoothing } = attrsOf<SoftmaxCrossEntropyAttrs>(wasmArgs);
    const backend = wasmBackendOf(wasmArgs);
    const out = backend.makeOutput(logits.shape, 'float32');
    const z = heapFloats(backend, logits, SOFTMAX_CROSS_ENTROPY_GRAD);
    const y = heapView(backend, labels);
    const dy = heapFloats(backend, dyInfo, SOFTMAX_CROSS_ENTROPY_GRAD)[0] as number;
    const dz = heapFloats(backend, out, SOFTMAX_CROSS_ENTROPY_GRAD);
    const off = labelSmoothing / classes;
    const on = 1 - labelSmoothing + off;
    const scale = dy / rows;
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      const label = y[r] as number;
      let max = -Infinity;
      for (let k = 0; k < classes; k++) max = Math.max(max, z[row + k] as number);
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += Math.exp((z[row + k] as number) - max);
      for (let k = 0; k < classes; k++) {
        const p = Math.exp((z[row + k] as number) - max) / sum;
        dz[row + k] = scale * (p - (k === label ? on : off));
      }
    }
    return out;
  },
};

function checked(
  args: WasmKernelArgs,
  name: string,
): { logits: TensorInfo; labels: TensorInfo; rows: number; classes: number } {
  const logits = inputOf(args, 'logits', name);
  const labels = inputOf(args, 'labels', name);
  const [rows, classes] = logits.shape;
  if (
    logits.dtype !== 'float32' ||
    logits.shape.length !== 2 ||
    rows === undefined ||
    classes === undefined ||
    classes === 0 ||
    labels.dtype !== 'int32' ||
    labels.shape.length !== 1 ||
    labels.shape[0] !== rows
  ) {
    throw new InternalError(
      `${name}: expected float32 logits [n, K] and int32 labels [n], found ${logits.dtype} [${logits.shape}] and ${labels.dtype} [${labels.shape}]`,
    );
  }
  return { logits, labels, rows, classes };
}
