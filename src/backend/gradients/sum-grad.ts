import * as tf from '../../tf.js';
import { Sum, type GradConfig, type NamedAttrMap, type Tensor } from '../../tf.js';

/**
 * The gradient of `Sum` as the upstream gradient broadcast (a `Tile`) to the
 * input's shape, in float32. tfjs-core's own multiplies it by a full-size
 * `ones(x.shape)` array built in JavaScript. Same values, bit for bit:
 * dy * 1 = dy.
 */
export const sumGradConfig: GradConfig = {
  kernelName: Sum,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    if (x === undefined || Array.isArray(dy)) throw new Error('Sum gradient: unexpected inputs');
    const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
    const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return {
      x: () => tf.broadcastTo(tf.cast(tf.reshape(dy, keptShape), 'float32'), x.shape),
    };
  },
};
