import type { KernelConfig, TensorInfo } from '../../tf.js';
import { simdLoopsFor, type SimdLoops } from './simd/simd-loops.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/** The runner's own kernel (no tfjs kernel has this name): leaky ReLU's gradient in one call. */
export const LEAKY_RELU_GRAD = 'RunnerLeakyReluGrad';

export interface LeakyReluGradAttrs {
  readonly alpha: number;
  /**
   * ReLU's gradient instead (alpha 0): tfjs-core's `mul(dy, step(x))` gives
   * NaN where x is NaN (wasm's Step passes NaN), leaky ReLU's `where` dy alpha.
   */
  readonly relu?: boolean;
}

/**
 * Leaky ReLU's gradient, dx = x > 0 ? dy : dy alpha, of same-shaped float32
 * `dy` and `x`, in one pass. tfjs-core's gradient is `where(greater(x, 0),
 * dy, mul(dy, alpha))`: Greater, Multiply, three Identity copies (where's
 * broadcasts) and Select, six kernel calls over the activation. The values
 * are those, bit for bit: the product is float32's (a product of two float32
 * in float64 is exact, the store rounds it once, as float32 multiplication
 * does), and x = 0, -0 or NaN takes dy alpha. The runner's LeakyRelu
 * gradient (gradients/leaky-relu-grad.ts) calls it on wasm, and so does
 * the ReLU gradient (`relu: true`: dy 0 for x <= 0, NaN for x = NaN). Both
 * run SIMD loops where there are, JavaScript for the remainder.
 */
export const leakyReluGradConfig: KernelConfig = {
  kernelName: LEAKY_RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: (args): TensorInfo => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const dy = inputOf(wasmArgs, 'dy', LEAKY_RELU_GRAD);
    const x = inputOf(wasmArgs, 'x', LEAKY_RELU_GRAD);
    const { alpha, relu = false } = attrsOf<LeakyReluGradAttrs>(wasmArgs);
    const backend = wasmBackendOf(wasmArgs);
    const out = backend.makeOutput(x.shape, 'float32');
    const xs = heapFloats(backend, x, LEAKY_RELU_GRAD);
    const dys = heapFloats(backend, dy, LEAKY_RELU_GRAD);
    const dxs = heapFloats(backend, out, LEAKY_RELU_GRAD);
    const simd = simdLoopsFor(backend);
    let done = 0;
    if (relu) {
      if (simd !== null) {
        const groups = xs.length >>> 2;
        simd.reluGrad(xs.byteOffset, dys.byteOffset, dxs.byteOffset, groups);
        done = groups * 4;
      }
      // The factor by index +(x > 0) + 2 (x is NaN): 0, 1, NaN.
      const factor = new Float64Array([0, 1, Number.NaN]);
      for (let i = done; i < xs.length; i++) {
        const v = xs[i] as number;
        dxs[i] = (dys[i] as number) * (factor[+(v > 0) + 2 * +(v !== v)] as number);
      }
      return out;
    }
    leakyReluGradValues(simd, xs, dys, dxs, alpha);
    return out;
  },
};

/**
 * dxs = xs > 0 ? dys : dys alpha (float32 product), the `relu: false` case
 * of the kernel: the SIMD loop for groups of 4, then the JavaScript loop.
 * Batch norm's training gradient runs it on the leaky ReLU's output when
 * it computed that ReLU itself (kernels/batch-norm-train.ts): for alpha >= 0
 * the output is > 0 exactly where the input is.
 */
export function leakyReluGradValues(
  simd: SimdLoops | null,
  xs: Float32Array,
  dys: Float32Array,
  dxs: Float32Array,
  alpha: number,
): void {
  const alpha32 = Math.fround(alpha);
  let done = 0;
  if (simd !== null) {
    const groups = xs.length >>> 2;
    simd.leakyReluGrad(xs.byteOffset, dys.byteOffset, dxs.byteOffset, groups, alpha32);
    done = groups * 4;
  }
  // A factor picked by the comparison, not a branch (random signs mispredict).
  const factor = new Float64Array([alpha32, 1]);
  for (let i = done; i < xs.length; i++) {
    dxs[i] = (dys[i] as number) * (factor[+((xs[i] as number) > 0)] as number);
  }
}
