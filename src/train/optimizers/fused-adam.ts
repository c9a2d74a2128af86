import * as tf from '../../tf.js';

const f = Math.fround;

/**
 * tfjs's Adam, with the update of every variable in one JavaScript pass
 * instead of about 13 kernel calls per variable (the Multiply, Add, RealDiv,
 * Square and Sqrt of each moment and of the weight, through the engine):
 * 130 of LeNet-5's 276 calls a step, and about as many of the tutorial net's
 * 500, were Adam's (`tf.profile` of one step, batch 64, wasm).
 *
 * It computes tfjs's own formula, operation by operation in float32
 * (`Math.fround` after each one: a float64 result of one +, -, *, / or sqrt
 * of float32 operands rounds to the float32 result exactly), so the weights
 * and moments are bit for bit those of `tf.train.adam` (a test checks it on
 * wasm and cpu). The moments stay tfjs variables of the names tfjs gives
 * them, so `getWeights`/`setWeights` (checkpoints, resume) are tfjs's own.
 *
 *   m = m b1 + g (1 - b1);  v = v b2 + g^2 (1 - b2)
 *   w = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) * -lr + w
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const state = this as unknown as AdamState;
    const acc1 = state.accBeta1.dataSync()[0]!;
    const acc2 = state.accBeta2.dataSync()[0]!;
    const b1 = f(this.beta1);
    const b2 = f(this.beta2);
    const oneMinusB1 = f(1 - this.beta1);
    const oneMinusB2 = f(1 - this.beta2);
    const eps = f(this.epsilon);
    const negLr = f(-this.learningRate);
    const c1 = f(1 - acc1);
    const c2 = f(1 - acc2);
    names.forEach((name, i) => {
      const variable = tf.engine().registeredVariables[name]!;
      state.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(variable).variable(false)),
      };
      state.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(variable).variable(false)),
      };
      const gradient = Array.isArray(variableGradients)
        ? variableGradients[i]!.tensor
        : variableGradients[name];
      if (gradient == null) return;
      const first = state.accumulatedFirstMoment[i].variable;
      const second = state.accumulatedSecondMoment[i].variable;
      const g = gradient.dataSync() as Float32Array;
      const m = Float32Array.from(first.dataSync() as Float32Array);
      const v = Float32Array.from(second.dataSync() as Float32Array);
      const w = Float32Array.from(variable.dataSync() as Float32Array);
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        const mj = f(f(m[j]! * b1) + f(gj * oneMinusB1));
        const vj = f(f(v[j]! * b2) + f(f(gj * gj) * oneMinusB2));
        m[j] = mj;
        v[j] = vj;
        const step = f(f(mj / c1) / f(f(Math.sqrt(f(vj / c2))) + eps));
        w[j] = f(f(step * negLr) + w[j]!);
      }
      assignValues(first, m);
      assignValues(second, v);
      assignValues(variable, w);
    });
    assignValues(state.accBeta1, Float32Array.of(f(acc1 * b1)));
    assignValues(state.accBeta2, Float32Array.of(f(acc2 * b2)));
    state.incrementIterations();
  }
}

function assignValues(variable: tf.Variable, values: Float32Array): void {
  const tensor = tf.tensor(values, variable.shape, 'float32');
  variable.assign(tensor);
  tensor.dispose();
}

/** The fields of tfjs's AdamOptimizer this uses (protected in its typings). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}
