import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import { heapWeightedSum } from '../../src/backend/index.js';
import { setSimdLoopsEnabled } from '../../src/backend/kernels/simd/simd-loops.js';
import { useBackend } from './kernel-check.js';

/** What the replica pool's JavaScript loop stores: float64 products and sum, rounded once by the Float32Array. */
function expected(a: Float32Array, b: Float32Array, wa: number, wb: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let j = 0; j < a.length; j++) out[j] = wa * a[j]! + wb * b[j]!;
  return out;
}

/** Values that stress the rounding: wide exponents, subnormals, signed zeros, halfway-ish mantissas. */
function awkwardValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let j = 0; j < n; j++) {
    const kind = j % 7;
    if (kind === 0) out[j] = (next() - 0.5) * 2 ** (Math.floor(next() * 60) - 30);
    else if (kind === 1) out[j] = (next() - 0.5) * 1e-39;
    else if (kind === 2) out[j] = j % 2 === 0 ? 0 : -0;
    else out[j] = 1 + next() * 2 ** -20;
  }
  return out;
}

describe('heapWeightedSum', () => {
  beforeAll(async () => useBackend('wasm'));
  afterAll(() => setSimdLoopsEnabled(true));

  it('writes w0 a + w1 b into the targets as the float32 JavaScript loop rounds it, bit for bit', () => {
    // Sizes with and without a remainder past the 4-float groups, and one of a single value.
    const shapes = [[3, 3, 1, 6], [6], [1], [13, 7]];
    const sizes = shapes.map((s) => s.reduce((x, y) => x * y, 1));
    const total = sizes.reduce((x, y) => x + y, 0);
    const other = awkwardValues(total + 5, 2);
    // Uneven shares (7 examples as 4 + 3), as the pool weighs them.
    const [w0, w1] = [4 / 7, 3 / 7];
    const own = shapes.map((s, k) => tf.tensor(awkwardValues(sizes[k]!, 10 + k), s, 'float32'));
    const before = own.map((t) => t.dataSync().slice() as Float32Array);
    expect(heapWeightedSum(own, w0, other, w1)).toBe(true);
    let offset = 0;
    own.forEach((t, k) => {
      const theirs = other.subarray(offset, offset + sizes[k]!);
      const want = new Uint32Array(expected(before[k]!, theirs, w0, w1).buffer);
      expect(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)).toEqual(want);
      offset += sizes[k]!;
    });
    tf.dispose(own);
  });

  it('writes nothing and says so without the SIMD loops, or when a target shares its data', () => {
    const a = tf.tensor([1, 2, 3, 4, 5], [5], 'float32');
    const other = new Float32Array([1, 1, 1, 1, 1]);
    setSimdLoopsEnabled(false);
    expect(heapWeightedSum([a], 0.5, other, 0.5)).toBe(false);
    setSimdLoopsEnabled(true);
    const shared = tf.reshape(a, [5, 1]);
    expect(heapWeightedSum([a], 0.5, other, 0.5)).toBe(false);
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3, 4, 5]);
    tf.dispose([a, shared]);
  });

  it('rejects a flat buffer shorter than its targets', () => {
    const a = tf.zeros([8]);
    expect(() => heapWeightedSum([a], 0.5, new Float32Array(7), 0.5)).toThrow(
      /expected 8 other values, found 7/,
    );
    a.dispose();
  });
});
