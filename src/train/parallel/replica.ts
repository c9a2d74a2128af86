import * as tf from '../../tf.js';
import { selectBackend } from '../../backend/index.js';
import { buildModel } from '../../model/index.js';
import { flatLayout, sameShapes } from './flat-layout.js';
import type { ReplicaInit, ReplicaPort, StepRequest } from './replica-protocol.js';
import { computeShareGradients } from './share-gradients.js';

/**
 * The worker side of data-parallel training: one replica of the model on its
 * own backend. For each step it takes the weights the main thread published,
 * computes the gradients of its share of the batch, writes them to its shared
 * buffer and answers with the share's loss; it never updates weights itself
 * (the main thread applies the one averaged update). Anything that goes
 * wrong is answered as `failed` with the message.
 */
export async function serveReplica(port: ReplicaPort, init: ReplicaInit): Promise<void> {
  let model: tf.LayersModel;
  let variables: tf.Variable[];
  try {
    await selectBackend(init.backend);
    model = buildModel(init.model, { seed: init.seed });
    variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const shapes = variables.map((v) => v.shape);
    if (!sameShapes(shapes, init.shapes)) {
      throw new Error(
        `replica ${init.index} built variables of shapes ${JSON.stringify(shapes)}, the main thread ${JSON.stringify(init.shapes)}`,
      );
    }
  } catch (error) {
    port.postMessage({ kind: 'failed', message: messageOf(error) });
    return;
  }
  const layout = flatLayout(init.shapes);
  port.on('message', (request: StepRequest) => {
    try {
      const done = runStep(model, variables, layout, init, request);
      port.postMessage({
        kind: 'done',
        step: request.step,
        ...done,
        tensors: tf.memory().numTensors,
      });
    } catch (error) {
      port.postMessage({ kind: 'failed', message: messageOf(error) });
    }
  });
  port.postMessage({ kind: 'ready', tensors: tf.memory().numTensors });
}

function runStep(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  layout: ReturnType<typeof flatLayout>,
  init: ReplicaInit,
  request: StepRequest,
): { loss: number; correct: number } {
  variables.forEach((variable, i) => {
    const offset = layout.offsets[i]!;
    const values = init.weights.slice(offset, offset + layout.sizes[i]!);
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  });
  const [height, width, channels] = init.imageShape;
  const size = request.labels.length;
  const xs = tf.tensor4d(request.xs, [size, height, width, channels], 'float32');
  const labels = tf.tensor1d(request.labels, 'int32');
  try {
    const share = computeShareGradients(model, variables, xs, labels, init.objective);
    share.grads.forEach((grad, i) => {
      init.grads.set(grad.dataSync() as Float32Array, layout.offsets[i]!);
      grad.dispose();
    });
    return { loss: share.loss, correct: share.correct };
  } finally {
    xs.dispose();
    labels.dispose();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
