import * as tf from '../tf.js';

/**
 * Silences tfjs's console output (the cpu backend's "looks like you are
 * running TensorFlow.js in Node.js" banner and other warnings): library code
 * must not print. It sets the `PROD` flag (tf.enableProdMode), which in
 * tfjs-core only gates `console.warn`/`console.log` from tfjs itself.
 */
export function quietTf(): void {
  tf.enableProdMode();
}
