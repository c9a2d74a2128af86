import type { ConvLoops } from './conv-loops.js';

/**
 * out[outAt + m N + n] = sum over k of A[m, k] B[k, n] for row-major A [M, K]
 * and B [K, N] at byte addresses `aAt` and `bAt` of the wasm memory, by
 * {@link ConvLoops.outer4x8}: four rows of A by eight columns of B per call,
 * straight from the tensors, no packing. XNNPACK's GEMM packs its B operand
 * into a new operator for every B it has not seen, which costs more than the
 * product when B is fresh each step (a dense layer's weights after an
 * update, an activation's gradient): [32, 400] x [400, 120] took 0.71 ms
 * with a fresh B, 0.14 with a cached one, 0.11 here. Each sum runs over K
 * in order, multiply then add, as XNNPACK's does: the same values bit for
 * bit. The loop reads up to 3 rows past A's last and 8 floats past B's
 * last: call {@link outerProductFits} first. `sums`: a float32 scratch of
 * 32 values in the same memory.
 */
export function outerProductInto(
  loops: ConvLoops,
  sums: Float32Array,
  aAt: number,
  bAt: number,
  M: number,
  K: number,
  N: number,
  out: Float32Array,
  outAt = 0,
): void {
  for (let m = 0; m < M; m += 4) {
    for (let c = 0; c < N; c += 8) {
      loops.outer4x8(sums.byteOffset, aAt + m * K * 4, K * 4, bAt + c * 4, N * 4, K);
      const rows = Math.min(4, M - m);
      const columns = Math.min(8, N - c);
      for (let r = 0; r < rows; r++) {
        const at = outAt + (m + r) * N + c;
        for (let j = 0; j < columns; j++) out[at + j] = sums[8 * r + j]!;
      }
    }
  }
}

/** Whether {@link outerProductInto}'s reads past A and B stay inside a memory of `bytes`. */
export function outerProductFits(
  bytes: number,
  aAt: number,
  bAt: number,
  M: number,
  K: number,
  N: number,
): boolean {
  return aAt + Math.ceil(M / 4) * 4 * K * 4 <= bytes && bAt + (K * N + 8) * 4 <= bytes;
}
