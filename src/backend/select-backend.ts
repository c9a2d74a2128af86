import * as tf from '../tf.js';
import type { Logger } from 'pino';
import { BackendError } from '../errors.js';
import { BACKENDS, isBackendChoice, type BackendChoice, type BackendName } from './backends.js';
import { asLoadFailure, errorText, LoadFailure } from './load-failure.js';

/** Which backend runs, why, and what it computes with: recorded with every run. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Why this one: for `auto`, why each faster backend was not used. */
  readonly reason: string;
  /** The version of @tensorflow/tfjs-core in use. */
  readonly tfjsVersion: string;
  /** What computes the kernels, e.g. `wasm + runner training kernels (28), SIMD loops`. */
  readonly kernels: string;
}

export interface SelectBackendOptions {
  readonly logger?: Logger;
}

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
 * // { name: 'wasm', reason: 'tfjs-node is not installed (...)', kernels: 'wasm + runner training kernels (28), SIMD loops', ... }
 */
export async function selectBackend(
  choice: string,
  options: SelectBackendOptions = {},
): Promise<BackendInfo> {
  if (!isBackendChoice(choice)) {
    throw new BackendError(`there is no backend "${choice}"`, {
      hint: `use auto, ${BACKENDS.map((b) => b.name).join(', ')}`,
    });
  }
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

function backendNamed(name: BackendName): (typeof BACKENDS)[number] {
  const backend = BACKENDS.find((b) => b.name === name);
  if (!backend) throw new LoadFailure(`${name} is not a backend`, 'use auto');
  return backend;
}

async function choose(choice: BackendChoice, logger: Logger | undefined): Promise<BackendInfo> {
  silenceTfjsConsole();
  const tfjsVersion = tf.version_core;
  if (choice !== 'auto') {
    try {
      const loaded = await backendNamed(choice).load();
      await activate(choice, loaded.tfName);
      const kernels = loaded.describeActive?.() ?? loaded.kernels;
      logger?.debug({ backend: choice, kernels }, 'backend selected');
      return { name: choice, reason: `asked for ${choice}`, tfjsVersion, kernels };
    } catch (error) {
      const failure = asLoadFailure(error);
      throw new BackendError(`backend ${choice} was asked for, but ${failure.message}`, {
        hint: failure.hint,
        cause: error,
      });
    }
  }
  const passedOver: string[] = [];
  for (const { name, load } of BACKENDS) {
    try {
      const loaded = await load();
      await activate(name, loaded.tfName);
      const kernels = loaded.describeActive?.() ?? loaded.kernels;
      const reason =
        passedOver.length === 0
          ? `auto: ${name} is the fastest backend`
          : `auto: ${passedOver.join('; ')}; so ${name}`;
      logger?.info({ backend: name, reason, kernels }, 'backend selected');
      return { name, reason, tfjsVersion, kernels };
    } catch (error) {
      const failure = asLoadFailure(error);
      logger?.debug({ backend: name, err: error }, 'backend not available');
      // An optional package that is not installed is said short; one that fails to load, with what to do.
      passedOver.push(failure.absent ? failure.message : `${failure.message} (${failure.hint})`);
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

/** tfjs warns through `console.warn` unless `PROD` (or `IS_TEST`) is set. */
function silenceTfjsConsole(): void {
  tf.env().set('PROD', true);
}
