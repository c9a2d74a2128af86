import { describe, expect, it } from 'vitest';
import * as tf from '../../src/tf.js';
import { createAdam, createSgd } from '../../src/train/update-rules/index.js';
import { activeSimdLoops, selectBackend } from '../../src/backend/index.js';
import { setSimdLoopsEnabled } from '../../src/backend/kernels/simd/simd-loops.js';
import { makeRandom, randomValues } from '../backend/kernel-check.js';

function twoSteps(rule: ReturnType<typeof createAdam>, lr: number, momentum?: number): number[] {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const g = tf.tensor1d([0.5, 0.1]);
  rule.apply([p], [g], lr, momentum);
  rule.apply([p], [g], lr, momentum);
  const out = Array.from(p.dataSync());
  tf.dispose([p, g]);
  rule.dispose();
  return out;
}

describe('update rules against hand-computed steps', () => {
  it('AdamW shrinks the weights by lr x weightDecay, then takes the Adam step', () => {
    // Step 1: p = [0.999, -1.998]; m = [0.05, 0.01], v = [2.5e-4, 1e-5]; lr/(1-0.9) = 1,
    // sqrt(v)/sqrt(1-0.999) = [0.5, 0.1], so each moves by 0.1: [0.899, -2.098].
    // Step 2: m = [0.095, 0.019], v = [4.9975e-4, 1.999e-5]; the step is again 0.1 each,
    // after p x 0.999: [0.798101, -2.195902].
    const rule = createAdam({
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      decoupled: true,
    });
    const [a, b] = twoSteps(rule, 0.1);
    expect(a).toBeCloseTo(0.798101, 5);
    expect(b).toBeCloseTo(-2.195902, 5);
  });

  it('Adam with weightDecay adds wd x p to the gradient instead (L2)', () => {
    // Step 1: g = [0.51, 0.08]: each moves by 0.1 -> [0.9, -2.1]. Step 2: g = [0.509, 0.079],
    // then m, v and the step as Adam's formulas say, in doubles.
    const rule = createAdam({
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      decoupled: false,
    });
    const [a, b] = twoSteps(rule, 0.1);
    const m = [0.9 * 0.051 + 0.1 * 0.509, 0.9 * 0.008 + 0.1 * 0.079];
    const v = [
      0.999 * 0.001 * 0.51 ** 2 + 0.001 * 0.509 ** 2,
      0.999 * 0.001 * 0.08 ** 2 + 0.001 * 0.079 ** 2,
    ];
    const step = m.map(
      (mi, i) => ((0.1 / (1 - 0.81)) * mi) / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** 2)),
    );
    expect(a).toBeCloseTo(0.9 - step[0]!, 5);
    expect(b).toBeCloseTo(-2.1 - step[1]!, 5);
  });

  it('SGD with momentum keeps a buffer that starts at the first gradient', () => {
    // b1 = g = [0.5, 0.1] -> p = [0.95, -2.01]; b2 = 0.9 b1 + g = [0.95, 0.19] -> [0.855, -2.029].
    const rule = createSgd({ momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
    const [a, b] = twoSteps(rule as ReturnType<typeof createAdam>, 0.1);
    expect(a).toBeCloseTo(0.855, 6);
    expect(b).toBeCloseTo(-2.029, 6);
  });

  it("takes a schedule's momentum (oneCycle) over its own: sgd's momentum, adam's beta1", () => {
    // SGD configured without momentum, given 0.9 by the schedule: the momentum case's numbers above.
    const sgd = createSgd({ momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
    const [a, b] = twoSteps(sgd as ReturnType<typeof createAdam>, 0.1, 0.9);
    expect(a).toBeCloseTo(0.855, 6);
    expect(b).toBeCloseTo(-2.029, 6);
    // Adam configured with beta1 0.5, given 0.9: the steps of Adam with beta1 0.9.
    const adam = (beta1: number) =>
      createAdam({ beta1, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false });
    // Two different gradients: with a constant one, Adam's bias-corrected m is g whatever beta1.
    const steps = (rule: ReturnType<typeof createAdam>, momentum?: number): number[] => {
      const p = tf.variable(tf.tensor1d([1, -2]));
      for (const values of [
        [0.5, 0.1],
        [-0.2, 0.4],
      ]) {
        const g = tf.tensor1d(values);
        rule.apply([p], [g], 0.1, momentum);
        g.dispose();
      }
      const out = Array.from(p.dataSync());
      p.dispose();
      rule.dispose();
      return out;
    };
    const cycled = steps(adam(0.5), 0.9);
    expect(cycled).toEqual(steps(adam(0.9)));
    expect(cycled).not.toEqual(steps(adam(0.5)));
  });

  it('saves and restores its state so that the next step is the same', () => {
    const settings = {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      decoupled: true,
    };
    const straight = twoSteps(createAdam(settings), 0.1);
    const first = createAdam(settings);
    const p = tf.variable(tf.tensor1d([1, -2]));
    const g = tf.tensor1d([0.5, 0.1]);
    first.apply([p], [g], 0.1);
    const saved = first.saveState();
    first.dispose();
    const second = createAdam(settings);
    second.loadState(saved);
    second.apply([p], [g], 0.1);
    expect(Array.from(p.dataSync())).toEqual(straight);
    second.dispose();
    tf.dispose([p, g]);
  });
});

describe('Adam on wasm, in its memory', () => {
  type Decay = 'none' | 'l2' | 'decoupled';
  /**
   * Five Adam steps of a conv filter used by a conv before every step, and of
   * a bias whose size is not a multiple of 4 (the SIMD loop's remainder).
   */
  async function fiveSteps(
    backend: 'wasm' | 'cpu',
    share: boolean,
    decay: Decay = 'l2',
  ): Promise<{ values: number[]; bias: number[]; alias?: number[] }> {
    await selectBackend(backend);
    const random = makeRandom(5);
    const rule = createAdam({
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: decay === 'none' ? 0 : 0.01,
      decoupled: decay === 'decoupled',
    });
    const shape = [3, 3, 7, 16] as const;
    const size = 3 * 3 * 7 * 16;
    const p = tf.tidy(() => tf.variable(tf.tensor(randomValues(random, size), [...shape])));
    const bias = tf.tidy(() => tf.variable(tf.tensor1d(randomValues(random, 7))));
    const x = tf.tensor(randomValues(random, 2 * 6 * 6 * 7), [2, 6, 6, 7]);
    const before = Array.from(p.dataSync());
    // A tensor on the same data (wasm's Identity shares it): it must keep its values.
    const alias = share ? tf.clone(p) : undefined;
    for (let step = 0; step < 5; step++) {
      // The conv sees the filter's current values (wasm caches XNNPACK operators by filter).
      const conv = tf.conv2d(x as tf.Tensor4D, p as tf.Tensor4D, 1, 'same');
      const fresh = tf.tensor(p.dataSync(), [...shape]);
      const reference = tf.conv2d(x as tf.Tensor4D, fresh as tf.Tensor4D, 1, 'same');
      expect(Array.from(conv.dataSync())).toEqual(Array.from(reference.dataSync()));
      tf.dispose([conv, fresh, reference]);
      const g = tf.tensor(randomValues(random, size), [...shape]);
      const gb = tf.tensor1d(randomValues(random, 7));
      rule.apply([p, bias], [g, gb], 0.01);
      tf.dispose([g, gb]);
    }
    const out = {
      values: Array.from(p.dataSync()),
      bias: Array.from(bias.dataSync()),
      ...(alias === undefined ? {} : { alias: Array.from(alias.dataSync()) }),
    };
    expect(out.values).not.toEqual(before);
    if (alias !== undefined) expect(out.alias).toEqual(before);
    tf.dispose([p, bias, x, ...(alias === undefined ? [] : [alias])]);
    rule.dispose();
    return out;
  }

  /** Index of the first value that differs in its bits (Object.is), or -1. */
  const firstDifference = (a: readonly number[], b: readonly number[]): number =>
    a.length !== b.length ? 0 : a.findIndex((v, i) => !Object.is(v, b[i]));

  it('gives the values of the copying pass bit for bit (cpu), convs see them, shared data is left alone', async () => {
    const cpu = await fiveSteps('cpu', false);
    const before = tf.memory().numTensors;
    const wasm = await fiveSteps('wasm', false);
    expect(tf.memory().numTensors).toBe(before);
    const shared = await fiveSteps('wasm', true);
    expect(firstDifference(wasm.values, cpu.values)).toBe(-1);
    expect(firstDifference(wasm.bias, cpu.bias)).toBe(-1);
    expect(shared.values).toEqual(cpu.values);
  });

  it.each<Decay>(['none', 'l2', 'decoupled'])(
    'its SIMD loop and its JavaScript loop give the same values bit for bit (weight decay: %s)',
    async (decay) => {
      await selectBackend('wasm');
      expect(activeSimdLoops()).not.toBeNull();
      const simd = await fiveSteps('wasm', false, decay);
      setSimdLoopsEnabled(false);
      try {
        expect(activeSimdLoops()).toBeNull();
        const js = await fiveSteps('wasm', false, decay);
        expect(firstDifference(simd.values, js.values)).toBe(-1);
        expect(firstDifference(simd.bias, js.bias)).toBe(-1);
      } finally {
        setSimdLoopsEnabled(true);
      }
      const cpu = await fiveSteps('cpu', false, decay);
      expect(firstDifference(simd.values, cpu.values)).toBe(-1);
      expect(firstDifference(simd.bias, cpu.bias)).toBe(-1);
    },
  );
});
