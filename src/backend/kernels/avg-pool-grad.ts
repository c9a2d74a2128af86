import {
  AvgPoolGrad,
  backend_util,
  type AvgPoolGradAttrs,
  type KernelConfig,
  type TensorInfo,
} from '../../tf.js';
import {
  attrsOf,
  heapFloats,
  inputOf,
  wasmBackendOf,
  type WasmKernelArgs,
} from './wasm-tensors.js';

/**
 * `AvgPoolGrad` by scattering each window's gradient over the input pixels it
 * covers, channels innermost. Like every tfjs backend's kernel, it divides
 * by the full window area, also where `same` padding cuts the window.
 */
export function avgPoolGrad(args: WasmKernelArgs): TensorInfo {
  const backend = wasmBackendOf(args);
  const dy = inputOf(args, 'dy', AvgPoolGrad);
  const input = inputOf(args, 'input', AvgPoolGrad);
  const { filterSize, strides, pad } = attrsOf<AvgPoolGradAttrs>(args);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const dyValues = heapFloats(backend, dy, AvgPoolGrad);
  const dxValues = heapFloats(backend, dx, AvgPoolGrad);
  dxValues.fill(0);

  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const scale = 1 / (filterHeight * filterWidth);
  const share = new Float32Array(channels);
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageAt = b * inHeight * inWidth * channels;
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + filterHeight);
      for (let ow = 0; ow < outWidth; ow++, dyAt += channels) {
        const left = ow * strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(inWidth, left + filterWidth);
        for (let ch = 0; ch < channels; ch++) share[ch] = (dyValues[dyAt + ch] as number) * scale;
        for (let r = rowStart; r < rowEnd; r++) {
          for (let c = colStart; c < colEnd; c++) {
            const at = imageAt + (r * inWidth + c) * channels;
            for (let ch = 0; ch < channels; ch++) {
              dxValues[at + ch] = (dxValues[at + ch] as number) + (share[ch] as number);
            }
          }
        }
      }
    }
  }
  return dx;
}

export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGrad,
};
