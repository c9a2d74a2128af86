import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import {
  attrsOf,
  heapFloats,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `MaxPoolGrad` in one pass over the input: for each pooling window, find
 * every channel's first maximum (row-major window order, as the cpu backend
 * does) and add the window's gradient there. NHWC keeps the channel loop
 * innermost and contiguous. wasm's kernel recomputes each window's argmax
 * for every input pixel (23-29 ms a step for the nets we train).
 */
export function maxPoolGrad(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const dy = inputOf(args, 'dy', MaxPoolGrad);
  const input = inputOf(args, 'input', MaxPoolGrad);
  const { filterSize, strides, pad, dimRoundingMode } = attrsOf<MaxPoolGradAttrs>(args);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = heapFloats(backend, input, MaxPoolGrad);
  const dyValues = heapFloats(backend, dy, MaxPoolGrad);
  const dxValues = heapFloats(backend, dx, MaxPoolGrad);
  dxValues.fill(0);

  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const rowStep = inWidth * channels;
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageAt = b * inHeight * rowStep;
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++, dyAt += channels) {
        const left = ow * strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(inWidth, left + filterWidth);
        const windowAt = imageAt + rowStart * rowStep + colStart * channels;
        if (rowEnd - rowStart === 2 && colEnd - colStart === 2) {
          // The common 2x2 window, unrolled (same first-maximum order).
          for (let ch = 0; ch < channels; ch++) {
            const at = windowAt + ch;
            let best = -Infinity;
            let bestAt = -1;
            const v0 = x[at] as number;
            if (v0 > best) {
              best = v0;
              bestAt = at;
            }
            const v1 = x[at + channels] as number;
            if (v1 > best) {
              best = v1;
              bestAt = at + channels;
            }
            const v2 = x[at + rowStep] as number;
            if (v2 > best) {
              best = v2;
              bestAt = at + rowStep;
            }
            const v3 = x[at + rowStep + channels] as number;
            if (v3 > best) bestAt = at + rowStep + channels;
            if (bestAt >= 0)
              dxValues[bestAt] = (dxValues[bestAt] as number) + (dyValues[dyAt + ch] as number);
          }
          continue;
        }
        for (let ch = 0; ch < channels; ch++) {
          let best = -Infinity;
          let bestAt = -1;
          for (let r = rowStart, rowAt = windowAt + ch; r < rowEnd; r++, rowAt += rowStep) {
            for (let c = colStart, at = rowAt; c < colEnd; c++, at += channels) {
              const v = x[at] as number;
              if (v > best) {
                best = v;
                bestAt = at;
              }
            }
          }
          // A window of only NaN or -Infinity has no maximum, and no gradient (as on cpu).
          if (bestAt >= 0)
            dxValues[bestAt] = (dxValues[bestAt] as number) + (dyValues[dyAt + ch] as number);
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
