import type {
  AugmentSpec,
  EarlyStoppingSpec,
  ScheduleSpec,
  DataSpec,
  Experiment,
  LayerNode,
  OptimizerSpec,
  PrunerKind,
  PrunerSpec,
  SamplerKind,
  SweepDistribution,
  SweepSpec,
  TrainSpec,
} from './experiment.js';
import { ownDataKeys } from './dataset-keys.js';
import { isPlainObject } from './document-path.js';
import type { DatasetConfigEntry } from './registry-entries.js';
import { locationOf, type SourceMap } from './source-map.js';

export interface NormalizeInput {
  /** Schema-valid, with defaults filled in. */
  readonly document: Record<string, unknown>;
  readonly sourceMap: SourceMap;
  readonly nodes: readonly LayerNode[];
  readonly output: string;
  readonly file: string;
  readonly files: readonly string[];
  readonly overrides: readonly string[];
  /** The dataset registry: which `data.*` keys are the chosen dataset's own options. */
  readonly datasets: readonly DatasetConfigEntry[];
  /** Used when the file has no `name`. */
  readonly defaultName: string;
}

/** The valid, defaulted document → the frozen `Experiment` the other stages see. */
export function normalizeExperiment(input: NormalizeInput): Experiment {
  const document = input.document;
  if (document['name'] === undefined) document['name'] = input.defaultName;
  const data = object(document['data']);
  const model = object(document['model']);
  const train = object(document['train']);
  const optimizer = object(train['optimizer']);
  const limit = object(data['limit']);
  const normalize = data['normalize'];
  const options: Record<string, unknown> = {};
  const dataset = input.datasets.find((d) => d.name === data['dataset']);
  for (const key of dataset ? ownDataKeys(dataset) : []) {
    if (data[key] !== undefined) options[key] = data[key];
  }
  const dataSpec: DataSpec = {
    dataset: data['dataset'] as string,
    batchSize: data['batchSize'] as number,
    root: data['root'] as string | undefined,
    source: data['source'] as DataSpec['source'],
    limit: {
      train: limit['train'] as number | undefined,
      test: limit['test'] as number | undefined,
    },
    validationSplit: data['validationSplit'] as number,
    shuffle: data['shuffle'] as boolean,
    normalize: isPlainObject(normalize)
      ? { mean: normalize['mean'] as number, std: normalize['std'] as number }
      : undefined,
    augment: augmentSpec(data['augment']),
    options,
    loc: locationOf(input.sourceMap, ['data'], true).loc,
  };
  const { type, learningRate, ...optimizerOptions } = optimizer;
  const optimizerSpec: OptimizerSpec = {
    type: type as string,
    learningRate: learningRate as number,
    options: optimizerOptions,
  };
  const trainSpec: TrainSpec = {
    epochs: train['epochs'] as number,
    loss: train['loss'] as TrainSpec['loss'],
    optimizer: optimizerSpec,
    maxSteps: train['maxSteps'] as number | undefined,
    checkpointMetric: train['checkpointMetric'] as TrainSpec['checkpointMetric'],
    workers: train['workers'] as TrainSpec['workers'],
    schedule: scheduleSpec(train['schedule'], input.sourceMap),
    gradientClipping: isPlainObject(train['gradientClipping'])
      ? (train['gradientClipping'] as TrainSpec['gradientClipping'])
      : undefined,
    labelSmoothing: (train['labelSmoothing'] as number | undefined) ?? 0,
    earlyStopping: earlyStoppingSpec(train['earlyStopping']),
    checkpointEvery: train['checkpointEvery'] as number | undefined,
  };
  const experiment: Experiment = {
    name: document['name'] as string,
    seed: document['seed'] as number,
    backend: document['backend'] as string,
    data: dataSpec,
    model: {
      input: model['input'] as number[] | undefined,
      nodes: input.nodes,
      output: input.output,
      loc: locationOf(input.sourceMap, ['model'], true).loc,
    },
    train: trainSpec,
    sweep: sweepSpec(document['sweep']),
    source: {
      file: input.file,
      files: input.files,
      overrides: input.overrides,
      document,
    },
  };
  return deepFreeze(experiment);
}

function sweepSpec(value: unknown): SweepSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  const random = value['random'];
  const space = isPlainObject(random) ? random['space'] : value['space'];
  const trials = isPlainObject(random) ? random['trials'] : value['trials'];
  const tpe = isPlainObject(value['tpe']) ? value['tpe'] : {};
  const sampler =
    (value['sampler'] as SamplerKind | undefined) ?? (isPlainObject(space) ? 'random' : 'grid');
  return {
    sampler,
    grid: isPlainObject(value['grid']) ? (value['grid'] as Record<string, unknown[]>) : undefined,
    random: isPlainObject(space)
      ? {
          trials: trials as number,
          space: space as Record<string, SweepDistribution>,
        }
      : undefined,
    tpe: {
      startupTrials: (tpe['startupTrials'] as number | undefined) ?? 10,
      gamma: (tpe['gamma'] as number | undefined) ?? 0.1,
      candidates: (tpe['candidates'] as number | undefined) ?? 24,
      constantLiar: (tpe['constantLiar'] as boolean | undefined) ?? true,
      multivariate: (tpe['multivariate'] as boolean | undefined) ?? false,
    },
    metric: value['metric'] as string,
    goal: value['goal'] as SweepSpec['goal'],
    pruner: prunerSpec(value['pruner'] ?? value['earlyStop']),
    repeats: (value['repeats'] as number | undefined) ?? 1,
  };
}

function prunerSpec(value: unknown): PrunerSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  const minEpochs = (value['minEpochs'] as number | undefined) ?? 1;
  const reductionFactor = (value['reductionFactor'] as number | undefined) ?? 3;
  switch (value['type'] as PrunerKind) {
    case 'median':
      return { type: 'median', minEpochs };
    case 'successiveHalving':
      return { type: 'successiveHalving', minEpochs, reductionFactor };
    case 'hyperband':
      return {
        type: 'hyperband',
        minEpochs,
        reductionFactor,
        brackets: value['brackets'] as number | undefined,
      };
  }
}

/** Lower is better for a loss, higher for an accuracy, unless `mode` says. */
function modeOf(metric: string, mode: unknown): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  return metric.endsWith('/accuracy') ? 'max' : 'min';
}

/** `train.schedule` with PyTorch's defaults filled in per type. */
function scheduleSpec(value: unknown, sourceMap: SourceMap): ScheduleSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  const num = (key: string, fallback: number): number =>
    typeof value[key] === 'number' ? value[key] : fallback;
  const warmupKey = value['warmupSteps'] !== undefined ? 'warmupSteps' : 'warmupEpochs';
  const keyPath = value[warmupKey] !== undefined ? [warmupKey] : [];
  const loc = locationOf(sourceMap, ['train', 'schedule', ...keyPath], true).loc;
  switch (value['type']) {
    case 'step':
      return { type: 'step', stepEpochs: num('stepEpochs', 1), gamma: num('gamma', 0.1), loc };
    case 'exponential':
      return { type: 'exponential', gamma: num('gamma', 1), loc };
    case 'cosine':
      return {
        type: 'cosine',
        minLearningRate: num('minLearningRate', 0),
        warmupSteps: value['warmupSteps'] as number | undefined,
        warmupEpochs: value['warmupEpochs'] as number | undefined,
        warmupStartFactor: num('warmupStartFactor', 1 / 3),
        loc,
      };
    case 'oneCycle':
      return {
        type: 'oneCycle',
        maxLearningRate: num('maxLearningRate', 0.01),
        pctStart: num('pctStart', 0.3),
        divFactor: num('divFactor', 25),
        finalDivFactor: num('finalDivFactor', 1e4),
        cycleMomentum: value['cycleMomentum'] !== false,
        baseMomentum: num('baseMomentum', 0.85),
        maxMomentum: num('maxMomentum', 0.95),
        loc,
      };
    case 'reduceOnPlateau': {
      const metric = value['metric'] as string;
      return {
        type: 'reduceOnPlateau',
        metric,
        mode: modeOf(metric, value['mode']),
        factor: num('factor', 0.1),
        patience: num('patience', 10),
        threshold: num('threshold', 1e-4),
        cooldown: num('cooldown', 0),
        minLearningRate: num('minLearningRate', 0),
        loc,
      };
    }
    default:
      return undefined;
  }
}

function earlyStoppingSpec(value: unknown): EarlyStoppingSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  const metric = value['metric'] as string;
  return {
    metric,
    mode: modeOf(metric, value['mode']),
    patience: value['patience'] as number,
    minDelta: value['minDelta'] as number,
    restoreBest: value['restoreBest'] as boolean,
  };
}

function augmentSpec(value: unknown): AugmentSpec | undefined {
  if (!isPlainObject(value)) return undefined;
  return {
    shift: value['shift'] as number,
    cropPadding: value['cropPadding'] as number,
    flip: value['flip'] as boolean,
    rotate: value['rotate'] as number,
    noise: value['noise'] as number,
  };
}

function object(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
