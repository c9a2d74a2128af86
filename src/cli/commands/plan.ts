import type { Command } from 'commander';
import type { Experiment } from '../../config/experiment.js';
import type { ModelPlan } from '../../model/index.js';
import { outputFormat } from '../parse-flags.js';
import { collect, type CliContext, type CommandDefinition } from './command.js';

interface PlanFlags {
  readonly set?: readonly string[];
  readonly json?: boolean;
  readonly csv?: boolean;
}

/** `runner plan FILE`: the compiled model (layers, shapes, parameters) and what would run. */
export const planCommand: CommandDefinition = {
  name: 'plan',
  register(program: Command, context: CliContext) {
    program
      .command('plan')
      .description(
        'show the compiled model (layers, output shapes, parameters) and the data, optimizer and epochs that would run',
      )
      .argument('<file>', 'experiment YAML file')
      .option('--set <key=value>', 'override a config value (repeatable)', collect)
      .option('--json', 'print the plan as JSON')
      .option(
        '--csv',
        'print the layers as CSV (one row per layer: inputs, output shape, parameters)',
      )
      .action(async (file: string, flags: PlanFlags) => {
        await planFile(context, file, flags);
      });
  },
};

async function planFile(context: CliContext, file: string, flags: PlanFlags): Promise<void> {
  const format = outputFormat(flags);
  // Lazy: `runner --help` must not load tfjs.
  const [{ loadExperiment }, { planModel, formatShape }, { usePlanningBackend }] =
    await Promise.all([
      import('../../config/index.js'),
      import('../../model/index.js'),
      import('../../model/planning-backend.js'),
    ]);
  const { REGISTRIES } = await import('../../registries.js');
  const experiment = await loadExperiment(file, {
    registries: REGISTRIES,
    set: flags.set ?? [],
    cwd: context.cwd,
  });
  await usePlanningBackend();
  const plan = planModel(experiment.model);
  const { checkClassCount, declaredClassCount } = await import('../../train/check-class-count.js');
  checkClassCount(experiment, plan, declaredClassCount(experiment));
  const { checkMemory, describeMemory, estimateMemory, memoryLimits, plannedDataBytes } =
    await import('../../train/memory-estimate.js');
  const memory = estimateMemory(
    experiment,
    plan,
    await plannedDataBytes(experiment, plan, context.cwd),
  );
  checkMemory(experiment, plan, memory, memoryLimits(experiment.backend));
  if (format === 'json') {
    context.out.json({ ...planJson(experiment, plan), memory });
    return;
  }
  if (format === 'csv') {
    context.out.csv(
      plan.layers.map((l) => ({
        layer: l.name,
        kind: l.kind,
        inputs: l.inputs.join(' '),
        output_shape: formatShape(l.outputShape),
        trainable: l.trainableParams,
        non_trainable: l.nonTrainableParams,
      })),
      ['layer', 'kind', 'inputs', 'output_shape', 'trainable', 'non_trainable'],
    );
    return;
  }
  const { out } = context;
  out.line(`${experiment.name}  (${experiment.source.files.join(' <- ')})`);
  out.line();
  // Graph-form models (branches, merges) show each layer's inputs; a plain stack needs none.
  const stacked = plan.layers.every(
    (l, i) =>
      l.inputs.length === 1 && l.inputs[0] === (i === 0 ? 'input' : plan.layers[i - 1]!.name),
  );
  out.table(
    [
      {
        layer: 'input',
        kind: '',
        shape: formatShape(plan.inputShape),
        trainable: null,
        fixed: null,
      },
      ...plan.layers.map((l) => ({
        layer: l.name,
        kind: l.kind,
        inputs: l.inputs.join(', '),
        shape: formatShape(l.outputShape),
        trainable: l.trainableParams,
        fixed: l.nonTrainableParams,
      })),
      {
        layer: 'total',
        kind: '',
        shape: '',
        trainable: plan.trainableParams,
        fixed: plan.nonTrainableParams,
      },
    ],
    [
      { key: 'layer' },
      { key: 'kind' },
      ...(stacked ? [] : [{ key: 'inputs' }]),
      { key: 'shape', title: 'output shape' },
      { key: 'trainable', title: 'trainable', align: 'right' },
      { key: 'fixed', title: 'non-trainable', align: 'right' },
    ],
  );
  out.line();
  const rows: [string, string][] = [
    ...describeRun(experiment, plan),
    ['memory', describeMemory(memory)],
  ];
  for (const [key, value] of rows) out.line(`${key.padEnd(10)} ${value}`);
}

function describeRun(experiment: Experiment, plan: ModelPlan): [string, string][] {
  const { data, train } = experiment;
  const count = (n: number): string => n.toLocaleString('en-US');
  const limits = [
    data.limit.train === undefined
      ? undefined
      : `first ${count(data.limit.train)} training examples`,
    data.limit.test === undefined ? undefined : `first ${count(data.limit.test)} test examples`,
  ].filter((s): s is string => s !== undefined);
  const optimizer = train.optimizer;
  const optimizerExtras = Object.entries(optimizer.options).map(
    ([key, value]) => `${key} ${String(value)}`,
  );
  return [
    [
      'params',
      `${count(plan.totalParams)} (${count(plan.trainableParams)} trainable, ${count(plan.nonTrainableParams)} non-trainable)`,
    ],
    [
      'data',
      [
        data.dataset,
        `batch size ${data.batchSize}`,
        ...limits,
        data.validationSplit > 0 ? `validation split ${data.validationSplit}` : undefined,
        data.normalize
          ? `normalize mean ${data.normalize.mean} std ${data.normalize.std}`
          : undefined,
        data.shuffle ? 'shuffled' : 'not shuffled',
      ]
        .filter((s): s is string => s !== undefined)
        .join(', '),
    ],
    [
      'optimizer',
      [optimizer.type, `learning rate ${optimizer.learningRate}`, ...optimizerExtras].join(', '),
    ],
    [
      'train',
      [
        `${train.epochs} epoch${train.epochs === 1 ? '' : 's'}`,
        train.maxSteps === undefined ? undefined : `at most ${count(train.maxSteps)} steps`,
        `loss ${train.loss} (softmax cross-entropy on the logits)`,
        `best checkpoint by ${train.checkpointMetric}`,
      ]
        .filter((s): s is string => s !== undefined)
        .join(', '),
    ],
    [
      'backend',
      experiment.backend === 'auto'
        ? 'auto (tfjs-node if it loads, else wasm with the runner kernels, else cpu; chosen when training starts)'
        : experiment.backend,
    ],
    ['seed', String(experiment.seed)],
    ...(experiment.sweep === undefined
      ? []
      : [['sweep', describeSweep(experiment.sweep)] as [string, string]]),
  ];
}

/** `grid train.optimizer.learningRate (3 values): 3 trials, maximize test/accuracy`. */
function describeSweep(sweep: NonNullable<Experiment['sweep']>): string {
  const parts: string[] = [];
  const grid = Object.entries(sweep.grid ?? {});
  if (grid.length > 0) {
    const trials = grid.reduce((n, [, values]) => n * values.length, 1);
    const axes = grid.map(([key, values]) => `${key} (${values.length} values)`).join(' x ');
    parts.push(`grid ${axes}: ${trials} trial${trials === 1 ? '' : 's'}`);
  }
  if (sweep.random !== undefined) {
    const keys = Object.keys(sweep.random.space).join(', ');
    const sampler = sweep.sampler === 'tpe' ? 'tpe' : 'random';
    parts.push(
      `${sampler} ${keys}: ${sweep.random.trials} trial${sweep.random.trials === 1 ? '' : 's'}`,
    );
  }
  if (sweep.repeats > 1) parts.push(`${sweep.repeats} seeds each`);
  parts.push(`${sweep.goal} ${sweep.metric}`);
  const pruner = sweep.pruner;
  if (pruner !== undefined) {
    const after = `after ${pruner.minEpochs} epoch${pruner.minEpochs === 1 ? '' : 's'}`;
    parts.push(
      pruner.type === 'median'
        ? `median stopping ${after}`
        : `${pruner.type} pruning ${after}, reduction factor ${pruner.reductionFactor}`,
    );
  }
  return `${parts.join(', ')} (run it with \`runner sweep\`)`;
}

function planJson(experiment: Experiment, plan: ModelPlan): Record<string, unknown> {
  const { data, train } = experiment;
  return {
    name: experiment.name,
    files: experiment.source.files,
    overrides: experiment.source.overrides,
    seed: experiment.seed,
    backend: experiment.backend,
    data: {
      dataset: data.dataset,
      batchSize: data.batchSize,
      limit: { train: data.limit.train ?? null, test: data.limit.test ?? null },
      validationSplit: data.validationSplit,
      shuffle: data.shuffle,
      normalize: data.normalize ?? null,
    },
    train: {
      epochs: train.epochs,
      maxSteps: train.maxSteps ?? null,
      loss: train.loss,
      optimizer: train.optimizer,
      checkpointMetric: train.checkpointMetric,
    },
    sweep: experiment.sweep ?? null,
    model: plan,
  };
}
