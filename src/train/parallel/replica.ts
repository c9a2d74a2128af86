import * as tf from '../../tf.js';
import { heapValues, selectBackend, uninitializedLike } from '../../backend/index.js';
import { buildModel } from '../../model/index.js';
import { flatLayout, sameShapes, type FlatLayout } from './flat-layout.js';
import { Doorbell } from './replica-protocol.js';
import type { ReplicaInit, ReplicaPort, ShareBuffers, StepRequest } from './replica-protocol.js';
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
  let share = init.share;
  let handled = 0;
  const bell = init.doorbell;
  const step = (request: StepRequest, rung: boolean): void => {
    const started = performance.now();
    handled = request.step;
    try {
      share = request.share ?? share;
      const done = runStep(model, variables, layout, init, share, request.size);
      port.postMessage({
        kind: 'done',
        step: request.step,
        ...done,
        tensors: tf.memory().numTensors,
        busyMs: performance.now() - started,
        rung,
      });
      // After the message: the main thread that sees it answered finds the message there.
      Atomics.store(bell, Doorbell.answered, request.step);
    } catch (error) {
      port.postMessage({ kind: 'failed', message: messageOf(error) });
    }
  };
  /** After a step: the next one from the doorbell while it rings within the watch, else sleep. */
  const watch = (): void => {
    let until = performance.now() + init.doorbellWatchMs;
    while (performance.now() < until) {
      const rung = Atomics.load(bell, Doorbell.step);
      if (rung > handled) {
        step({ kind: 'step', step: rung, size: Atomics.load(bell, Doorbell.size) }, true);
        until = performance.now() + init.doorbellWatchMs;
      }
    }
  };
  port.on('message', (request: StepRequest) => {
    // A step the doorbell brought is done already.
    if (request.step <= handled) return;
    step(request, false);
    watch();
  });
  port.postMessage({ kind: 'ready', tensors: tf.memory().numTensors });
}

function runStep(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  layout: FlatLayout,
  init: ReplicaInit,
  share: ShareBuffers,
  size: number,
): { loss: number; correct: number } {
  loadWeights(variables, layout, init.weights);
  const [height, width, channels] = init.imageShape;
  const pixels = share.pixels.subarray(0, size * height * width * channels);
  const xs = tf.tensor4d(pixels, [size, height, width, channels], 'float32');
  const labels = tf.tensor1d(share.labels.subarray(0, size), 'int32');
  try {
    const { loss, correct, grads } = computeShareGradients(
      model,
      variables,
      xs,
      labels,
      init.objective,
    );
    // On wasm straight from its memory into the shared buffer (one copy), else through dataSync.
    const heap = heapValues([], grads);
    grads.forEach((grad, i) => {
      init.grads.set(heap?.readable[i] ?? (grad.dataSync() as Float32Array), layout.offsets[i]!);
    });
    tf.dispose(grads);
    return { loss, correct };
  } finally {
    xs.dispose();
    labels.dispose();
  }
}

/**
 * The published weights into the replica's variables: on wasm written once,
 * from the shared buffer into a new tensor in its memory, then assigned (not
 * in place: XNNPACK keeps a packed copy of a filter keyed by its data, see
 * heapValues); elsewhere through a tensor made from a copy.
 */
function loadWeights(
  variables: readonly tf.Variable[],
  layout: FlatLayout,
  weights: Float32Array,
): void {
  variables.forEach((variable, i) => {
    const offset = layout.offsets[i]!;
    const values = weights.subarray(offset, offset + layout.sizes[i]!);
    const fresh = uninitializedLike(variable);
    const heap = fresh && heapValues([fresh], []);
    if (fresh !== undefined && heap !== undefined) {
      heap.writable[0]!.set(values);
      variable.assign(fresh);
      fresh.dispose();
      return;
    }
    fresh?.dispose();
    tf.tidy(() => variable.assign(tf.tensor(values.slice(), variable.shape, 'float32')));
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
