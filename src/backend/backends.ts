import type { BackendConfigEntry } from '../config/index.js';
import type { LoadedBackend } from './load-failure.js';

/** One entry of the backend registry: what config needs, and how to load it. */
export interface BackendDefinition extends BackendConfigEntry {
  /** Loads the backend (imported lazily: `--help` loads no compute code), or throws a LoadFailure. */
  load(): Promise<LoadedBackend>;
  /** The most bytes its tensors can take, when the backend has a limit of its own beside the machine's. */
  readonly tensorMemoryLimit?: { readonly bytes: number; readonly why: string };
}

/**
 * The backend registry, in the order `backend: auto` tries: fastest first.
 * To add one, write its loader in this folder and add a line here; the
 * schema's enum, `--backend`'s choices and `BackendName` follow.
 */
export const BACKENDS = [
  {
    name: 'tfjs-node',
    description: 'native TensorFlow, when @tensorflow/tfjs-node is installed',
    load: async () => (await import('./load-tfjs-node.js')).loadTfjsNode(),
  },
  {
    name: 'wasm',
    description: "WebAssembly with the runner's training kernels",
    load: async () => (await import('./load-wasm.js')).loadWasm(),
    // tfjs-backend-wasm's emscripten heap stops growing here (getHeapMax: 4 GiB - 64 KiB).
    tensorMemoryLimit: { bytes: 4_294_901_760, why: 'what the wasm backend can address (4 GB)' },
  },
  {
    name: 'cpu',
    description: 'pure JavaScript, always available, slowest',
    load: (): Promise<LoadedBackend> =>
      Promise.resolve({ tfName: 'cpu', kernels: 'cpu (pure JavaScript)' }),
  },
] as const satisfies readonly BackendDefinition[];

/** A compute backend the runner can train on. */
export type BackendName = (typeof BACKENDS)[number]['name'];

/** What a config or `--backend` may ask for: a backend, or `auto` (the fastest that loads). */
export type BackendChoice = 'auto' | BackendName;

/** `auto` and every backend name, for `--backend`'s choices. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKENDS.map((b) => b.name)];

export function isBackendChoice(name: string): name is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(name);
}
