import * as tf from '../../tf.js';
import { batchNormTrainFused } from '../../backend/fused-ops.js';

/**
 * Batch normalization's training step with the closed-form gradient, as
 * PyTorch and TensorFlow compute it.
 *
 * tfjs-layers trains batch norm as `moments(x)` followed by `batchNorm`, and
 * differentiates both op by op: about 45 kernel calls over the whole
 * activation per layer and step (Tile, Mean's gradient materialising
 * `ones(x.shape)`, five Sums, ...). Here the forward pass is 6 passes over
 * the activation and the backward 7:
 *
 *   mean = E[x], xc = x - mean, var = E[xc^2], s = 1 / sqrt(var + eps)
 *   y = xc * (gamma s) + beta
 *   dbeta = sum(dy), dgamma = s sum(dy xc)
 *   dx = dy (gamma s) + xc (-gamma s^3 sum(dy xc) / n) + (-gamma s dbeta / n)
 *
 * Measured on the tutorial net (configs/mycnn.yaml), batch 128, wasm with the
 * runner's kernels: 37.5 -> 31.6 ms of CPU per training step (-16%). It also
 * trains `center: false` / `scale: false`, where tfjs-layers 4.22 throws.
 *
 * On wasm the whole step is one kernel call and its gradient one more
 * (backend/kernels/batch-norm-train.ts, the same formulas in float64):
 * 32 calls fewer per layer and step than the op-by-op path below, which
 * runs on the other backends.
 *
 * The layer keeps its class, weights, config and inference path (saved
 * models load as a plain BatchNormalization); only `call` in training mode
 * changes, for channels-last inputs (other axes keep the original path).
 */
export function fastBatchNormTraining<L extends tf.layers.Layer>(layer: L): L {
  const bn = layer as unknown as BatchNormInternals & tf.layers.Layer;
  const original = bn.call.bind(bn);
  bn.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = x !== undefined && (bn.axis === -1 || bn.axis === x.rank - 1);
    if (kwargs['training'] !== true || x === undefined || !lastAxis || x.rank < 2) {
      return original(inputs, kwargs);
    }
    return tf.tidy(() => trainingStep(bn, x));
  };
  fastLayers.add(bn);
  return layer;
}

/** Layers that {@link fastBatchNormTraining} made. */
const fastLayers = new WeakSet<tf.layers.Layer>();
/** The alpha of the leaky ReLU that follows a batch-norm layer and that its training step computes. */
const fusedAlpha = new WeakMap<tf.layers.Layer, number>();
/** Training outputs of batch norm that already went through the leaky ReLU after it, by its alpha. */
const activated = new WeakMap<tf.Tensor, number>();
let fusing = true;

/** For tests: build models without fusing the leaky ReLU into batch norm's training step. */
export function setBatchNormActivationFusion(enabled: boolean): void {
  fusing = enabled;
}

/**
 * In training, a batch-norm layer (of {@link fastBatchNormTraining}) whose
 * only consumer is a `LeakyReLU` layer (alpha >= 0) computes that ReLU in
 * its kernel call, and the ReLU layer passes the result on: two kernel
 * calls a layer and step fewer, and one pass over the activation less each
 * way; the values are those of the two layers apart, bit for bit. Where
 * the fused kernel does not run (other backends, other axes), and in
 * inference, both layers compute as before; the layers keep their classes
 * and configs, so a saved model is the plain pair.
 */
export function fuseLeakyReluAfterBatchNorm(model: tf.LayersModel): void {
  if (!fusing) return;
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer));
  for (const bn of model.layers) {
    if (!fastLayers.has(bn) || outputs.has(bn) || bn.outboundNodes.length !== 1) continue;
    const next = bn.outboundNodes[0]!.outboundLayer;
    if (next.getClassName() !== 'LeakyReLU' || next.inboundNodes.length !== 1) continue;
    const alpha = (next as unknown as { readonly alpha: number }).alpha;
    if (!(alpha >= 0)) continue;
    fusedAlpha.set(bn, alpha);
    const original = next.call.bind(next);
    next.call = (inputs, kwargs) => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const done = kwargs['training'] === true && x !== undefined && activated.get(x) === alpha;
      return done ? x : original(inputs, kwargs);
    };
  }
}

/** The fields of tfjs-layers' BatchNormalization this uses (private in its typings). */
interface BatchNormInternals {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly gamma: tf.LayerVariable | null;
  readonly beta: tf.LayerVariable | null;
  readonly movingMean: tf.LayerVariable;
  readonly movingVariance: tf.LayerVariable;
}

function trainingStep(bn: BatchNormInternals, x: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / (x.shape[x.rank - 1] ?? 1);
  const channels = x.shape[x.rank - 1] ?? 1;
  const gamma = bn.gamma?.read() ?? tf.ones([channels]);
  const beta = bn.beta?.read() ?? tf.zeros([channels]);
  const decay = 1 - bn.momentum;
  const leakyAlpha = fusedAlpha.get(bn as unknown as tf.layers.Layer);
  const fused = batchNormTrainFused(
    x,
    gamma,
    beta,
    bn.movingMean.read(),
    bn.movingVariance.read(),
    { epsilon: bn.epsilon, decay, ...(leakyAlpha === undefined ? {} : { leakyAlpha }) },
  );
  if (fused !== undefined) {
    bn.movingMean.write(fused.movingMean);
    bn.movingVariance.write(fused.movingVariance);
    if (leakyAlpha !== undefined) activated.set(fused.y, leakyAlpha);
    return fused.y;
  }
  // Batch statistics, outside the differentiated function: its gradient is closed form.
  const mean = tf.mean(x, axes);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axes);
  const invStd = tf.rsqrt(tf.add(variance, bn.epsilon));

  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const gScaled = tf.mul(g as tf.Tensor, invStd);
    // Saved tensors outlive the layer's tidy; the gradient must use only these.
    save([centred, gScaled, invStd]);
    return {
      value: tf.add(tf.mul(centred, gScaled), b as tf.Tensor),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const grad = dy as tf.Tensor;
        const [xc, gs, s] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dBeta = tf.sum(grad, axes);
        const dyXc = tf.sum(tf.mul(grad, xc), axes);
        const dGamma = tf.mul(dyXc, s);
        // dx = dy * gs + xc * (-gs * s^2 * dyXc / n) + (-gs * dBeta / n)
        const xcFactor = tf.div(tf.mul(tf.neg(gs), tf.mul(tf.square(s), dyXc)), n);
        const shift = tf.div(tf.mul(tf.neg(gs), dBeta), n);
        const dx = tf.add(tf.add(tf.mul(grad, gs), tf.mul(xc, xcFactor)), shift);
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = normalize(x, gamma, beta);

  // Moving statistics exactly as tfjs-layers updates them.
  for (const [variable, value] of [
    [bn.movingMean, mean],
    [bn.movingVariance, variance],
  ] as const) {
    const old = variable.read();
    variable.write(tf.sub(old, tf.mul(tf.sub(old, value), decay)));
  }
  return y;
}
