import * as tf from '../../tf.js';

/**
 * ELU with any alpha: x for x > 0, alpha * (exp(x) - 1) below. tfjs's own
 * ELU layer refuses alpha != 1 ("not supported ... yet"), so this small
 * layer computes it from tf ops (which carry their gradients).
 *
 * To load a saved model that uses it with `tf.loadLayersModel`, call
 * `registerRunnerLayers()` first (registration is explicit, never an
 * import side effect).
 */
export class ScaledElu extends tf.layers.Layer {
  static readonly className = 'RunnerScaledElu';
  private readonly alpha: number;

  constructor(args: { alpha: number; name: string }) {
    super({ name: args.name });
    this.alpha = args.alpha;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      // elu(x) is exp(x) - 1 below zero; scale only that part.
      const elu = tf.elu(x);
      return tf.where(tf.greater(x, 0), elu, tf.mul(elu, this.alpha));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }

  override getClassName(): string {
    return ScaledElu.className;
  }
}
