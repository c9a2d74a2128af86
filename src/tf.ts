/**
 * The TensorFlow.js surface the runner uses: core, layers and the pure-JS cpu
 * backend, without the `@tensorflow/tfjs` umbrella (which also pulls webgl,
 * converter and data, none of which a Node trainer loads).
 *
 * @example
 * import * as tf from '../tf.js';
 * const x = tf.tensor2d([[1, 2]]);
 */
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
