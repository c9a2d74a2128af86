import * as tf from '../tf.js';

/** The parts of tfjs-core's Engine (4.x) this touches; private in its typings. */
interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  backendName: string;
  readonly state: {
    readonly gradientDepth: number;
    readonly tensorInfo: WeakMap<object, { readonly backend: object }>;
  };
  findBackend(name: string): { incRef(dataId: object): void } | null;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: object): tf.Tensor;
}

/** Backends whose Identity kernel is a reference to the same data (`incRef`). */
const BY_REFERENCE = new Set(['wasm', 'cpu']);

let installed = false;

/**
 * Tensors a gradient saves, kept by reference without a kernel call.
 *
 * For every tensor a kernel saves for its gradient (and every one a
 * `customGrad` saves), tfjs-core's engine runs the `Identity` kernel and
 * records a tape node for that copy: 117 of the 306 kernel calls of one
 * training step of the tutorial net. On wasm and cpu, Identity only adds a
 * reference to the same data (the runner's wasm kernel, cpu's own), so the
 * copy is made here the same way, without the kernel's bookkeeping.
 *
 * The copy's tape node matters only to a gradient of a gradient: its output
 * feeds gradient functions only, never a recorded forward op, so with one
 * tape recording (gradient depth 1, every training step) backpropagation
 * prunes it. Inside nested gradients, on other backends, and for string and
 * complex tensors, the engine's own copy runs. Values are the same tensors.
 */
export function keepSavedTensorsByReference(): void {
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.clone.bind(engine);
  engine.clone = (x: tf.Tensor): tf.Tensor => {
    if (
      engine.state.gradientDepth !== 1 ||
      !BY_REFERENCE.has(engine.backendName) ||
      x.dtype === 'string' ||
      x.dtype === 'complex64'
    ) {
      return original(x);
    }
    const backend = engine.findBackend(engine.backendName);
    // Data still held by another backend moves on first use: leave that to the kernel.
    if (backend === null || engine.state.tensorInfo.get(x.dataId)?.backend !== backend) {
      return original(x);
    }
    backend.incRef(x.dataId);
    return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  };
  installed = true;
}
