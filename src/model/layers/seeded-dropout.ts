import * as tf from '../../tf.js';

/**
 * Dropout whose masks are reproducible from a seed and differ every step.
 * tfjs's own Dropout layer, given a `seed`, draws the *same* mask on every
 * call (it reseeds its generator each time), which is no dropout at all;
 * without a seed its masks cannot be reproduced. This layer seeds call n
 * with `seed + n`: the same run seed gives the same sequence of masks.
 *
 * Saved models name it a standard tfjs `Dropout` (same `rate`): the two
 * differ only in how training draws masks, and a loaded model (inference,
 * where dropout passes values through) behaves the same. So a saved model
 * loads with plain `tf.loadLayersModel`, no registration needed.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'RunnerSeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: { rate: number; seed: number; name: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  /** Masks drawn so far: the generator's whole state, saved in training checkpoints. */
  get drawnMasks(): number {
    return this.calls;
  }

  set drawnMasks(count: number) {
    this.calls = count;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return tf.clone(x);
    const seed = this.seed + this.calls;
    this.calls += 1;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  /** tfjs `Dropout`'s own config keys, so the saved layer loads as one. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, noiseShape: null };
  }

  override getClassName(): string {
    return 'Dropout';
  }
}
