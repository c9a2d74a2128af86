import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/config/index.js';
import { REGISTRIES } from '../../src/registries.js';
import { FIXTURES, errorLinesOf } from './config-test-kit.js';

/**
 * Every bad fixture and exactly what the user reads: file:line:col, code,
 * document path, message and hint. (Paths are relative to the fixtures folder.)
 */
const CASES: ReadonlyArray<readonly [file: string, lines: readonly string[]]> = [
  [
    'yaml-syntax.yaml',
    ['yaml-syntax.yaml:6:10 error yaml-syntax: "[" opened here is never closed (end it with ])'],
  ],
  [
    'duplicate-key.yaml',
    [
      'duplicate-key.yaml:5:3 error duplicate-key: data.batchSize: duplicate key "batchSize" (first defined at 4:3) (keep one of them)',
      'duplicate-key.yaml:10:26 error duplicate-key: model.layers[1].dense.units: duplicate key "units" (first defined at 10:15) (keep one of them)',
    ],
  ],
  [
    'unknown-key.yaml',
    [
      'unknown-key.yaml:4:3 error unknown-key: data: unknown key "batchsize" (did you mean "batchSize"?)',
      'unknown-key.yaml:8:16 error unknown-key: model.layers[0].conv2d: unknown key "filter" (did you mean "filters"?)',
      'unknown-key.yaml:13:3 error unknown-key: train: unknown key "optimiser" (did you mean "optimizer"?)',
    ],
  ],
  [
    'wrong-type.yaml',
    [
      'wrong-type.yaml:6:10 error wrong-type: model.input: expected list, found number 28 (e.g. [28, 28, 1])',
      'wrong-type.yaml:9:22 error wrong-type: model.layers[1].dense.units: expected integer, found number 10.5',
      'wrong-type.yaml:11:11 error wrong-type: train.epochs: expected integer, found string "five"',
      'wrong-type.yaml:12:29 error wrong-type: train.optimizer.learningRate: expected number, found string "0.001" (remove the quotes: a quoted number is a string)',
    ],
  ],
  [
    'out-of-range.yaml',
    [
      'out-of-range.yaml:4:14 error out-of-range: data.batchSize: must be >= 1, found 0',
      'out-of-range.yaml:9:23 error out-of-range: model.layers[1].dropout.rate: must be < 1, found 1.5',
      'out-of-range.yaml:12:11 error out-of-range: train.epochs: must be >= 1, found 0',
      'out-of-range.yaml:13:41 error out-of-range: train.optimizer.learningRate: must be > 0, found -0.001',
    ],
  ],
  [
    'unknown-layer.yaml',
    [
      'unknown-layer.yaml:9:7 error unknown-layer: model.layers[1]: unknown layer "dnse" (did you mean "dense"?)',
      'unknown-layer.yaml:10:38 error unknown-activation: model.layers[2].dense.activation: unknown activation "rleu"; expected one of linear, relu, leakyRelu, elu, selu, gelu, tanh, sigmoid, softmax (did you mean "relu"?)',
      'unknown-layer.yaml:13:21 error unknown-optimizer: train.optimizer.type: unknown optimizer "adm"; expected one of adam, adamw, sgd, rmsprop (did you mean "adam"?)',
    ],
  ],
  [
    'extends-missing.yaml',
    [
      'extends-missing.yaml:2:1 error extends-missing: extends: cannot read no-such-base.yaml: file not found (the path is relative to extends-missing.yaml)',
    ],
  ],
  [
    'extends-self.yaml',
    [
      'extends-self.yaml:2:1 error extends-cycle: extends: extends-self.yaml extends itself (a file can only extend a file that does not lead back to it)',
    ],
  ],
  [
    'extends-cycle-a.yaml',
    [
      'extends-cycle-b.yaml:2:1 error extends-cycle: extends: extends cycle: extends-cycle-a.yaml → extends-cycle-b.yaml → extends-cycle-a.yaml (a file can only extend a file that does not lead back to it)',
    ],
  ],
  [
    'graph-errors.yaml',
    [
      'graph-errors.yaml:12:16 error unknown-input: model.layers[1].inputs[0]: layer "left" takes "stme", which is not a layer (did you mean "stem"?)',
      'graph-errors.yaml:13:13 error duplicate-name: model.layers[2].name: layer name "left" is already used by model.layers[1] (give each layer its own name)',
      'graph-errors.yaml:15:7 error multiple-layer-kinds: model.layers[3]: one item holds 2 layers (conv2d, dense) (put each layer in its own list item: "- conv2d: {...}")',
      'graph-errors.yaml:19:15 error layer-inputs: model.layers[4].inputs: add needs at least 2 inputs, found 1 (list the layers it joins: inputs: [a, b])',
      'graph-errors.yaml:22:11 error unknown-output: model.output: "logit" is not a layer',
    ],
  ],
  [
    'graph-cycle.yaml',
    [
      'graph-cycle.yaml:8:7 error graph-cycle: model.layers[0]: layers form a cycle: a → b → c → a (a layer can only take layers that do not depend on it)',
    ],
  ],
  [
    'graph-dangling.yaml',
    [
      'graph-dangling.yaml:10:7 error dangling-layer: model.layers[1]: layer "forgotten" is not used: no layer takes it and it is not the output (dense_6) (add it to the inputs of a later layer, or remove it)',
      'graph-dangling.yaml:17:15 error layer-inputs: model.layers[3].inputs: conv2d takes 1 input, found 2 (join branches with add or concatenate first)',
    ],
  ],
  [
    'rules.yaml',
    [
      'rules.yaml:5:3 error unused-key: data.synthetic: data.synthetic is only read by dataset synthetic, not mnist (remove it, or set it to null (in a file that extends another, or with --set))',
      'rules.yaml:10:38 error softmax-before-loss: model.layers[1].dense.activation: the output layer "dense_2" applies softmax, but crossEntropy expects logits (remove "activation: softmax": crossEntropy applies softmax itself)',
      'rules.yaml:13:45 error optimizer-option: train.optimizer.beta1: "beta1" is not an option of sgd (it is for adam and adamw) (remove it, or use type: adam)',
      'rules.yaml:14:1 error invalid-value: sweep.goal: goal maximize with metric val/loss would pick the worst trial (set goal: minimize)',
      'rules.yaml:16:5 error unknown-sweep-path: sweep.grid["train.optimizer.learningrate"]: "train.optimizer.learningrate" is not a config path (did you mean "train.optimizer.learningRate"?)',
      'rules.yaml:17:37 error invalid-sweep-value: sweep.grid["train.optimizer.momentum"][1]: train.optimizer.momentum: must be >= 0, found -1',
      'rules.yaml:18:3 error invalid-value: sweep.metric: "val/loss" needs a validation set, but data.validationSplit is 0 (set data.validationSplit, e.g. 0.1, or use a test/ metric)',
      'rules.yaml:19:29 error out-of-range: sweep.earlyStop.minEpochs: minEpochs 2 leaves nothing to stop: train.epochs is 2 (use a value below 2)',
    ],
  ],
  [
    'pytorch-names.yaml',
    [
      'pytorch-names.yaml:6:16 error unknown-key: model.layers[0].conv2d: unknown key "in_channels" (runner infers in_channels from the input shape: remove it)',
      'pytorch-names.yaml:6:32 error unknown-key: model.layers[0].conv2d: unknown key "out_channels" (PyTorch\'s out_channels is "filters" here)',
      'pytorch-names.yaml:6:49 error unknown-key: model.layers[0].conv2d: unknown key "kernel_size" (PyTorch\'s kernel_size is "kernelSize" here)',
      'pytorch-names.yaml:6:65 error unknown-key: model.layers[0].conv2d: unknown key "stride" (PyTorch\'s stride is "strides" here)',
      'pytorch-names.yaml:7:7 error unknown-layer: model.layers[1]: unknown layer "BatchNorm2d" (PyTorch\'s BatchNorm2d is "batchNorm" here)',
      'pytorch-names.yaml:9:7 error unknown-layer: model.layers[3]: unknown layer "linear" (PyTorch\'s linear is "dense" here)',
      'pytorch-names.yaml:12:27 error unknown-key: train.optimizer: unknown key "lr" (PyTorch\'s lr is "learningRate" here)',
    ],
  ],
  [
    'sweep-errors.yaml',
    [
      'sweep-errors.yaml:4:13 error out-of-range: sweep.random.trials: must be >= 1, found 0',
      'sweep-errors.yaml:6:50 error out-of-range: sweep.random.space["train.optimizer.learningRate"].logUniform: [0, 1]: logUniform needs both ends > 0',
      'sweep-errors.yaml:7:31 error invalid-sweep-value: sweep.random.space["train.epochs"].uniform: train.epochs: expected integer, found number 1.6666666666666665 (draws are fractions: use intUniform for an integer setting)',
      'sweep-errors.yaml:8:24 error unknown-key: sweep.random.space["data.batchSize"]: unknown key "normal" (expected one of uniform, logUniform, intUniform, choice)',
      'sweep-errors.yaml:9:53 error invalid-sweep-value: sweep.random.space["model.layers[0].conv2d.filters"].intUniform[0]: model.layers[0].conv2d.filters: must be >= 1, found 0',
      'sweep-errors.yaml:10:45 error invalid-sweep-value: sweep.random.space["train.optimizer.type"].choice[1]: train.optimizer.type: unknown optimizer "adamx"; expected one of adam, adamw, sgd, rmsprop',
      'sweep-errors.yaml:11:46 error invalid-sweep-value: sweep.random.space["model.layers[9].dense.units"].choice[0]: model.layers[9].dense.units: model.layers[9]: no item 9 (the list has 4)',
      'sweep-errors.yaml:12:9 error invalid-value: sweep.goal: expected one of minimize, maximize, found string "maximise" (did you mean "maximize"?)',
    ],
  ],
  [
    'sweep-sampler-errors.yaml',
    [
      'sweep-sampler-errors.yaml:5:3 error invalid-value: sweep.grid: sampler tpe searches sweep.space; it does not cross a grid (put each grid list in space as {choice: [...]})',
      'sweep-sampler-errors.yaml:7:3 error missing-key: sweep.space: sweep.space needs sweep.trials: how many configurations to draw from it (e.g. trials: 30)',
      'sweep-sampler-errors.yaml:9:16 error out-of-range: sweep.tpe.gamma: must be < 1, found 1.5',
      'sweep-sampler-errors.yaml:10:37 error out-of-range: sweep.pruner.minEpochs: minEpochs 3 leaves nothing to stop: train.epochs is 3 (use a value below 3)',
      'sweep-sampler-errors.yaml:10:68 error out-of-range: sweep.pruner.reductionFactor: must be >= 2, found 1',
      'sweep-sampler-errors.yaml:11:3 error invalid-value: sweep.earlyStop: a sweep has one pruner: earlyStop and pruner are both set (keep pruner; earlyStop: {type: median} is its older form)',
    ],
  ],
];

describe('bad configs', () => {
  it.each(CASES)('%s: every problem located and explained', async (file, lines) => {
    expect(
      await errorLinesOf(loadExperiment(file, { registries: REGISTRIES, cwd: FIXTURES })),
    ).toEqual(lines);
  });
});
