// Micro-benchmark of the runner's wasm conv training kernels against the
// alternatives that exist without them, side by side in one run.
//
//   npm run build && node bench/conv-kernels.mjs [--reps 9] [--steps 10] [--profile]
//       [--clock wall|cpu] [--stat median|min] [--skip-kernels] [--skip-steps]
//
// On a shared machine use `--clock cpu --stat min`: this process's CPU time,
// which other processes disturb far less than the wall clock.
//
// Part 1, per kernel, batch 128, the layer shapes of configs/ (LeNet-5, the
// tutorial net as compiled, resnet, inception) and a stride-2 layer; every
// call gets fresh tensors, as in training:
//   Conv2DBackpropFilter  ours, its strategies forced  vs  "first shim" (Conv3DBackpropFilterV2, a naive loop)
//   Conv2DBackpropInput   ours, its strategies forced  vs  wasm's own Conv2DBackpropInput (a naive loop)
//   Depthwise*            ours, the JS loop            vs  the cpu backend's kernels (wasm has none)
//   FusedConv2D           ours (one input channel)     vs  wasm's own (XNNPACK), bias + ReLU
// Part 2: ms per training step (Adam, softmax cross-entropy, random data) of
// LeNet-5 and the tutorial net at batch 128 on wasm with every kernel in
// WASM_TRAINING_KERNELS registered; --profile adds the slowest kernels of a
// step by the same clock.
import * as tf from '../dist/tf.js';
import { parseArgs } from 'node:util';
import { WASM_TRAINING_KERNELS } from '../dist/backend/kernels/index.js';
import { registerWasmTrainingKernels } from '../dist/backend/register-kernels.js';
import { makeConv2dBackpropFilterConfig } from '../dist/backend/kernels/conv2d-backprop-filter.js';
import { makeConv2dBackpropInputConfig } from '../dist/backend/kernels/conv2d-backprop-input.js';
import { makeDepthwiseConv2dNativeBackpropInputConfig } from '../dist/backend/kernels/depthwise-conv2d-backprop-input.js';
import { makeDepthwiseConv2dNativeBackpropFilterConfig } from '../dist/backend/kernels/depthwise-conv2d-backprop-filter.js';

const { values: options } = parseArgs({
  options: {
    reps: { type: 'string', default: '10' },
    steps: { type: 'string', default: '10' },
    profile: { type: 'boolean', default: false },
    // min is the better estimate of the uncontended cost on a busy machine
    stat: { type: 'string', default: 'median' },
    clock: { type: 'string', default: 'wall' },
    'skip-steps': { type: 'boolean', default: false },
    'skip-kernels': { type: 'boolean', default: false },
  },
});
const REPS = Number(options.reps);
const STEPS = Number(options.steps);

tf.env().set('PROD', true);
await import('@tensorflow/tfjs-backend-wasm');
// wasm's own Conv2DBackpropInput, kept to time against; then the runner's
// kernels are registered as the product does it (before wasm is activated).
const wasmOwnConv2dBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
const wasmOwnFusedConv2D = tf.getKernel('FusedConv2D', 'wasm');
registerWasmTrainingKernels();
await tf.setBackend('wasm');

/**
 * Milliseconds by the chosen clock: `wall`, or `cpu` (this process's user +
 * system time), which other processes on a shared machine disturb far less.
 */
function now() {
  if (options.clock === 'cpu') {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  return performance.now();
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return options.stat === 'min' ? sorted[0] : sorted[Math.floor(sorted.length / 2)];
}

const N = 128;
const LAYERS = [
  {
    name: 'LeNet-5 conv1 5x5 1->6 same 28x28',
    h: 28,
    w: 28,
    ci: 1,
    k: 5,
    co: 6,
    pad: 'same',
    stride: 1,
  },
  {
    name: 'LeNet-5 conv2 5x5 6->16 valid 14x14',
    h: 14,
    w: 14,
    ci: 6,
    k: 5,
    co: 16,
    pad: 'valid',
    stride: 1,
  },
  {
    name: 'tutorial conv1 3x3 1->3 pad2 28x28',
    h: 28,
    w: 28,
    ci: 1,
    k: 3,
    co: 3,
    pad: 2,
    stride: 1,
  },
  {
    name: 'tutorial conv2 3x3 3->16 same 15x15',
    h: 15,
    w: 15,
    ci: 3,
    k: 3,
    co: 16,
    pad: 'same',
    stride: 1,
  },
  {
    name: 'tutorial conv3 3x3 16->32 same 7x7',
    h: 7,
    w: 7,
    ci: 16,
    k: 3,
    co: 32,
    pad: 'same',
    stride: 1,
  },
  {
    name: 'stride 2 3x3 16->32 same 28x28',
    h: 28,
    w: 28,
    ci: 16,
    k: 3,
    co: 32,
    pad: 'same',
    stride: 2,
  },
  // configs/mycnn.yaml as compiled: explicit padding is a ZeroPadding2D layer, then a valid conv
  {
    name: 'mycnn conv2 3x3 3->16 valid 17x17',
    h: 17,
    w: 17,
    ci: 3,
    k: 3,
    co: 16,
    pad: 'valid',
    stride: 1,
  },
  {
    name: 'mycnn conv3 3x3 16->32 valid 9x9',
    h: 9,
    w: 9,
    ci: 16,
    k: 3,
    co: 32,
    pad: 'valid',
    stride: 1,
  },
  // configs/resnet.yaml and configs/inception.yaml layers
  {
    name: 'resnet 3x3 16->16 same 28x28',
    h: 28,
    w: 28,
    ci: 16,
    k: 3,
    co: 16,
    pad: 'same',
    stride: 1,
  },
  { name: 'inception 1x1 16->8 28x28', h: 28, w: 28, ci: 16, k: 1, co: 8, pad: 'valid', stride: 1 },
  {
    name: 'inception 5x5 16->8 same 28x28',
    h: 28,
    w: 28,
    ci: 16,
    k: 5,
    co: 8,
    pad: 'same',
    stride: 1,
  },
];

function outSize(size, k, pad, stride) {
  if (pad === 'same') return Math.ceil(size / stride);
  if (pad === 'valid') return Math.floor((size - k) / stride) + 1;
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/**
 * Median ms per call of each variant, the variants interleaved call by call so
 * that the load of a shared machine falls on all of them alike. A variant is
 * { config?: KernelConfig to register for it, prepare?: () => inputs, run: (inputs) => Tensor };
 * `prepare` runs outside the clock.
 */
function timeVariants(variants, reps = REPS) {
  const times = new Map(Object.keys(variants).map((name) => [name, []]));
  for (let i = 0; i < reps + 2; i++) {
    for (const [name, variant] of Object.entries(variants)) {
      const ms = withKernel(variant.config, () => {
        const inputs = variant.prepare?.();
        const start = now();
        const out = variant.run(inputs);
        out.dataSync();
        const elapsed = now() - start;
        out.dispose();
        if (inputs !== undefined) tf.dispose(Object.values(inputs));
        return elapsed;
      });
      if (i >= 2) times.get(name).push(ms);
    }
  }
  return Object.fromEntries([...times].map(([name, list]) => [name, median(list)]));
}

function withKernel(config, fn) {
  if (config === undefined) return fn();
  const current = tf.getKernel(config.kernelName, config.backendName);
  if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
  try {
    return fn();
  } finally {
    tf.unregisterKernel(config.kernelName, config.backendName);
    if (current !== undefined) tf.registerKernel(current);
  }
}

function report(kernel, layer, results, baselineName) {
  const ours = results.ours;
  const cells = Object.entries(results).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
  const base = results[baselineName];
  const ratio = base === undefined ? '' : `  => ${(base / ours).toFixed(1)}x vs ${baselineName}`;
  console.log(`${kernel.padEnd(36)} ${layer.padEnd(38)} ${cells.join('  ')} ms${ratio}`);
}

const filterIm2col = makeConv2dBackpropFilterConfig({ strategy: 'im2col' });
const filterIm2colJs = makeConv2dBackpropFilterConfig({ strategy: 'im2col', wasmLoops: false });
// the product on XNNPACK's GEMM (packs a fresh dy each call) instead of the SIMD loop outer4x8
const filterIm2colXnn = makeConv2dBackpropFilterConfig({ strategy: 'im2col', simdProduct: false });
const filterConvolution = makeConv2dBackpropFilterConfig({ strategy: 'convolution' });
const inputCol2im = makeConv2dBackpropInputConfig({ strategy: 'col2im' });
const inputCol2imJs = makeConv2dBackpropInputConfig({ strategy: 'col2im', simd: false });
const inputConvolution = makeConv2dBackpropInputConfig({ strategy: 'convolution' });

if (!options['skip-kernels']) {
  console.log(
    `# conv gradient kernels, batch ${N}, ${options.stat} of ${REPS} interleaved calls, ${options.clock} clock, ms (tfjs ${tf.version_core}, backend wasm)`,
  );
  console.log(
    '# ours = the registered kernel (strategy auto); the others are its strategies forced, and the alternatives without it',
  );
  for (const layer of LAYERS) {
    const oh = outSize(layer.h, layer.k, layer.pad, layer.stride);
    const ow = outSize(layer.w, layer.k, layer.pad, layer.stride);
    const x = tf.randomUniform([N, layer.h, layer.w, layer.ci], -1, 1);
    const filter = tf.randomUniform([layer.k, layer.k, layer.ci, layer.co], -1, 1);
    const dy = tf.randomUniform([N, oh, ow, layer.co], -1, 1);
    const attrs = {
      strides: [layer.stride, layer.stride],
      pad: layer.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    };
    const filterAttrs = { ...attrs, filterShape: filter.shape };
    const inputAttrs = { ...attrs, inputShape: x.shape };
    // Every call gets tensors it has not seen, as in training: wasm caches XNNPACK operators (with
    // their packed weights) by tensor, so reusing dy would leave the packing out of the time.
    const prepare = () => ({ x: tf.add(x, 0), dy: tf.add(dy, 0), filter: tf.add(filter, 0) });
    const runFilter = (t) =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: t.x, dy: t.dy }, filterAttrs);
    const runInput = (t) =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy: t.dy, filter: t.filter }, inputAttrs);

    // The first shim: a 2-D filter gradient as a depth-1 Conv3DBackpropFilterV2 (a naive loop;
    // same/valid only, so explicit padding is applied to x beforehand).
    const xPadded =
      typeof layer.pad === 'number'
        ? tf.pad(x, [
            [0, 0],
            [layer.pad, layer.pad],
            [layer.pad, layer.pad],
            [0, 0],
          ])
        : x;
    const x5 = tf.reshape(xPadded, [N, 1, ...xPadded.shape.slice(1)]);
    const dy5 = tf.reshape(dy, [N, 1, oh, ow, layer.co]);
    const shimAttrs = {
      strides: [1, layer.stride, layer.stride],
      pad: typeof layer.pad === 'number' ? 'valid' : layer.pad,
      filterShape: [1, layer.k, layer.k, layer.ci, layer.co],
    };
    const filterResults = timeVariants({
      ours: { prepare, run: runFilter },
      im2col: { config: filterIm2col, prepare, run: runFilter },
      'im2col XNNPACK GEMM': { config: filterIm2colXnn, prepare, run: runFilter },
      'im2col in JS': { config: filterIm2colJs, prepare, run: runFilter },
      convolution: { config: filterConvolution, prepare, run: runFilter },
    });
    const shim = timeVariants(
      {
        'Conv3D shim': {
          run: () => {
            const out = tf
              .engine()
              .runKernel('Conv3DBackpropFilterV2', { x: x5, dy: dy5 }, shimAttrs);
            const reshaped = tf.reshape(out, filter.shape);
            out.dispose();
            return reshaped;
          },
        },
      },
      Math.min(REPS, 3),
    );
    report('Conv2DBackpropFilter', layer.name, { ...filterResults, ...shim }, 'Conv3D shim');

    // The forward pass, where the runner has its own (one input channel): as conv2d layers call it.
    if (layer.ci === 1) {
      const bias = tf.randomUniform([layer.co], -1, 1);
      const forwardAttrs = { ...attrs, dilations: [1, 1], activation: 'relu' };
      const runForward = (t) =>
        tf.engine().runKernel('FusedConv2D', { x: t.x, filter: t.filter, bias }, forwardAttrs);
      const forwardResults = timeVariants({
        ours: { prepare, run: runForward },
        XNNPACK: { config: wasmOwnFusedConv2D, prepare, run: runForward },
      });
      bias.dispose();
      report('FusedConv2D', layer.name, forwardResults, 'XNNPACK');
    }

    const wasmOwn = wasmOwnConv2dBackpropInput;
    const inputResults = timeVariants({
      ours: { prepare, run: runInput },
      col2im: { config: inputCol2im, prepare, run: runInput },
      'col2im in JS': { config: inputCol2imJs, prepare, run: runInput },
      ...(layer.stride === 1
        ? { convolution: { config: inputConvolution, prepare, run: runInput } }
        : {}),
      ...(wasmOwn === undefined ? {} : { 'wasm own': { config: wasmOwn, prepare, run: runInput } }),
    });
    report('Conv2DBackpropInput', layer.name, inputResults, 'wasm own');
    tf.dispose([x, filter, dy, x5, dy5, xPadded]);
  }

  // Depthwise: a MobileNet-like 3x3 block at MNIST size.
  {
    const layer = { name: 'depthwise 3x3 x32 same 14x14', h: 14, w: 14, c: 32, k: 3 };
    const attrs = { strides: [1, 1], dilations: [1, 1], pad: 'same', dimRoundingMode: undefined };
    const shapes = { x: [N, layer.h, layer.w, layer.c], filter: [layer.k, layer.k, layer.c, 1] };
    const make = () => ({
      x: tf.randomUniform(shapes.x, -1, 1),
      dy: tf.randomUniform(shapes.x, -1, 1),
      filter: tf.randomUniform(shapes.filter, -1, 1),
    });
    const runFilter = (t) => () =>
      tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x: t.x, dy: t.dy },
          { ...attrs, filterShape: shapes.filter },
        );
    const runInput = (t) => () =>
      tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: t.dy, filter: t.filter },
          { ...attrs, inputShape: shapes.x },
        );
    let t = make();
    const filterMs = timeVariants({
      ours: { run: runFilter(t) },
      loop: {
        config: makeDepthwiseConv2dNativeBackpropFilterConfig({ strategy: 'loop' }),
        run: runFilter(t),
      },
    });
    const inputMs = timeVariants({
      ours: { run: runInput(t) },
      loop: {
        config: makeDepthwiseConv2dNativeBackpropInputConfig({ strategy: 'loop' }),
        run: runInput(t),
      },
    });
    tf.dispose(Object.values(t));
    await tf.setBackend('cpu');
    t = make();
    const cpuFilterMs = timeVariants({ 'cpu backend': { run: runFilter(t) } }, 3);
    const cpuInputMs = timeVariants({ 'cpu backend': { run: runInput(t) } }, 3);
    tf.dispose(Object.values(t));
    await tf.setBackend('wasm');
    report(
      'DepthwiseConv2dNativeBackpropFilter',
      layer.name,
      { ...filterMs, ...cpuFilterMs },
      'cpu backend',
    );
    report(
      'DepthwiseConv2dNativeBackpropInput',
      layer.name,
      { ...inputMs, ...cpuInputMs },
      'cpu backend',
    );
  }
}

// Part 2: whole training steps.
function lenet5() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/** configs/mycnn.yaml as the runner compiles it: explicit padding is a ZeroPadding2D layer, then a valid conv. */
function tutorialNet() {
  const block = (filters, padding, first) => [
    tf.layers.zeroPadding2d({ ...(first ? { inputShape: [28, 28, 1] } : {}), padding }),
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'valid' }),
    tf.layers.batchNormalization(),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
  ];
  return tf.sequential({
    layers: [
      ...block(3, 2, true),
      ...block(16, 1, false),
      ...block(32, 1, false),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/**
 * Per-kernel time of `reps` steps by the bench's clock: every wasm kernel is
 * re-registered for the duration wrapped in a timer (tf.profile would time
 * by the wall clock only). Kernels that call others directly count as one.
 */
function profileSteps(step, reps) {
  const byKernel = new Map();
  const configs = tf.getKernelsForBackend('wasm');
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const start = now();
        const out = config.kernelFunc(args);
        const entry = byKernel.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += now() - start;
        entry.calls += 1;
        byKernel.set(config.kernelName, entry);
        return out;
      },
    });
  }
  const start = now();
  for (let i = 0; i < reps; i++) step().dispose();
  const stepMs = (now() - start) / reps;
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  const entries = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = entries.reduce((sum, [, e]) => sum + e.ms, 0) / reps;
  console.log(
    `    profile: ${stepMs.toFixed(1)} ms/step, ${kernelMs.toFixed(1)} ms in kernels, ` +
      `${(stepMs - kernelMs).toFixed(1)} ms outside (engine, tape, optimizer bookkeeping)`,
  );
  for (const [kernel, { ms, calls }] of entries.slice(0, 12)) {
    console.log(
      `    ${kernel.padEnd(36)} ${(ms / reps).toFixed(2).padStart(7)} ms  ${calls / reps} calls`,
    );
  }
}

async function stepTimes(name, build) {
  const model = build();
  const optimizer = tf.train.adam(1e-3);
  const xs = tf.randomUniform([N, 28, 28, 1]);
  const labels = tf.oneHot(tf.randomUniform([N], 0, 10, 'int32'), 10);
  const step = () =>
    optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(labels, model.apply(xs, { training: true })),
      true,
    );
  const times = [];
  for (let i = 0; i < STEPS + 3; i++) {
    const start = now();
    const loss = step();
    loss.dataSync();
    loss.dispose();
    if (i >= 3) times.push(now() - start);
  }
  const ms = median(times);
  console.log(
    `${name.padEnd(14)} ${ms.toFixed(1).padStart(7)} ms/step  ${((N * 1000) / ms).toFixed(0).padStart(6)} images/s`,
  );
  if (options.profile) profileSteps(step, 5);
  tf.dispose([xs, labels]);
  model.dispose();
  optimizer.dispose();
}

if (!options['skip-steps']) {
  console.log(
    `\n# training step, batch ${N}, ${options.stat} of ${STEPS} steps, ${options.clock} clock, wasm + ${WASM_TRAINING_KERNELS.length} training kernels: ${WASM_TRAINING_KERNELS.map((k) => k.kernelName).join(', ')}`,
  );
  await stepTimes('LeNet-5', lenet5);
  await stepTimes('tutorial net', tutorialNet);
}
