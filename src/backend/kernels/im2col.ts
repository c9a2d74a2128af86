import type { ConvGeometry } from './conv-geometry.js';
import type { Gather, RowAdd } from './conv-loops.js';

/**
 * The range of output columns `ow` whose input column for filter tap `kw`
 * lies inside the image: `0 <= ow*strideWidth - padLeft + kw*dilationWidth < inWidth`.
 * Hoisting this out of the inner loops keeps them branch-free.
 */
export function validOutputRange(
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
 *
 * Loop order: x is read once per tap in its own order (a run of C channels
 * per pixel), and each channel's row of `cols` is written sequentially, so
 * both sides stream through the cache.
 */
export function writePatchRows(
  x: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  cols: Float32Array,
  gather: Gather | null = null,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  if (isShiftedCopy(g) && x.buffer === cols.buffer) {
    writeShiftedImages(x, g, firstImage, imageCount, cols);
    return;
  }
  if (gather !== null && x.buffer === cols.buffer) {
    writePatchRowsByGather(x, g, firstImage, imageCount, cols, gather);
    return;
  }
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
      const tapBase = (kh * g.filterWidth + kw) * C * P;
      for (let n = 0; n < imageCount; n++) {
        const imageBase = (firstImage + n) * imageStrideX;
        for (let oh = 0; oh < OH; oh++) {
          const p0 = tapBase + (n * OH + oh) * OW;
          if (oh < ohLo || oh >= ohHi || owLo >= owHi) {
            for (let ci = 0; ci < C; ci++) cols.fill(0, p0 + ci * P, p0 + ci * P + OW);
            continue;
          }
          if (owLo > 0 || owHi < OW) {
            for (let ci = 0; ci < C; ci++) {
              for (let o = p0 + ci * P, end = o + owLo; o < end; o++) cols[o] = 0;
              for (let o = p0 + ci * P + owHi, end = p0 + ci * P + OW; o < end; o++) cols[o] = 0;
            }
          }
          const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
          let xi = imageBase + ih * rowStrideX + iw0 * C;
          if (C === 1) {
            for (let o = p0 + owLo; o < p0 + owHi; o++) {
              cols[o] = x[xi]!;
              xi += stepX;
            }
            continue;
          }
          for (let ow = owLo; ow < owHi; ow++) {
            let o = p0 + ow;
            for (let ci = 0; ci < C; ci++) {
              cols[o] = x[xi + ci]!;
              o += P;
            }
            xi += stepX;
          }
        }
      }
    }
  }
}

/**
 * One channel, stride 1 and output as wide as the input (`same` padding):
 * then each tap's row of the patch matrix is the image itself shifted by a
 * constant offset, with zeros where the tap falls into the padding.
 */
function isShiftedCopy(g: ConvGeometry): boolean {
  return (
    g.inChannels === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.dilationWidth === 1 &&
    g.inWidth === g.outWidth
  );
}

/**
 * {@link writePatchRows} for {@link isShiftedCopy} geometry: per tap and
 * image, one native `copyWithin` (a memmove inside the wasm heap, where both
 * views live) and then zeros over the padding, instead of a JS loop per value.
 */
function writeShiftedImages(
  x: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  cols: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = g;
  const heap = new Float32Array(x.buffer);
  const xStart = x.byteOffset / 4;
  const xEnd = xStart + x.length;
  const colsStart = cols.byteOffset / 4;
  const imageSize = OH * OW;
  const P = imageCount * imageSize;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const [ohLo, ohHi] = validOutputRange(kh, 1, g.dilationHeight, g.padTop, H, OH);
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const [owLo, owHi] = validOutputRange(kw, 1, 1, g.padLeft, W, OW);
      // x index of output pixel (oh, ow) for this tap, relative to oh * W + ow
      const shift = (kh * g.dilationHeight - g.padTop) * W + (kw - g.padLeft);
      const tapBase = (kh * g.filterWidth + kw) * P;
      for (let n = 0; n < imageCount; n++) {
        const rowsBase = tapBase + n * imageSize;
        cols.fill(0, rowsBase, rowsBase + ohLo * OW);
        cols.fill(0, rowsBase + ohHi * OW, rowsBase + imageSize);
        if (ohLo >= ohHi) continue;
        // Values that land in padded columns come from the neighbouring row
        // (or just outside x): the copy is clamped to x and those columns zeroed below.
        let from = xStart + (firstImage + n) * H * W + ohLo * W + shift;
        let to = colsStart + rowsBase + ohLo * OW;
        let end = from + (ohHi - ohLo) * OW;
        if (from < xStart) {
          to += xStart - from;
          from = xStart;
        }
        end = Math.min(end, xEnd);
        if (end > from) heap.copyWithin(to, from, end);
        if (owLo > 0 || owHi < OW) {
          for (let oh = ohLo; oh < ohHi; oh++) {
            const row = rowsBase + oh * OW;
            for (let o = row; o < row + owLo; o++) cols[o] = 0;
            for (let o = row + owHi; o < row + OW; o++) cols[o] = 0;
          }
        }
      }
    }
  }
}

/**
 * {@link writePatchRows} with the wasm {@link Gather}: one call per filter
 * tap, channel and image copies the tap's rectangle of valid output pixels;
 * zeros where the tap falls into the padding are written here.
 */
function writePatchRowsByGather(
  x: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  cols: Float32Array,
  gather: Gather,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const P = imageCount * OH * OW;
  const xAt = x.byteOffset;
  const colsAt = cols.byteOffset;
  const srcRowStep = g.strideHeight * W * C * 4;
  const srcColumnStep = g.strideWidth * C * 4;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const [ohLo, ohHi] = validOutputRange(kh, g.strideHeight, g.dilationHeight, g.padTop, H, OH);
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const [owLo, owHi] = validOutputRange(kw, g.strideWidth, g.dilationWidth, g.padLeft, W, OW);
      const empty = ohLo >= ohHi || owLo >= owHi;
      const ih0 = ohLo * g.strideHeight - g.padTop + kh * g.dilationHeight;
      const iw0 = owLo * g.strideWidth - g.padLeft + kw * g.dilationWidth;
      for (let ci = 0; ci < C; ci++) {
        const rowBase = ((kh * g.filterWidth + kw) * C + ci) * P;
        for (let n = 0; n < imageCount; n++) {
          const base = rowBase + n * OH * OW;
          if (empty) {
            cols.fill(0, base, base + OH * OW);
            continue;
          }
          if (ohLo > 0) cols.fill(0, base, base + ohLo * OW);
          if (ohHi < OH) cols.fill(0, base + ohHi * OW, base + OH * OW);
          if (owLo > 0 || owHi < OW) {
            for (let oh = ohLo; oh < ohHi; oh++) {
              const row = base + oh * OW;
              for (let o = row; o < row + owLo; o++) cols[o] = 0;
              for (let o = row + owHi; o < row + OW; o++) cols[o] = 0;
            }
          }
          const from = (((firstImage + n) * H + ih0) * W + iw0) * C + ci;
          const to = base + ohLo * OW + owLo;
          gather(
            colsAt + to * 4,
            OW * 4,
            xAt + from * 4,
            srcRowStep,
            srcColumnStep,
            ohHi - ohLo,
            owHi - owLo,
          );
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
 *
 * Loop order: one output pixel at a time, so `cols` is read sequentially and
 * the few rows of `dx` it touches stay in cache.
 */
export function addPatchRowsToImage(
  cols: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  dx: Float32Array,
  rowAdd: RowAdd | null = null,
  wideRows = true,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const KH = g.filterHeight;
  const KW = g.filterWidth;
  const K = KH * KW * C;
  const rowStrideX = W * C;
  const imageStrideX = H * rowStrideX;
  if (rowAdd !== null && cols.buffer === dx.buffer) {
    addPatchRowsBySimd(cols, g, firstImage, imageCount, dx, rowAdd, wideRows);
    return;
  }
  for (let n = 0; n < imageCount; n++) {
    const imageBase = (firstImage + n) * imageStrideX;
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
        if (ih < 0 || ih >= H) continue;
        const rowBase = imageBase + ih * rowStrideX;
        let c = (n * OH + oh) * OW * K + kh * KW * C;
        for (let ow = 0; ow < OW; ow++, c += K) {
          const iw0 = ow * g.strideWidth - g.padLeft;
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const d = rowBase + iw * C;
            const cc = c + kw * C;
            for (let ci = 0; ci < C; ci++) dx[d + ci]! += cols[cc + ci]!;
          }
        }
      }
    }
  }
}

/**
 * {@link addPatchRowsToImage} with {@link RowAdd}:
 * one call per image row and filter tap adds that tap's run of channels from
 * every patch in the row to the image, four floats per instruction.
 */
function addPatchRowsBySimd(
  cols: Float32Array,
  g: ConvGeometry,
  firstImage: number,
  imageCount: number,
  dx: Float32Array,
  rowAdd: RowAdd,
  wideRows: boolean,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const KH = g.filterHeight;
  const KW = g.filterWidth;
  const K = KH * KW * C;
  const colsAt = cols.byteOffset;
  const dxAt = dx.byteOffset;
  const owRanges: Array<[number, number]> = [];
  for (let kw = 0; kw < KW; kw++) {
    owRanges.push(validOutputRange(kw, g.strideWidth, g.dilationWidth, g.padLeft, W, OW));
  }
  const dxStep = g.strideWidth * C * 4;
  // With dilation 1 a patch's row of taps, KW * C floats, is contiguous both in
  // the patch and in the image: where every tap of the row lands inside the
  // image (the interior [wideLo, wideHi)) one call adds it whole; the edges go
  // tap by tap. LeNet-5 conv2: 5x fewer calls, 7 vectors each instead of 1.
  const wide = wideRows && g.dilationWidth === 1 && KW > 1;
  let wideLo = 0;
  let wideHi = OW;
  for (const [lo, hi] of owRanges) {
    wideLo = Math.max(wideLo, lo);
    wideHi = Math.min(wideHi, hi);
  }
  // no interior: every tap by itself (the right-hand runs start at OW, i.e. are empty)
  if (!wide || wideLo >= wideHi) wideLo = wideHi = OW;
  const rowFloats = KW * C;
  for (let n = 0; n < imageCount; n++) {
    const imageBase = (firstImage + n) * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const rowOfPatches = (n * OH + oh) * OW * K;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * g.strideHeight - g.padTop + kh * g.dilationHeight;
        if (ih < 0 || ih >= H) continue;
        if (wideLo < wideHi) {
          const iw = wideLo * g.strideWidth - g.padLeft;
          const d = imageBase + (ih * W + iw) * C;
          const c = rowOfPatches + wideLo * K + kh * KW * C;
          const count = wideHi - wideLo;
          rowAdd(dxAt + d * 4, dxStep, colsAt + c * 4, K * 4, count, rowFloats >> 2, rowFloats & 3);
        }
        for (let kw = 0; kw < KW; kw++) {
          const [owLo, owHi] = owRanges[kw]!;
          // the tap's own runs, left and right of the interior already added
          for (let side = 0; side < 2; side++) {
            const from = side === 0 ? owLo : Math.max(owLo, wideHi);
            const to = side === 0 ? Math.min(owHi, wideLo) : owHi;
            if (from >= to) continue;
            const iw = from * g.strideWidth - g.padLeft + kw * g.dilationWidth;
            const d = imageBase + (ih * W + iw) * C;
            const c = rowOfPatches + from * K + (kh * KW + kw) * C;
            rowAdd(dxAt + d * 4, dxStep, colsAt + c * 4, K * 4, to - from, C >> 2, C & 3);
          }
        }
      }
    }
  }
}
