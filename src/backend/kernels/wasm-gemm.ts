import { BatchMatMul, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import { shapeBytes, wasmDataId, wasmFunction } from './wasm-tensors.js';

/** wasm's exported C `BatchMatMul`, bound in a kernel's setup. */
export type WasmGemm = (...args: unknown[]) => void;

export function bindWasmGemm(backend: object): WasmGemm {
  return wasmFunction(backend as BackendWasm, BatchMatMul, [
    'number', // a_id
    'array', // a_shape
    'number', // a_shape_length
    'number', // b_id
    'array', // b_shape
    'number', // b_shape_length
    'number', // transpose_a
    'number', // transpose_b
    'number', // out_id
  ]);
}

/**
 * out = a x b for row-major [batchA, m, k] and [batchB, k, n] data, no
 * transposes. With both batches 1 this is XNNPACK's fully-connected
 * operator (b packed as its weights); otherwise wasm's blocked loop.
 */
export function runWasmGemm(
  gemm: WasmGemm | undefined,
  backend: BackendWasm,
  a: TensorInfo,
  aShape: readonly [number, number, number],
  b: TensorInfo,
  bShape: readonly [number, number, number],
  out: TensorInfo,
): void {
  if (gemm === undefined) throw new InternalError('wasm GEMM used before its kernel was set up');
  gemm(
    wasmDataId(backend, a),
    shapeBytes(aShape),
    3,
    wasmDataId(backend, b),
    shapeBytes(bShape),
    3,
    false,
    false,
    wasmDataId(backend, out),
  );
}
