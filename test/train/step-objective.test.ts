import { describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import { buildModel } from '../../src/model/index.js';
import type { ModelSpec } from '../../src/config/experiment.js';
import { sequential } from '../model/model-spec.js';
import { stepObjective } from '../../src/train/step-objective.js';

/** A dense net on 4 features; `penalty` goes on the hidden layer as a config writes it. */
function spec(penalty?: Record<string, number>): ModelSpec {
  const hidden = penalty === undefined ? {} : { kernelRegularizer: penalty };
  return sequential(
    [4],
    [{ dense: { units: 5, activation: 'relu', ...hidden } }, { dense: { units: 3 } }],
  );
}

function objectiveOf(model: tf.LayersModel, labelSmoothing: number): number {
  const xs = tf.tensor2d([
    [0.5, -1, 2, 0],
    [1, 1, -0.5, 0.25],
  ]);
  const labels = tf.tensor1d([2, 0], 'int32');
  const { loss, correct } = stepObjective(model, xs, labels, { numClasses: 3, labelSmoothing });
  const value = loss.dataSync()[0]!;
  tf.dispose([xs, labels, loss, ...(correct ? [correct] : [])]);
  return value;
}

describe('the training objective', () => {
  it('adds l1 * sum|w| + l2 * sum w^2 of a penalised kernel to the loss', async () => {
    await tf.ready();
    const plain = buildModel(spec(), { seed: 3 });
    const penalised = buildModel(spec({ l1: 0.01, l2: 0.2 }), { seed: 3 });
    const kernel = Array.from(penalised.getLayer('dense_1').getWeights()[0]!.dataSync());
    expect(kernel).toEqual(Array.from(plain.getLayer('dense_1').getWeights()[0]!.dataSync()));
    const penalty =
      0.01 * kernel.reduce((s, w) => s + Math.abs(w), 0) +
      0.2 * kernel.reduce((s, w) => s + w * w, 0);
    expect(penalty).toBeGreaterThan(0.05);
    expect(objectiveOf(penalised, 0) - objectiveOf(plain, 0)).toBeCloseTo(penalty, 5);
    plain.dispose();
    penalised.dispose();
  });

  it("smooths the labels as PyTorch's CrossEntropyLoss(label_smoothing) does", async () => {
    await tf.ready();
    const model = buildModel(spec(), { seed: 3 });
    const xs = tf.tensor2d([
      [0.5, -1, 2, 0],
      [1, 1, -0.5, 0.25],
    ]);
    const logits = Array.from((model.predict(xs) as tf.Tensor).dataSync());
    xs.dispose();
    // -sum_c q_c log softmax(z)_c with q = y (1 - s) + s / C, averaged over the batch.
    const s = 0.3;
    const expected =
      [2, 0]
        .map((label, n) => {
          const z = logits.slice(n * 3, n * 3 + 3);
          const max = Math.max(...z);
          const logSum = Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
          return z.reduce((a, v, c) => a - ((c === label ? 1 - s : 0) + s / 3) * (v - logSum), 0);
        })
        .reduce((a, b) => a + b, 0) / 2;
    expect(objectiveOf(model, s)).toBeCloseTo(expected, 5);
    model.dispose();
  });
});
