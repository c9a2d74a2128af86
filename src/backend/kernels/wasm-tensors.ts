import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '../../tf.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { InternalError } from '../../errors.js';

/**
 * What every runner kernel for `wasm` needs: the backend, its named inputs,
 * and views of tensors in the wasm heap. Kernels read and write the heap in
 * place; views are taken after the last allocation of a call, because an
 * allocation can grow (and so replace) the heap's buffer.
 */
export interface WasmKernelArgs {
  readonly inputs: NamedTensorInfoMap;
  readonly backend: object;
  readonly attrs?: NamedAttrMap;
}

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export function wasmBackendOf(args: WasmKernelArgs): BackendWasm {
  return args.backend as BackendWasm;
}

/** The input named `name`, which tfjs guarantees for the kernel it calls. */
export function inputOf(args: WasmKernelArgs, name: string, kernel: string): TensorInfo {
  const input = args.inputs[name];
  if (input === undefined) throw new InternalError(`${kernel}: input "${name}" is missing`);
  return input;
}

export function attrsOf<T>(args: WasmKernelArgs): T {
  return (args.attrs ?? {}) as unknown as T;
}

/** A view of `info`'s data in the wasm heap (float32, int32 or bool). */
export function heapView(backend: BackendWasm, info: TensorInfo): TypedArray {
  return backend.typedArrayFromHeap(info) as TypedArray;
}

/** A float32 view of `info`'s data in the wasm heap. */
export function heapFloats(backend: BackendWasm, info: TensorInfo, kernel: string): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) {
    throw new InternalError(`${kernel}: expected a float32 tensor, found ${info.dtype}`);
  }
  return view;
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** The part of the Emscripten module the runner's kernels call. */
interface EmscriptenCalls {
  cwrap(name: string, returnType: null, argTypes: readonly string[]): (...args: unknown[]) => void;
}

/**
 * A JavaScript handle on one of the wasm module's exported C functions (the
 * same ones wasm's own kernels call, e.g. `BatchMatMul`), for use in a
 * kernel's `setupFunc`.
 */
export function wasmFunction(
  backend: BackendWasm,
  name: string,
  argTypes: readonly string[],
): (...args: unknown[]) => void {
  return (backend.wasm as unknown as EmscriptenCalls).cwrap(name, null, argTypes);
}

/** The id the wasm module knows a tensor's data by. */
export function wasmDataId(backend: BackendWasm, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new InternalError('tensor data is not in the wasm backend');
  return data.id;
}

/** An int32 shape as the byte array the wasm module's C functions take. */
export function shapeBytes(shape: readonly number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** A C function exported by the wasm module, called directly (numbers in, nothing out). */
export type WasmExport = (...args: number[]) => void;

/**
 * The wasm module's raw export `_<name>`: called with numbers only, it skips
 * `cwrap`'s argument marshalling (5 us a call against 0.75 us, which adds
 * up over the hundreds of small kernels of a training step). Array
 * arguments go through `wasmShapes`.
 */
export function wasmExport(backend: BackendWasm, name: string): WasmExport {
  const fn = (backend.wasm as unknown as Record<string, unknown>)[`_${name}`];
  if (typeof fn !== 'function') throw new InternalError(`the wasm module exports no ${name}`);
  return fn as WasmExport;
}

/** Room for the shapes of one call: 4 shapes of rank 8. */
const SHAPE_SLOTS = 4;
const MAX_RANK = 8;
const shapeScratch = new WeakMap<BackendWasm, number>();

/**
 * Writes `shapes` (int32) into a buffer in wasm memory kept for the purpose
 * and returns a pointer to each, for a `wasmExport` call made before the
 * next `wasmShapes` call.
 */
export function wasmShapes(
  backend: BackendWasm,
  ...shapes: readonly (readonly number[])[]
): number[] {
  const module = backend.wasm as unknown as { _malloc(bytes: number): number; HEAP32: Int32Array };
  let scratch = shapeScratch.get(backend);
  if (scratch === undefined) {
    scratch = module._malloc(SHAPE_SLOTS * MAX_RANK * 4);
    shapeScratch.set(backend, scratch);
  }
  if (shapes.length > SHAPE_SLOTS || shapes.some((s) => s.length > MAX_RANK)) {
    throw new InternalError(`wasm call with shapes beyond ${SHAPE_SLOTS} of rank ${MAX_RANK}`);
  }
  // HEAP32 is the module's current view: it is replaced when the memory grows.
  const heap = module.HEAP32;
  return shapes.map((shape, slot) => {
    const at = scratch + slot * MAX_RANK * 4;
    heap.set(shape, at >> 2);
    return at;
  });
}
