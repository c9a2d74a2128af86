import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import { selectBackend } from '../../src/backend/index.js';
import { FusedAdamOptimizer } from '../../src/train/optimizers/fused-adam.js';

afterAll(async () => {
  await selectBackend('wasm');
});

/** Five Adam steps on three variables with random gradients; the weights and moments after each. */
async function adamSteps(optimizer: tf.Optimizer, seed: number) {
  const shapes = [[3, 3, 1, 4], [4], [37, 5]];
  const variables = shapes.map((shape, i) =>
    tf.variable(tf.randomNormal(shape, 0, 1, 'float32', seed + i), true, `w${seed}_${i}`),
  );
  const history: number[][] = [];
  for (let step = 0; step < 5; step++) {
    const grads: tf.NamedTensorMap = {};
    variables.forEach((v, i) => {
      // Gradients over many magnitudes, zeros included (seeds from 1: tfjs takes 0 as no seed).
      grads[v.name] = tf.tidy(() =>
        tf.mul(
          tf.randomNormal(v.shape, 0, 1, 'float32', 1 + 100 * step + i),
          tf.pow(10, tf.randomUniform(v.shape, -6, 1, 'float32', 1 + 7 * step + i)),
        ),
      );
    });
    grads[variables[1]!.name] = tf.zerosLike(variables[1]!);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    history.push(variables.flatMap((v) => Array.from(v.dataSync())));
  }
  const state = (await optimizer.getWeights()).map((w) => ({
    name: w.name.replace(/^w\d+_/, 'w_'),
    values: Array.from(w.tensor.dataSync()),
  }));
  tf.dispose(variables);
  return { history, state };
}

describe.each(['wasm', 'cpu'] as const)('FusedAdamOptimizer on %s', (backend) => {
  it('updates weights and moments bit for bit as tf.train.adam, without a kernel call', async () => {
    await selectBackend(backend);
    const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const fused = new FusedAdamOptimizer(0.01, 0.9, 0.999, 1e-8);
    const expected = await adamSteps(reference, 1);
    const before = tf.memory().numTensors;
    const actual = await adamSteps(fused, 1);
    expect(actual.history).toEqual(expected.history);
    expect(actual.state.map((s) => s.name)).toEqual(expected.state.map((s) => s.name));
    expect(actual.state).toEqual(expected.state);
    // One more step, profiled: no kernel at all, and no tensor left behind.
    const v = tf.variable(tf.ones([10]), true, `w_profiled_${backend}`);
    const g = tf.fill([10], 0.5);
    const profile = await tf.profile(() => fused.applyGradients({ [v.name]: g }));
    expect(profile.kernels).toEqual([]);
    tf.dispose([v, g]);
    reference.dispose();
    fused.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });
});
