import type {
  BackendConfigEntry,
  DatasetConfigEntry,
  OptimizerConfigEntry,
} from './registry-entries.js';
import { optimizerSchema } from './optimizer-schema.js';

/**
 * The JSON Schema (2020-12) of an experiment file, built from the layer,
 * optimizer, backend and dataset registries so that a new kind needs no edit
 * here. Pure: the same input
 * gives the same schema, key for key (the committed schema file is compared
 * with it by a test).
 */

/** One entry of the layer registry, as the schema needs it. */
export interface LayerSchemaEntry {
  /** The key a config uses for the layer, e.g. `conv2d`. */
  readonly kind: string;
  /** One sentence shown by editors on hover and completion. */
  readonly description: string;
  /** JSON Schema of the layer's arguments (an object schema). */
  readonly argsSchema: Readonly<Record<string, unknown>>;
  /**
   * How many inputs the layer takes in the graph form: `{min: 2}` for merges
   * like add and concatenate. Default: exactly one.
   */
  readonly inputs?: { readonly min: number; readonly max?: number };
}

export interface ExperimentSchemaInput {
  readonly layers: readonly LayerSchemaEntry[];
  /** Default: none, so `train.optimizer.type` takes any name and no optimizer options. */
  readonly optimizers?: readonly OptimizerConfigEntry[];
  /** Default: none, so `backend` takes only `auto`. */
  readonly backends?: readonly BackendConfigEntry[];
  /** Default: none, so `data.dataset` takes any name and no dataset-specific keys are allowed. */
  readonly datasets?: readonly DatasetConfigEntry[];
}

/** Where editors and ajv know the schema by. */
export const EXPERIMENT_SCHEMA_ID = 'https://runner.dev/schema/experiment.schema.json';

/** Keys of a layer item besides its kind. */
export const LAYER_ITEM_KEYS = ['name', 'inputs'] as const;

/**
 * Builds the experiment schema.
 *
 * @example
 *   const schema = buildExperimentSchema({ layers: LAYERS });
 *   writeFileSync('schema/experiment.schema.json', JSON.stringify(schema, null, 2) + '\n');
 */
export function buildExperimentSchema(input: ExperimentSchemaInput): Record<string, unknown> {
  const kinds = input.layers.map((layer) => layer.kind);
  refuseDuplicates('layer kind', kinds);
  refuseDuplicates(
    'optimizer',
    (input.optimizers ?? []).map((o) => o.name),
  );
  refuseDuplicates(
    'backend',
    (input.backends ?? []).map((b) => b.name),
  );
  refuseDuplicates(
    'dataset',
    (input.datasets ?? []).map((d) => d.name),
  );
  const clash = kinds.find((kind) => (LAYER_ITEM_KEYS as readonly string[]).includes(kind));
  if (clash !== undefined)
    throw new Error(`"${clash}" cannot be a layer kind: it is a layer item key`);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: EXPERIMENT_SCHEMA_ID,
    title: 'runner experiment',
    description:
      'A deep-learning experiment for runner: the data, the layer graph, how to train it and, optionally, a sweep.',
    type: 'object',
    additionalProperties: false,
    // A file that extends another may leave these to its base, so they are
    // required only of a file that does not (editors check files one by one;
    // the loader checks the merged document, which has no `extends` left).
    if: { not: { required: ['extends'] } },
    then: {
      required: ['data', 'model', 'train'],
      properties: {
        data: { type: 'object', required: ['dataset', 'batchSize'] },
        model: { type: 'object', required: ['layers'] },
        train: { type: 'object', required: ['epochs'] },
      },
    },
    patternProperties: {
      '^x-': {
        description:
          'Ignored by runner: a place for YAML anchors to reuse, e.g. `x-conv: &conv {kernelSize: 3, padding: same}`.',
      },
    },
    properties: {
      extends: {
        type: 'string',
        minLength: 1,
        description:
          'Another experiment file this one builds on, relative to this file. Mappings are merged key by key, lists and scalars replaced; `null` removes an inherited key.',
        examples: ['./lenet.yaml'],
      },
      name: {
        type: 'string',
        minLength: 1,
        description:
          'The name runs are listed under. Default: the file name without extension (a name is not inherited through extends).',
      },
      seed: {
        type: 'integer',
        minimum: 0,
        default: 0,
        description: 'Seeds weight initialisation, shuffling and sweeps: same seed, same run.',
      },
      backend: backendSchema(input.backends ?? []),
      data: dataSchema(input.datasets ?? []),
      model: modelSchema(),
      train: trainSchema(input.optimizers ?? []),
      sweep: SWEEP_SCHEMA,
    },
    $defs: {
      layer: layerItemSchema(input.layers),
      sweepDistribution: SWEEP_DISTRIBUTION_SCHEMA,
    },
  };
}

function refuseDuplicates(noun: string, names: readonly string[]): void {
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`${noun} "${duplicate}" is registered twice`);
}

/** `backend:`: `auto` or a backend of the registry, whose order is the order `auto` tries. */
function backendSchema(backends: readonly BackendConfigEntry[]): Record<string, unknown> {
  if (backends.some((b) => b.name === 'auto'))
    throw new Error('"auto" cannot be a backend name: it picks one');
  const names = backends.map((b) => b.name);
  const each = backends.map((b) => `${b.name}: ${b.description}`).join('; ');
  return {
    enum: ['auto', ...names],
    default: 'auto',
    description:
      names.length > 0
        ? `Compute backend. \`auto\` picks the fastest that loads (${names.join(', then ')}) and records which one ran. ${each}.`
        : 'Compute backend. `auto` picks the fastest that loads and records which one ran.',
  };
}

const DATA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description:
    'What to train and evaluate on: dataset and batchSize (required), limits, validation split.',
  properties: {
    dataset: {
      type: 'string',
      minLength: 1,
      description: 'A dataset from the registry.',
    },
    batchSize: {
      type: 'integer',
      minimum: 1,
      description: 'Examples per training step. The last batch of an epoch may be smaller.',
    },
    root: {
      type: 'string',
      minLength: 1,
      description:
        'Directory the dataset files are in or downloaded to, absolute or relative to the working directory (default: RUNNER_DATA_DIR, else the user cache).',
    },
    source: {
      enum: ['auto', 'official', 'sample'],
      default: 'auto',
      description:
        '`official`: the full dataset or fail; `sample`: the offline sample; `auto`: official when available, else the sample, announced and recorded.',
    },
    limit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Use only the first N examples (quick runs).',
      properties: {
        train: { type: 'integer', minimum: 1, description: 'Training examples to use.' },
        test: { type: 'integer', minimum: 1, description: 'Test examples to use.' },
      },
    },
    validationSplit: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0,
      description:
        'Fraction of the training set held out and reported as `val`. 0 evaluates on the test set.',
    },
    shuffle: {
      type: 'boolean',
      default: true,
      description: 'Shuffle the training set every epoch (seeded).',
    },
    augment: {
      type: 'object',
      additionalProperties: false,
      description:
        'Random changes of each training image (never of evaluated ones), drawn from the seed, epoch and batch: same seed, same images.',
      properties: {
        shift: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'Translate by up to this many pixels each way; zeros come in.',
        },
        cropPadding: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description:
            'Pad with this many zero pixels, then crop back to size at a random place (torchvision RandomCrop(size, padding)).',
        },
        flip: {
          type: 'boolean',
          default: false,
          description: 'Mirror left-right with probability 1/2.',
        },
        rotate: {
          type: 'number',
          minimum: 0,
          maximum: 180,
          default: 0,
          description: 'Rotate by up to this many degrees each way (nearest pixel).',
        },
        noise: {
          type: 'number',
          minimum: 0,
          default: 0,
          description: 'Add gaussian noise of this standard deviation on the [0, 1] pixel scale.',
        },
      },
    },
    normalize: {
      type: 'object',
      additionalProperties: false,
      required: ['mean', 'std'],
      description:
        'After scaling pixels to [0,1]: (x - mean) / std. E.g. MNIST: mean 0.1307, std 0.3081.',
      properties: {
        mean: { type: 'number' },
        std: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
};

/**
 * `data:`: the keys every dataset shares, plus each registered dataset's own
 * keys (its `optionsSchema`), so the schema follows the dataset registry.
 */
function dataSchema(datasets: readonly DatasetConfigEntry[]): Record<string, unknown> {
  const properties: Record<string, unknown> = { ...DATA_SCHEMA.properties };
  // A key several datasets read (`train`: idx files, an image folder, a CSV
  // file) is checked by the chosen dataset's own schema, under an if/then.
  const owners = new Map<string, { dataset: string; schema: Record<string, unknown> }[]>();
  for (const dataset of datasets) {
    const own = (dataset.optionsSchema['properties'] ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    for (const [key, schema] of Object.entries(own)) {
      if (key in DATA_SCHEMA.properties)
        throw new Error(`data.${key} of dataset "${dataset.name}" is already a data key`);
      const list = owners.get(key) ?? [];
      if (list.some((o) => o.dataset === dataset.name))
        throw new Error(`data.${key} is declared twice by dataset "${dataset.name}"`);
      list.push({ dataset: dataset.name, schema });
      owners.set(key, list);
    }
  }
  const described = (dataset: string, schema: Record<string, unknown>): string =>
    `dataset ${dataset}${typeof schema['description'] === 'string' ? `: ${schema['description']}` : ''}`;
  const conditional = new Map<string, Record<string, unknown>>();
  for (const [key, list] of owners) {
    if (list.length === 1) {
      const { dataset, schema } = list[0]!;
      properties[key] = { ...schema, description: described(dataset, schema) };
      continue;
    }
    properties[key] = { description: list.map((o) => described(o.dataset, o.schema)).join('; ') };
    for (const { dataset, schema } of list) {
      const then = conditional.get(dataset) ?? {};
      then[key] = { ...schema, description: described(dataset, schema) };
      conditional.set(dataset, then);
    }
  }
  const allOf = [...conditional].map(([dataset, then]) => ({
    if: { required: ['dataset'], properties: { dataset: { const: dataset } } },
    then: { properties: then },
  }));
  const names = datasets.map((d) => d.name);
  return {
    ...DATA_SCHEMA,
    ...(allOf.length > 0 ? { allOf } : {}),
    properties: {
      ...properties,
      dataset: {
        ...DATA_SCHEMA.properties.dataset,
        ...(names.length > 0
          ? {
              examples: names,
              enum: names,
              description: `A dataset from the registry: ${datasets.map((d) => `${d.name} (${d.description})`).join('; ')}.`,
            }
          : {}),
      },
    },
  };
}

function modelSchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'The network: an input shape and a list (or graph) of layers.',
    properties: {
      input: {
        type: 'array',
        items: { type: 'integer', minimum: 1 },
        minItems: 1,
        maxItems: 4,
        description:
          'Input shape without the batch dimension, e.g. [28, 28, 1] (height, width, channels).',
        examples: [[28, 28, 1]],
      },
      layers: {
        type: 'array',
        minItems: 1,
        items: { $ref: '#/$defs/layer' },
        description:
          'The layers. Each takes the previous one, unless it names its `inputs` (graph form: branches and merges).',
      },
      output: {
        type: 'string',
        minLength: 1,
        description: 'The layer whose output is the logits. Default: the last layer.',
      },
    },
  };
}

function layerItemSchema(layers: readonly LayerSchemaEntry[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    name: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
      description:
        'A name for this layer, for `inputs:` of other layers and for the summary. Default: <kind>_<position>, e.g. conv2d_1.',
    },
    inputs: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'Names of the layers (or `input`) this one takes. Default: the previous layer.',
    },
  };
  const dependentSchemas: Record<string, unknown> = {};
  for (const layer of layers) {
    properties[layer.kind] = layerArgsSchema(layer);
    const min = layer.inputs?.min ?? 1;
    const max = layer.inputs?.max ?? (layer.inputs ? undefined : 1);
    const inputs: Record<string, unknown> = { type: 'array' };
    if (min > 1) inputs['minItems'] = min;
    if (max !== undefined) inputs['maxItems'] = max;
    dependentSchemas[layer.kind] = {
      ...(min > 1 ? { required: ['inputs'] } : {}),
      properties: { inputs },
    };
  }
  return {
    type: 'object',
    title: 'layer',
    description:
      'One layer: exactly one layer kind as key, its arguments as value, e.g. `- conv2d: {filters: 6, kernelSize: 5}`; optionally `name` and `inputs`.',
    additionalProperties: false,
    properties,
    oneOf: layers.map((layer) => ({ required: [layer.kind] })),
    dependentSchemas,
  };
}

function layerArgsSchema(layer: LayerSchemaEntry): Record<string, unknown> {
  const args = layer.argsSchema;
  const required = Array.isArray(args['required']) && args['required'].length > 0;
  // `- flatten:` (no value) means no arguments; allowed only when none is required.
  const type = args['type'] === 'object' && !required ? ['object', 'null'] : args['type'];
  return { ...args, type, title: layer.kind, description: layer.description };
}

/** The values of `train.loss`; the train stage's LOSSES registry has one entry for each (a test keeps them in step). */
export const LOSS_NAMES = ['crossEntropy', 'mse', 'mae', 'huber'] as const;

function trainSchema(optimizers: readonly OptimizerConfigEntry[]): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    description: 'How to train: epochs (required), loss and optimizer.',
    properties: {
      epochs: { type: 'integer', minimum: 1, description: 'Passes over the training set.' },
      loss: {
        enum: [...LOSS_NAMES],
        default: 'crossEntropy',
        description:
          'crossEntropy: softmax cross-entropy on the logits (the last layer has no softmax), for class labels. mse, mae, huber (delta 1): regression of one output on a numeric target (records test/rmse and test/mae).',
      },
      optimizer: optimizerSchema(optimizers),
      maxSteps: {
        type: 'integer',
        minimum: 1,
        description: 'Stop after this many training steps in all (quick runs, benchmarks).',
      },
      checkpointMetric: {
        enum: ['accuracy', 'loss'],
        default: 'accuracy',
        description:
          'The evaluation metric that picks the best checkpoint. Regression has no accuracy: its best checkpoint is always by loss.',
      },
      workers: {
        anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: 64 }],
        default: 'auto',
        description:
          'Data-parallel training: each worker thread trains a replica on its share of every batch, and the averaged gradient updates all of them. `auto`: the cores this process may use, at most 4 and one per 32 examples of a batch (1 on tfjs-node, which already uses every core); 1 trains in the main thread alone.',
        examples: ['auto', 1, 2],
      },
      schedule: SCHEDULE_SCHEMA,
      gradientClipping: GRADIENT_CLIPPING_SCHEMA,
      labelSmoothing: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 1,
        default: 0,
        description:
          'Cross-entropy against (1 - s) x one-hot + s / classes, as PyTorch CrossEntropyLoss(label_smoothing). Training loss only; evaluation stays plain cross-entropy.',
      },
      earlyStopping: EARLY_STOPPING_SCHEMA,
      checkpointEvery: {
        type: 'integer',
        minimum: 1,
        description:
          'Save the whole training state every this many steps, besides every epoch end, so `runner exp --resume` loses at most this many steps.',
      },
    },
  };
}

const SCHEDULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description:
    'How the learning rate changes, as PyTorch torch.optim.lr_scheduler: step, exponential, cosine (with optional linear warmup), oneCycle or reduceOnPlateau. Recorded as train/learning_rate at every step.',
  properties: {
    type: {
      enum: ['step', 'exponential', 'cosine', 'oneCycle', 'reduceOnPlateau'],
      description:
        'step (StepLR: x gamma every stepEpochs), exponential (ExponentialLR: x gamma every epoch), cosine (CosineAnnealingLR over the run, per step), oneCycle (OneCycleLR, per step), reduceOnPlateau (ReduceLROnPlateau on an evaluation metric).',
    },
    stepEpochs: {
      type: 'integer',
      minimum: 1,
      description: 'step: epochs between reductions (PyTorch step_size).',
    },
    gamma: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'step and exponential: the factor per reduction (step: default 0.1).',
    },
    minLearningRate: {
      type: 'number',
      minimum: 0,
      description:
        'cosine: the rate at the end (PyTorch eta_min, default 0); reduceOnPlateau: never below this (min_lr, default 0).',
    },
    warmupSteps: {
      type: 'integer',
      minimum: 1,
      description:
        'cosine: steps of linear warmup first (PyTorch LinearLR before CosineAnnealingLR in SequentialLR).',
    },
    warmupEpochs: {
      type: 'integer',
      minimum: 1,
      description: 'cosine: warmup as a number of epochs instead of steps.',
    },
    warmupStartFactor: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      description:
        'cosine: the warmup starts at learningRate x this (PyTorch LinearLR start_factor, default 1/3).',
    },
    maxLearningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      description:
        'oneCycle: the peak rate (PyTorch max_lr); the optimizer learningRate is not used.',
    },
    pctStart: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: 'oneCycle: share of the steps spent rising (default 0.3).',
    },
    divFactor: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'oneCycle: the first rate is maxLearningRate / divFactor (default 25).',
    },
    finalDivFactor: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'oneCycle: the last rate is the first / finalDivFactor (default 1e4).',
    },
    cycleMomentum: {
      type: 'boolean',
      description:
        "oneCycle: cycle momentum inversely to the rate, from maxMomentum down to baseMomentum and back (PyTorch cycle_momentum, default true): sgd's and rmsprop's momentum, adam's and adamw's beta1, replacing the optimizer's own value. Recorded as train/momentum at every step.",
    },
    baseMomentum: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      description: 'oneCycle: the momentum at the peak rate (PyTorch base_momentum, default 0.85).',
    },
    maxMomentum: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      description:
        'oneCycle: the momentum at the first and last steps (PyTorch max_momentum, default 0.95).',
    },
    metric: {
      type: 'string',
      pattern: '^(test|val)/(loss|accuracy|rmse|mae)$',
      description:
        'reduceOnPlateau: the evaluation metric watched, e.g. test/loss; test/accuracy for class labels, test/rmse or test/mae for a regression loss (val/... with data.validationSplit).',
    },
    mode: {
      enum: ['min', 'max'],
      description:
        'reduceOnPlateau: whether lower is better (default: max for accuracy, else min).',
    },
    factor: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description: 'reduceOnPlateau: the factor per reduction (default 0.1).',
    },
    patience: {
      type: 'integer',
      minimum: 0,
      description: 'reduceOnPlateau: epochs without improvement before a reduction (default 10).',
    },
    threshold: {
      type: 'number',
      minimum: 0,
      description: 'reduceOnPlateau: relative improvement that counts (default 1e-4).',
    },
    cooldown: {
      type: 'integer',
      minimum: 0,
      description: 'reduceOnPlateau: epochs to wait after a reduction (default 0).',
    },
  },
};

const EARLY_STOPPING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['metric'],
  description:
    'Stop when an evaluation metric has not improved for `patience` epochs; the run ends completed, with the reason recorded.',
  properties: {
    metric: {
      type: 'string',
      pattern: '^(test|val)/(loss|accuracy|rmse|mae)$',
      description:
        'The evaluation metric watched, e.g. test/loss; test/accuracy for class labels, test/rmse or test/mae for a regression loss (val/... with data.validationSplit).',
    },
    mode: {
      enum: ['min', 'max'],
      description: 'Whether lower is better (default: max for accuracy, else min).',
    },
    patience: {
      type: 'integer',
      minimum: 1,
      default: 3,
      description: 'Epochs in a row without improvement that stop the run (default 3).',
    },
    minDelta: {
      type: 'number',
      minimum: 0,
      default: 0,
      description: 'An improvement must be larger than this (default 0).',
    },
    restoreBest: {
      type: 'boolean',
      default: false,
      description: "The saved final model is the best epoch's, not the last one's.",
    },
  },
};

const GRADIENT_CLIPPING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description:
    'Before each update: {norm: N} rescales all gradients when their global L2 norm exceeds N (torch clip_grad_norm_); {value: V} clamps each to [-V, V] (clip_grad_value_).',
  properties: {
    norm: { type: 'number', exclusiveMinimum: 0, description: 'Largest global L2 norm.' },
    value: { type: 'number', exclusiveMinimum: 0, description: 'Largest absolute value.' },
  },
};

const RANGE = {
  type: 'array',
  items: { type: 'number' },
  minItems: 2,
  maxItems: 2,
};

const SWEEP_DISTRIBUTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description: 'Exactly one of uniform, logUniform, intUniform or choice.',
  properties: {
    uniform: { ...RANGE, description: '[low, high]: uniform between them.' },
    logUniform: {
      ...RANGE,
      description: '[low, high], both > 0: uniform in log space (learning rates).',
    },
    intUniform: {
      ...RANGE,
      items: { type: 'integer' },
      description: '[low, high]: an integer between them, both included.',
    },
    choice: { type: 'array', minItems: 1, description: 'One of these values.' },
  },
};

const SPACE_SCHEMA = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { $ref: '#/$defs/sweepDistribution' },
  description: 'Config path → distribution.',
};

/** The sampler and pruner kinds (train/'s SAMPLERS and PRUNERS tables; a test keeps them in step). */
export const SWEEP_SAMPLER_KINDS = ['grid', 'random', 'tpe'] as const;
export const SWEEP_PRUNER_KINDS = ['median', 'successiveHalving', 'hyperband'] as const;

const SWEEP_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description:
    'Run several trials of this experiment, varying config paths: a grid, or `trials` configurations drawn from `space` (random or tpe).',
  properties: {
    sampler: {
      enum: SWEEP_SAMPLER_KINDS,
      description:
        'grid: every combination of `grid`; random: `trials` seeded draws from `space`; tpe: the first tpe.startupTrials at random, then the Tree-structured Parzen Estimator over the finished trials (Bergstra et al. 2011, as Optuna). Default: random when there is a space, else grid.',
    },
    grid: {
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'array', minItems: 1 },
      description:
        'Config path → values; every combination is a trial. E.g. {"train.optimizer.learningRate": [0.01, 0.001]}.',
    },
    trials: {
      type: 'integer',
      minimum: 1,
      description: 'Configurations drawn from `space` (sampler random or tpe).',
    },
    space: SPACE_SCHEMA,
    random: {
      type: 'object',
      additionalProperties: false,
      required: ['trials', 'space'],
      description:
        'Random search: `trials` draws from `space` (the older form of sampler: random).',
      properties: {
        trials: { type: 'integer', minimum: 1, description: 'Number of trials.' },
        space: SPACE_SCHEMA,
      },
    },
    tpe: {
      type: 'object',
      additionalProperties: false,
      description: "TPE's settings (Optuna's TPESampler defaults).",
      properties: {
        startupTrials: {
          type: 'integer',
          minimum: 1,
          default: 10,
          description: 'Configurations drawn at random before TPE models the finished ones.',
        },
        gamma: {
          type: 'number',
          exclusiveMinimum: 0,
          exclusiveMaximum: 1,
          default: 0.1,
          description:
            'Fraction of the finished configurations that count as good: ceil(gamma·n), at most 25.',
        },
        candidates: {
          type: 'integer',
          minimum: 1,
          default: 24,
          description:
            'Candidates drawn from the good model; the one with the best l(x)/g(x) is run.',
        },
        constantLiar: {
          type: 'boolean',
          default: true,
          description:
            "Count configurations still running (--parallel slots, workers) among the bad ones, so free slots do not propose next to them (Optuna's constant_liar). false: learn from finished trials only.",
        },
        multivariate: {
          type: 'boolean',
          default: false,
          description:
            "Model the parameters jointly, so values that went together in good trials are proposed together (Optuna's TPESampler(multivariate=True)). Default false: one parameter at a time, as Bergstra et al. 2011 (it did better on bench/sweep-search.mjs).",
        },
      },
    },
    metric: {
      enum: [
        'test/accuracy',
        'test/loss',
        'val/accuracy',
        'val/loss',
        'train/accuracy',
        'train/loss',
      ],
      default: 'test/accuracy',
      description: 'The metric that ranks trials (its last evaluation).',
    },
    goal: {
      enum: ['minimize', 'maximize'],
      default: 'maximize',
      description: 'Whether a higher metric is better.',
    },
    pruner: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      description:
        'Stop trials at epoch ends: median (worse than the median of completed trials at that epoch), successiveHalving (rungs at minEpochs·reductionFactor^k epochs, the best 1/reductionFactor go on), hyperband (several successive-halving brackets).',
      properties: {
        type: { enum: SWEEP_PRUNER_KINDS },
        minEpochs: {
          type: 'integer',
          minimum: 1,
          default: 1,
          description: 'Never prune before this epoch (the first rung).',
        },
        reductionFactor: {
          type: 'integer',
          minimum: 2,
          default: 3,
          description:
            'successiveHalving, hyperband: keep the best 1/reductionFactor at each rung.',
        },
        brackets: {
          type: 'integer',
          minimum: 1,
          description: 'hyperband: brackets (default floor(log_η(epochs / minEpochs)) + 1).',
        },
      },
    },
    earlyStop: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      description:
        'Median stopping (the older form of pruner: {type: median}): prune a trial worse than the median of finished trials at the same epoch.',
      properties: {
        type: { const: 'median' },
        minEpochs: {
          type: 'integer',
          minimum: 1,
          default: 1,
          description: 'Never prune before this epoch.',
        },
      },
    },
    repeats: {
      type: 'integer',
      minimum: 1,
      default: 1,
      description:
        'Runs of each configuration, with seeds seed, seed+1, ...; trials are ranked by their mean.',
    },
  },
};
