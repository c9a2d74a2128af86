import type { TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv-geometry.js';
import { convWasm } from './wasm-conv.js';
import { heapFloats } from './wasm-tensors.js';

const KERNEL = 'Conv2DBackpropFilter';

/**
 * The filter gradient as one forward XNNPACK convolution, with the roles of
 * batch and channels swapped: dW[kh, kw, ci, co] = sum over (n, oh, ow) of
 * x[n, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, ci] * dy[n, oh, ow, co] is a
 * convolution of x laid out [ci, H, W, n] (batch ci, channels n) with dy laid
 * out [oh, ow, n, co] as the filter, stride (dh, dw), dilation (sh, sw),
 * giving [ci, kh, kw, co]. Only x and dy are copied (once each, no im2col).
 */
export function filterGradientByConvolution(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): TensorInfo {
  const { batch: N, inChannels: C, outChannels: CO, outHeight: OH, outWidth: OW } = g;
  const KH = g.filterHeight;
  const KW = g.filterWidth;
  // Rows/columns of x that any tap reads (the rest, at the bottom/right, never contribute).
  const extentH = (KH - 1) * g.dilationHeight + (OH - 1) * g.strideHeight + 1 - g.padTop;
  const extentW = (KW - 1) * g.dilationWidth + (OW - 1) * g.strideWidth + 1 - g.padLeft;
  const H = Math.min(g.inHeight, extentH);
  const W = Math.min(g.inWidth, extentW);

  const xT = backend.makeOutput([C, H, W, N], 'float32');
  const dyT = backend.makeOutput([OH, OW, N, CO], 'float32');
  transposeBatchToChannels(
    heapFloats(backend, x, KERNEL),
    g,
    H,
    W,
    heapFloats(backend, xT, KERNEL),
  );
  const dys = heapFloats(backend, dy, KERNEL);
  const dyTs = heapFloats(backend, dyT, KERNEL);
  const Q = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < Q; q++) {
      let from = (n * Q + q) * CO;
      let to = (q * N + n) * CO;
      for (let co = 0; co < CO; co++) dyTs[to++] = dys[from++]!;
    }
  }

  const product = convWasm(backend, xT, dyT, {
    batch: C,
    inHeight: H,
    inWidth: W,
    inChannels: N,
    filterHeight: OH,
    filterWidth: OW,
    outChannels: CO,
    strideHeight: g.dilationHeight,
    strideWidth: g.dilationWidth,
    dilationHeight: g.strideHeight,
    dilationWidth: g.strideWidth,
    padTop: g.padTop,
    padLeft: g.padLeft,
    // the padding at the bottom/right that the last taps read (zero if x had rows to spare)
    padBottom: extentH - H,
    padRight: extentW - W,
    depthwise: false,
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);

  // [ci, kh, kw, co] -> [kh, kw, ci, co]
  const dw = backend.makeOutput([KH, KW, C, CO], 'float32');
  const ps = heapFloats(backend, product, KERNEL);
  const dws = heapFloats(backend, dw, KERNEL);
  const taps = KH * KW;
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < taps; t++) {
      const from = (c * taps + t) * CO;
      dws.set(ps.subarray(from, from + CO), (t * C + c) * CO);
    }
  }
  backend.disposeData(product.dataId);
  return dw;
}

/** xT[c, h, w, n] = x[n, h, w, c] for h < H, w < W (x is NHWC with the geometry's full size). */
function transposeBatchToChannels(
  x: Float32Array,
  g: ConvGeometry,
  H: number,
  W: number,
  xT: Float32Array,
): void {
  const { batch: N, inChannels: C } = g;
  const imageStride = g.inHeight * g.inWidth * C;
  for (let h = 0; h < H; h++) {
    for (let w = 0; w < W; w++) {
      const src = (h * g.inWidth + w) * C;
      for (let c = 0; c < C; c++) {
        let s = src + c;
        let d = ((c * H + h) * W + w) * N;
        for (let n = 0; n < N; n++) {
          xT[d++] = x[s]!;
          s += imageStride;
        }
      }
    }
  }
}
