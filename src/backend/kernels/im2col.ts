import type { ConvGeometry } from './conv-geometry.js';

/**
 * The range of output columns `ow` whose input column for filter tap `kw`
 * lies inside the image: `0 <= ow*strideWidth - padLeft + kw*dilationWidth < inWidth`.
 * Hoisting this out of the inner loops keeps them branch-free.
 */
function validOutputRange(
  tap: number,
  stride: number,
  dilation: number,
  pad: number,
  inSize: number,
  outSize: number,
): [number, number] {
  const offset = tap * dilation - pad;
  // smallest o with o*stride + offset >= 0
  const lo = Math.min(outSize, offset >= 0 ? 0 : Math.ceil(-offset / stride));
  // one past the largest o with o*stride + offset <= inSize - 1
  const hi = inSize - 1 - offset < 0 ? 0 : Math.floor((inSize - 1 - offset) / stride) + 1;
  return [lo, Math.max(lo, Math.min(hi, outSize))];
}

/**
 * im2col, transposed: writes the patches of images `[firstImage, firstImage +
 * imageCount)` of `x` (NHWC) into `cols` laid out as `[K, P]` with
 * `K = filterHeight * filterWidth * inChannels` (the filter's own row order)
 * and `P = imageCount * outHeight * outWidth`. Padding reads as zero. With
 * this layout, `cols x dy` (dy as `[P, outChannels]`, which NHWC already is)
 * is the filter gradient `[K, outChannels]` with no transpose anywhere.
 */
export function writePatchRows(
  x: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  cols: Float32Array,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const P = imageCount * OH * OW;
  const sw = g.strideWidth;
  const rowStrideX = W * C;
  const imageStrideX = H * rowStrideX;
  const stepX = sw * C;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const [ohLo, ohHi] = validOutputRange(kh, g.strideHeight, g.dilationHeight, g.padTop, H, OH);
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const [owLo, owHi] = validOutputRange(kw, sw, g.dilationWidth, g.padLeft, W, OW);
      const iw0 = owLo * sw - g.padLeft + kw * g.dilationWidth;
      for (let ci = 0; ci < C; ci++) {
        const rowBase = ((kh * g.filterWidth + kw) * C + ci) * P;
        let o = rowBase;
        for (let n = 0; n < imageCount; n++) {
          const imageBase = (firstImage + n) * imageStrideX + ci;
          for (let oh = 0; oh < OH; oh++) {
            if (oh < ohLo || oh >= ohHi || owLo >= owHi) {
              cols.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
            for (let ow = 0; ow < owLo; ow++) cols[o++] = 0;
            let xi = imageBase + ih * rowStrideX + iw0 * C;
            for (let ow = owLo; ow < owHi; ow++) {
              cols[o++] = x[xi]!;
              xi += stepX;
            }
            for (let ow = owHi; ow < OW; ow++) cols[o++] = 0;
          }
        }
      }
    }
  }
}

/**
 * col2im: scatter-adds `cols`, laid out as `[P, K]` (one row per output pixel
 * of images `[firstImage, firstImage + imageCount)`, K in the filter's
 * `(kh, kw, ci)` order) into the NHWC image gradient `dx`, which the caller
 * zeroed. Taps that fall into the padding are dropped.
 */
export function addPatchRowsToImage(
  cols: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  dx: Float32Array,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const KW = g.filterWidth;
  const K = g.filterHeight * KW * C;
  const rowStrideX = W * C;
  const imageStrideX = H * rowStrideX;
  const owRanges: Array<[number, number]> = [];
  for (let kw = 0; kw < KW; kw++) {
    owRanges.push(validOutputRange(kw, g.strideWidth, g.dilationWidth, g.padLeft, W, OW));
  }
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const [ohLo, ohHi] = validOutputRange(kh, g.strideHeight, g.dilationHeight, g.padTop, H, OH);
    for (let kw = 0; kw < KW; kw++) {
      const [owLo, owHi] = owRanges[kw]!;
      const tapOffset = (kh * KW + kw) * C;
      for (let n = 0; n < imageCount; n++) {
        const imageBase = (firstImage + n) * imageStrideX;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          const rowBase = imageBase + ih * rowStrideX;
          let c = ((n * OH + oh) * OW + owLo) * K + tapOffset;
          for (let ow = owLo; ow < owHi; ow++) {
            const iw = ow * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            let d = rowBase + iw * C;
            for (let ci = 0; ci < C; ci++) {
              dx[d]! += cols[c + ci]!;
              d++;
            }
            c += K;
          }
        }
      }
    }
  }
}
