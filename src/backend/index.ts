/**
 * backend/: which compute backend trains (tfjs-node | wasm + the runner's
 * training kernels | cpu), chosen once per process by `selectBackend`.
 */
export { selectBackend } from './select-backend.js';
export { activeSimdLoops, heapValues, uninitializedLike } from './heap-values.js';
export { ADAM_DECAY } from './kernels/simd/adam-function.js';
export { heapWeightedSum } from './heap-weighted-sum.js';
export type { BackendInfo, SelectBackendOptions } from './select-backend.js';
export {
  BACKENDS,
  BACKEND_CHOICES,
  isBackendChoice,
  type BackendChoice,
  type BackendDefinition,
  type BackendName,
} from './backends.js';
