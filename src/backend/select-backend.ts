import * as tf from '../tf.js';
import type { Logger } from 'pino';
import type { BackendChoice } from '../config/experiment.js';
import { BackendError } from '../errors.js';
import { registerWasmTrainingKernels } from './register-kernels.js';

/** A compute backend the runner can train on, fastest first. */
export type BackendName = 'tfjs-node' | 'wasm' | 'cpu';

/** Which backend runs, why, and what it computes with: recorded with every run. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Why this one: for `auto`, why each faster backend was not used. */
  readonly reason: string;
  /** The version of @tensorflow/tfjs-core in use. */
  readonly tfjsVersion: string;
  /** What computes the kernels, e.g. `wasm + runner training kernels (12)`. */
  readonly kernels: string;
}

export interface SelectBackendOptions {
  readonly logger?: Logger;
}

/** What one backend's loader produces when it works. */
interface LoadedBackend {
  /** The name tfjs knows the backend by (`tensorflow` for tfjs-node). */
  readonly tfName: string;
  readonly kernels: string;
}

/** Why a loader could not load its backend, with what the user can do. */
class LoadFailure extends Error {
  readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.hint = hint;
  }
}

const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

const LOADERS: Record<BackendName, () => Promise<LoadedBackend>> = {
  'tfjs-node': loadTfjsNode,
  wasm: loadWasm,
  cpu: loadCpu,
};

/** The order `auto` tries: fastest first. */
const AUTO_ORDER: readonly BackendName[] = ['tfjs-node', 'wasm', 'cpu'];

/** Results per choice: selecting is idempotent, and loading is attempted once. */
const selections = new Map<BackendChoice, Promise<BackendInfo>>();

/**
 * Activates the compute backend for training and says which one runs and why.
 *
 * `auto` takes tfjs-node when it is installed and loads, else wasm with the
 * runner's training kernels, else the pure-JS cpu backend; the `reason` names
 * why each faster one was not used. An explicit choice that cannot load throws
 * a `BackendError` with a hint. Calling it again with the same choice returns
 * the same result (and re-activates that backend if another was set since).
 *
 * tfjs's own console messages (the "looks like you are running TensorFlow.js
 * in Node.js" banner) are silenced through its `PROD` flag: library code must
 * not print.
 *
 * @example
 * const info = await selectBackend('auto', { logger });
 * // { name: 'wasm', reason: 'tfjs-node is not installed (...)', kernels: 'wasm + runner training kernels (12)', ... }
 */
export async function selectBackend(
  choice: BackendChoice,
  options: SelectBackendOptions = {},
): Promise<BackendInfo> {
  let selection = selections.get(choice);
  if (selection === undefined) {
    selection = choose(choice, options.logger);
    selections.set(choice, selection);
    // A failed explicit choice may be retried (after an install, say).
    selection.catch(() => selections.delete(choice));
  }
  const info = await selection;
  await activate(info.name, info.name === 'tfjs-node' ? 'tensorflow' : info.name);
  return info;
}

async function choose(choice: BackendChoice, logger: Logger | undefined): Promise<BackendInfo> {
  silenceTfjsConsole();
  const tfjsVersion = tf.version_core;
  if (choice !== 'auto') {
    try {
      const loaded = await LOADERS[choice]();
      await activate(choice, loaded.tfName);
      logger?.debug({ backend: choice, kernels: loaded.kernels }, 'backend selected');
      return { name: choice, reason: `asked for ${choice}`, tfjsVersion, kernels: loaded.kernels };
    } catch (error) {
      const failure = asLoadFailure(error);
      throw new BackendError(`backend ${choice} was asked for, but ${failure.message}`, {
        hint: failure.hint,
        cause: error,
      });
    }
  }
  const passedOver: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const loaded = await LOADERS[name]();
      await activate(name, loaded.tfName);
      const reason =
        passedOver.length === 0
          ? `auto: ${name} is the fastest backend`
          : `auto: ${passedOver.join('; ')}; so ${name}`;
      logger?.info({ backend: name, reason, kernels: loaded.kernels }, 'backend selected');
      return { name, reason, tfjsVersion, kernels: loaded.kernels };
    } catch (error) {
      const failure = asLoadFailure(error);
      logger?.debug({ backend: name, err: error }, 'backend not available');
      passedOver.push(`${failure.message} (${failure.hint})`);
    }
  }
  throw new BackendError(`no compute backend could be loaded: ${passedOver.join('; ')}`, {
    hint: 'reinstall the dependencies with `npm install`',
  });
}

/** Makes `tfName` the active backend, or throws a LoadFailure saying why not. */
async function activate(name: BackendName, tfName: string): Promise<void> {
  // setBackend also runs every registered kernel's setupFunc, which kernels
  // registered after the backend was first initialised rely on.
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (error) {
    throw new LoadFailure(
      `${name} failed to initialise (${errorText(error)})`,
      'reinstall the dependencies with `npm install`',
      error,
    );
  }
  if (!ok) {
    throw new LoadFailure(
      `${name} failed to initialise`,
      'reinstall the dependencies with `npm install`',
    );
  }
  await tf.ready();
}

async function loadTfjsNode(): Promise<LoadedBackend> {
  // The C++ core logs CPU feature notes to stderr unless told otherwise.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  let tfjsNode: { version?: Record<string, string> };
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the
    // optional package at build time.
    const specifier: string = TFJS_NODE_PACKAGE;
    tfjsNode = (await import(specifier)) as { version?: Record<string, string> };
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new LoadFailure(
        'tfjs-node is not installed',
        `npm install ${TFJS_NODE_PACKAGE} on a machine that can download libtensorflow, ` +
          'or point TFJS_NODE_CDN_STORAGE at a mirror of storage.googleapis.com',
        error,
      );
    }
    throw new LoadFailure(
      `tfjs-node is installed but does not load (${errorText(error)})`,
      `reinstall it with \`npm rebuild ${TFJS_NODE_PACKAGE}\` where libtensorflow can be downloaded`,
      error,
    );
  }
  // tfjs-node registers its backend in the tfjs-core it imports; when npm
  // gave it a copy of its own, ours never sees the backend.
  if (tf.findBackendFactory('tensorflow') === null) {
    const theirs = tfjsNode.version?.['tfjs-core'] ?? 'another version';
    throw new LoadFailure(
      `tfjs-node loads a separate @tensorflow/tfjs-core (${theirs}) from the runner's (${tf.version_core})`,
      `install the matching version: npm install ${TFJS_NODE_PACKAGE}@${tf.version_core}`,
    );
  }
  const nodeVersion = tfjsNode.version?.['tfjs-node'];
  return {
    tfName: 'tensorflow',
    kernels: `tfjs-node${nodeVersion === undefined ? '' : ` ${nodeVersion}`} (native TensorFlow)`,
  };
}

async function loadWasm(): Promise<LoadedBackend> {
  try {
    // Importing the package registers the `wasm` backend factory and its kernels.
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new LoadFailure(
      `wasm does not load (${errorText(error)})`,
      'reinstall @tensorflow/tfjs-backend-wasm with `npm install`',
      error,
    );
  }
  const count = registerWasmTrainingKernels();
  return { tfName: 'wasm', kernels: `wasm + runner training kernels (${count})` };
}

async function loadCpu(): Promise<LoadedBackend> {
  // The cpu backend ships with @tensorflow/tfjs itself.
  await Promise.resolve();
  return { tfName: 'cpu', kernels: 'cpu (pure JavaScript)' };
}

/** tfjs warns through `console.warn` unless `PROD` (or `IS_TEST`) is set. */
function silenceTfjsConsole(): void {
  tf.env().set('PROD', true);
}

function asLoadFailure(error: unknown): LoadFailure {
  if (error instanceof LoadFailure) return error;
  return new LoadFailure(
    `it failed (${errorText(error)})`,
    'reinstall the dependencies with `npm install`',
    error,
  );
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only the package itself missing counts; a missing file inside it is a broken install.
  return errorText(error).includes(`'${TFJS_NODE_PACKAGE}'`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
