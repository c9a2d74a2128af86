import * as tf from '../../tf.js';

/** One replica's forward and backward pass over its share of a batch. */
export interface ShareGradients {
  /** Mean softmax cross-entropy over the share. */
  readonly loss: number;
  readonly correct: number;
  /** Gradients of the mean loss, in the order of the variables given. */
  readonly grads: tf.Tensor[];
}

/**
 * The gradients of the share's mean loss with respect to `variables`, as the
 * single-worker step computes them (softmax cross-entropy on the logits,
 * argmax over the class axis), without updating anything. The caller owns
 * (and disposes) the gradient tensors.
 */
export function computeShareGradients(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  xs: tf.Tensor4D,
  labels: tf.Tensor1D,
  numClasses: number,
): ShareGradients {
  let correct: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
    const oneHot = tf.oneHot(labels, numClasses);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  }, variables as tf.Variable[]);
  const loss = value.dataSync()[0]!;
  const correctCount = correct!.dataSync()[0]!;
  value.dispose();
  correct!.dispose();
  return { loss, correct: correctCount, grads: variables.map((v) => grads[v.name]!) };
}
