import { BatchMatMul, type TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';
import { wasmDataId, wasmExport, wasmShapes, type WasmExport } from './wasm-tensors.js';

/** wasm's exported C `BatchMatMul`, bound in a kernel's setup. */
export type WasmGemm = WasmExport;

export function bindWasmGemm(backend: object): WasmGemm {
  return wasmExport(backend as BackendWasm, BatchMatMul);
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
  const [aShapeAt, bShapeAt] = wasmShapes(backend, aShape, bShape) as [number, number];
  gemm(
    wasmDataId(backend, a),
    aShapeAt,
    3,
    wasmDataId(backend, b),
    bShapeAt,
    3,
    0,
    0,
    wasmDataId(backend, out),
  );
}
