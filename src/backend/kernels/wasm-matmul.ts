import type { TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { shapeBytes, wasmDataId, wasmFunction } from './wasm-tensors.js';

/** wasm's exported C function behind its `BatchMatMul` kernel, bound once per backend instance. */
const nativeBatchMatMuls = new WeakMap<BackendWasm, (...args: unknown[]) => void>();

function nativeBatchMatMul(backend: BackendWasm): (...args: unknown[]) => void {
  let fn = nativeBatchMatMuls.get(backend);
  if (fn === undefined) {
    // a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a, transpose_b, out_id
    fn = wasmFunction(backend, 'BatchMatMul', [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]);
    nativeBatchMatMuls.set(backend, fn);
  }
  return fn;
}

/**
 * C = A x B for row-major A [M, K] and B [K, N], by the C function behind
 * wasm's `BatchMatMul` (XNNPACK's fully-connected operator) with no transpose
 * flag: wasm's transposed path is a naive loop, 8-17x slower than operands
 * laid out beforehand. Called directly rather than through the kernel
 * registry, so that it does not depend on which `BatchMatMul` kernel is
 * registered, nor through the engine (a kernel must not run ops). The caller
 * owns the returned [M, N] tensor.
 *
 * @example
 * const product = matMulWasm(backend, cols, dy, K, P, CO); // [K, P] x [P, CO]
 */
export function matMulWasm(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  const out = backend.makeOutput([m, n], 'float32');
  nativeBatchMatMul(backend)(
    wasmDataId(backend, a),
    shapeBytes([1, m, k]),
    3,
    wasmDataId(backend, b),
    shapeBytes([1, k, n]),
    3,
    false,
    false,
    wasmDataId(backend, out),
  );
  return out;
}
