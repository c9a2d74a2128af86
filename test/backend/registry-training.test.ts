import * as tf from '../../src/tf.js';
import { describe, expect, it } from 'vitest';
import { buildModel, LAYERS, planModel, quietTf } from '../../src/model/index.js';
import { createOptimizer } from '../../src/train/optimizers/index.js';
import { stepObjective } from '../../src/train/step-objective.js';
import { trainStep } from '../../src/train/train-step.js';
import { exampleModel } from '../model/layer-examples.js';
import { makeRandom, randomValues, useBackend, type CheckedBackend } from './kernel-check.js';

const STEPS = 3;
const BATCH = 6;

interface Trained {
  /** Gradients of the first step's objective, per trainable weight, at the shared start. */
  readonly gradients: Float32Array[];
  /** The objective of each of STEPS SGD steps. */
  readonly losses: number[];
}

/**
 * Builds the example's model on `backend` with `weights` (the same start on
 * both backends), takes the gradients of one step's objective, then trains
 * STEPS steps of SGD on the same batch, as the training loop does.
 */
async function train(
  backend: CheckedBackend,
  example: ReturnType<typeof exampleModel>,
  weights: readonly tf.Tensor[] | undefined,
  xs: Float32Array,
  labels: Int32Array,
  classes: number,
): Promise<Trained & { start: tf.Tensor[] }> {
  await useBackend(backend);
  const model = buildModel(example, { seed: 3 });
  if (weights !== undefined) model.setWeights(weights.map((w) => tf.tensor(w.dataSync(), w.shape)));
  const start = model.getWeights().map((w) => tf.tensor(w.dataSync(), w.shape));
  const x = tf.tensor(xs, [BATCH, ...example.input!]);
  const y = tf.tensor1d(labels, 'int32');
  const settings = {
    numClasses: classes,
    labelSmoothing: 0,
    gradientClipping: undefined,
    learningRate: 0.05,
    momentum: undefined,
  };
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const gradients = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => stepObjective(model, x, y, settings).loss, variables);
    return variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
  });
  const rule = createOptimizer({ type: 'sgd', learningRate: 0.05, options: {} });
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++)
    losses.push(trainStep(model, rule, variables, x, y, settings).loss);
  tf.dispose([x, y]);
  model.dispose();
  return { gradients, losses, start };
}

/** Largest difference relative to the largest reference value (at least 1e-3). */
function relative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1e-3;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i] as number));
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return worst / scale;
}

// Every example of every layer kind the registry carries, trained on wasm (with the
// runner's kernels, fused ones included) against the cpu backend's reference.
const CASES = LAYERS.flatMap((definition) =>
  definition.examples.map((args, i) => [definition.kind, i, definition, args] as const),
);

describe('every layer registry example trains on wasm as on cpu', () => {
  it.each(CASES)('%s, example %i', async (_kind, index, definition, args) => {
    quietTf();
    // A dense head on top, so that kinds without weights (flatten, pools) have some to train.
    const around = exampleModel(definition, args);
    const example = {
      ...around,
      nodes: [
        ...around.nodes,
        {
          ...around.nodes.at(-1)!,
          name: 'head',
          kind: 'dense',
          inputs: [around.output],
          spec: { units: 3 },
        },
      ],
      output: 'head',
    };
    const classes = planModel(example).outputShape[1] ?? 3;
    const random = makeRandom(97 + index);
    const xs = randomValues(random, BATCH * example.input!.reduce((a, b) => a * b, 1));
    const labels = Int32Array.from({ length: BATCH }, (_, i) => i % classes);
    const cpu = await train('cpu', example, undefined, xs, labels, classes);
    const wasm = await train('wasm', example, cpu.start, xs, labels, classes);
    tf.dispose(cpu.start);
    tf.dispose(wasm.start);
    const label = `${definition.kind} ${JSON.stringify(args)}`;
    expect(wasm.gradients.length, label).toBe(cpu.gradients.length);
    expect(cpu.gradients.length, `${label} has weights to train`).toBeGreaterThan(0);
    wasm.gradients.forEach((g, i) =>
      expect(relative(g, cpu.gradients[i]!), `${label}: gradient ${i}`).toBeLessThan(1e-3),
    );
    expect(cpu.losses.every(Number.isFinite), label).toBe(true);
    // The loss moves (SGD on one batch), and wasm follows cpu step for step.
    expect(cpu.losses[STEPS - 1], label).not.toBe(cpu.losses[0]);
    expect(relative(wasm.losses, cpu.losses), `${label}: losses`).toBeLessThan(1e-4);
  });
});
