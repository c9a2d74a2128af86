// Your own TensorFlow.js training loop, recorded by runner: the run shows up in
// `runner runs ls`, `runner runs show last`, `runner query` and live in `runner serve`.
//
//   node examples/custom-loop.mjs            # into runs/runner.db (or $RUNNER_DB)
//   npx runner runs show last
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { startRun } from 'tfjs-experiment-runner';

const config = { learningRate: 0.1, steps: Number(process.env.STEPS ?? 200), batchSize: 32 };

// A logistic regression on two noisy clusters, with a hand-written step.
tf.env().set('PROD', true); // no "install tfjs-node" banner
await tf.setBackend('cpu');
const w = tf.variable(tf.zeros([2, 1]));
const b = tf.variable(tf.zeros([1]));
const optimizer = tf.train.adam(config.learningRate);
const batch = (step) =>
  tf.tidy(() => {
    const labels = tf.round(tf.randomUniform([config.batchSize, 1], 0, 1, 'float32', step));
    const centres = tf.tile(tf.sub(tf.mul(labels, 2), 1), [1, 2]);
    const xs = tf.add(centres, tf.randomNormal([config.batchSize, 2], 0, 0.8, 'float32', step));
    return { xs, labels };
  });

const run = await startRun({ name: 'custom-loop', config, tags: ['custom-loop'] });
try {
  for (let step = 1; step <= config.steps; step++) {
    const { xs, labels } = batch(step);
    let accuracy = 0;
    const loss = optimizer.minimize(() => {
      const logits = tf.add(tf.matMul(xs, w), b);
      accuracy = tf.tidy(
        () =>
          tf
            .mean(tf.cast(tf.equal(tf.greater(logits, 0), tf.greater(labels, 0.5)), 'float32'))
            .dataSync()[0],
      );
      return tf.losses.sigmoidCrossEntropy(labels, logits);
    }, true);
    run.log(step, { 'train/loss': loss.dataSync()[0], 'train/accuracy': accuracy });
    tf.dispose([xs, labels, loss]);
  }
  await run.finish('completed');
  console.log(`recorded run ${run.id} in ${run.storePath}`);
} catch (error) {
  await run.finish('failed', String(error));
  throw error;
}
