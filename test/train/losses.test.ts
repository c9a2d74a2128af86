import { describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import { LOSS_NAMES } from '../../src/config/build-experiment-schema.js';
import { LOSSES } from '../../src/train/losses.js';

describe('the loss registry', () => {
  it('has one entry for each train.loss the schema allows', () => {
    expect(Object.keys(LOSSES).sort()).toEqual([...LOSS_NAMES].sort());
    for (const [name, loss] of Object.entries(LOSSES)) expect(loss.name).toBe(name);
  });

  it.each([
    ['mse', [0.25, 4, 9]],
    ['mae', [0.5, 2, 3]],
    ['huber', [0.125, 1.5, 2.5]],
  ] as const)('%s gives the textbook value per example', async (name, expected) => {
    await tf.ready();
    const before = tf.memory().numTensors;
    const output = tf.tensor2d([[1.5], [-1], [3]]);
    const labels = tf.tensor1d([1, 1, 0]);
    // As the loop calls it: inside a tidy, which frees the intermediates.
    const values = tf.tidy(() => Array.from(LOSSES[name].perExample(output, labels, 1).dataSync()));
    expect(values).toEqual(expected);
    tf.dispose([output, labels]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
