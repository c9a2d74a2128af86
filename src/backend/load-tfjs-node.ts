import * as tf from '../tf.js';
import { errorText, LoadFailure, type LoadedBackend } from './load-failure.js';

const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

/** tfjs-node: native TensorFlow, when the optional package is installed and loads. */
export async function loadTfjsNode(): Promise<LoadedBackend> {
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
        { absent: true },
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

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only the package itself missing counts; a missing file inside it is a broken install.
  return errorText(error).includes(`'${TFJS_NODE_PACKAGE}'`);
}
