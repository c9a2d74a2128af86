import type { DiagnosticCode } from './diagnostic-codes.js';
import type { Diagnostic } from '../errors.js';
import type { LayerNode } from './experiment.js';
import { COMMON_OPTIMIZER_KEYS, joinNames } from './optimizer-schema.js';
import type {
  ConfigRegistries,
  DatasetConfigEntry,
  OptimizerConfigEntry,
} from './registry-entries.js';
import type { ScheduleSpec } from './experiment.js';
import { formatPath, isPlainObject, parsePath, type PathSegment } from './document-path.js';
import { ownDataKeys } from './dataset-keys.js';
import { checkSchemaPath } from './schema-paths.js';
import { applyOverride } from './set-overrides.js';
import { diagnosticAt, SourceMap } from './source-map.js';
import type { ExperimentValidator } from './validate-schema.js';

export interface RuleInput {
  /** The document with schema defaults filled in (possibly invalid elsewhere). */
  readonly document: Readonly<Record<string, unknown>>;
  readonly sourceMap: SourceMap;
  readonly validator: ExperimentValidator;
  readonly nodes: readonly LayerNode[] | undefined;
  readonly output: string | undefined;
  readonly registries: ConfigRegistries;
}

/**
 * Rules that span several keys, past what the schema can say. Each rule
 * reads defensively: a part that failed the schema check is skipped.
 */
export function checkRules(input: RuleInput): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (path, code, message, hint, atKey = true) =>
    diagnostics.push(diagnosticAt(input.sourceMap, path, code, message, { hint, atKey }));
  checkOptimizer(input.document, input.registries.optimizers, report);
  checkRecipe(input.document, report);
  checkData(input.document, input.registries.datasets, report);
  checkOutputLayer(input, report);
  checkSweep(input, report);
  return diagnostics;
}

type Report = (
  path: readonly PathSegment[],
  code: DiagnosticCode,
  message: string,
  hint?: string,
  atKey?: boolean,
) => void;

/**
 * An option of another optimizer would be silently ignored: each optimizer
 * reads only the options its registry entry declares.
 */
function checkOptimizer(
  document: Readonly<Record<string, unknown>>,
  optimizers: readonly OptimizerConfigEntry[],
  report: Report,
): void {
  const train = document['train'];
  const optimizer = isPlainObject(train) ? train['optimizer'] : undefined;
  if (!isPlainObject(optimizer) || typeof optimizer['type'] !== 'string') return;
  const type = optimizer['type'];
  const entry = optimizers.find((o) => o.name === type);
  if (!entry) return; // an unknown type is the schema check's
  for (const key of Object.keys(optimizer)) {
    if (
      (COMMON_OPTIMIZER_KEYS as readonly string[]).includes(key) ||
      Object.hasOwn(entry.options, key)
    )
      continue;
    const users = optimizers.filter((o) => Object.hasOwn(o.options, key)).map((o) => o.name);
    if (users.length === 0) continue; // unknown keys are the schema check's
    report(
      ['train', 'optimizer', key],
      'optimizer-option',
      `"${key}" is not an option of ${type} (it is for ${joinNames(users)})`,
      `remove it, or use type: ${users[0] ?? ''}`,
    );
  }
}

/** Which schedule reads which option, and which it needs. */
const SCHEDULE_OPTIONS: Readonly<
  Record<
    ScheduleSpec['type'],
    { readonly reads: readonly string[]; readonly needs: readonly string[] }
  >
> = {
  step: { reads: ['stepEpochs', 'gamma'], needs: ['stepEpochs'] },
  exponential: { reads: ['gamma'], needs: ['gamma'] },
  cosine: {
    reads: ['minLearningRate', 'warmupSteps', 'warmupEpochs', 'warmupStartFactor'],
    needs: [],
  },
  oneCycle: {
    reads: [
      'maxLearningRate',
      'pctStart',
      'divFactor',
      'finalDivFactor',
      'cycleMomentum',
      'baseMomentum',
      'maxMomentum',
    ],
    needs: ['maxLearningRate'],
  },
  reduceOnPlateau: {
    reads: ['metric', 'mode', 'factor', 'patience', 'threshold', 'cooldown', 'minLearningRate'],
    needs: ['metric'],
  },
};

/**
 * The training recipe: schedule options that fit their type, a warmup
 * shorter than the run, metrics that the run records, nesterov with momentum,
 * label smoothing only with cross-entropy.
 */
function checkRecipe(document: Readonly<Record<string, unknown>>, report: Report): void {
  const train = document['train'];
  if (!isPlainObject(train)) return;
  const data = isPlainObject(document['data']) ? document['data'] : {};
  const evalName =
    typeof data['validationSplit'] === 'number' && data['validationSplit'] > 0 ? 'val' : 'test';
  // A regression loss records rmse and mae, cross-entropy records accuracy (train/evaluate.ts).
  const loss = typeof train['loss'] === 'string' ? train['loss'] : 'crossEntropy';
  const regression = loss !== 'crossEntropy';
  const measures = regression ? ['loss', 'rmse', 'mae'] : ['loss', 'accuracy'];
  const checkMetric = (path: PathSegment[], metric: unknown): void => {
    if (typeof metric !== 'string') return;
    const [split, measure = ''] = metric.split('/');
    const hint = `use ${measures.map((m) => `${evalName}/${m}`).join(', ')}`;
    if (split !== evalName) {
      const why =
        evalName === 'test'
          ? 'this run evaluates on the test set (data.validationSplit is 0)'
          : 'this run evaluates on the validation split (data.validationSplit > 0)';
      report(path, 'unrecorded-metric', `"${metric}" is never recorded: ${why}`, hint, false);
    } else if (!measures.includes(measure)) {
      const why = regression
        ? `train.loss ${loss} is a regression loss, which records ${measures.join(', ')}`
        : `train.loss crossEntropy records loss and accuracy (rmse and mae come with a regression loss)`;
      report(path, 'unrecorded-metric', `"${metric}" is never recorded: ${why}`, hint, false);
    }
  };
  const schedule = train['schedule'];
  if (isPlainObject(schedule) && typeof schedule['type'] === 'string') {
    const type = schedule['type'];
    if (Object.hasOwn(SCHEDULE_OPTIONS, type)) {
      const { reads, needs } = SCHEDULE_OPTIONS[type as ScheduleSpec['type']];
      for (const key of Object.keys(schedule)) {
        if (key === 'type' || reads.includes(key)) continue;
        const users = Object.entries(SCHEDULE_OPTIONS)
          .filter(([, o]) => o.reads.includes(key))
          .map(([name]) => name);
        if (users.length === 0) continue;
        report(
          ['train', 'schedule', key],
          'schedule-option',
          `"${key}" is not an option of schedule ${type} (it is for ${users.join(' and ')})`,
          `remove it, or use type: ${users[0] ?? ''}`,
        );
      }
      for (const key of needs) {
        if (schedule[key] === undefined) {
          report(
            ['train', 'schedule', 'type'],
            'missing-key',
            `schedule ${type} needs ${key}`,
            undefined,
            false,
          );
        }
      }
      if (schedule['warmupSteps'] !== undefined && schedule['warmupEpochs'] !== undefined) {
        report(
          ['train', 'schedule', 'warmupEpochs'],
          'schedule-option',
          'give warmupSteps or warmupEpochs, not both',
        );
      }
      const epochs = train['epochs'];
      const warmupEpochs = schedule['warmupEpochs'];
      if (
        typeof warmupEpochs === 'number' &&
        typeof epochs === 'number' &&
        warmupEpochs >= epochs
      ) {
        report(
          ['train', 'schedule', 'warmupEpochs'],
          'warmup-too-long',
          `a warmup of ${warmupEpochs} epochs is not shorter than the run (train.epochs is ${epochs})`,
          'shorten the warmup or train for more epochs',
          false,
        );
      }
      if (type === 'reduceOnPlateau')
        checkMetric(['train', 'schedule', 'metric'], schedule['metric']);
    }
  }
  const earlyStopping = train['earlyStopping'];
  if (isPlainObject(earlyStopping)) {
    checkMetric(['train', 'earlyStopping', 'metric'], earlyStopping['metric']);
  }
  const smoothing = train['labelSmoothing'];
  if (typeof smoothing === 'number' && smoothing > 0 && regression) {
    // Smoothing spreads probability over classes: a regression loss has none to spread over.
    report(
      ['train', 'labelSmoothing'],
      'option-conflict',
      `label smoothing applies to crossEntropy only; train.loss is ${loss}`,
      'remove train.labelSmoothing, or use loss: crossEntropy',
    );
  }
  const optimizer = train['optimizer'];
  if (
    isPlainObject(optimizer) &&
    optimizer['type'] === 'sgd' &&
    optimizer['nesterov'] === true &&
    !(typeof optimizer['momentum'] === 'number' && optimizer['momentum'] > 0)
  ) {
    report(
      ['train', 'optimizer', 'nesterov'],
      'optimizer-option',
      'Nesterov momentum needs momentum > 0',
      'add momentum, e.g. 0.9',
    );
  }
}

/**
 * A key only another dataset reads would be silently ignored; then the
 * chosen dataset's own rules (its registry entry's `checkConfig`).
 */
function checkData(
  document: Readonly<Record<string, unknown>>,
  datasets: readonly DatasetConfigEntry[],
  report: Report,
): void {
  const data = document['data'];
  if (!isPlainObject(data) || typeof data['dataset'] !== 'string') return;
  const dataset = data['dataset'];
  const entry = datasets.find((d) => d.name === dataset);
  for (const issue of entry?.checkConfig?.({ data, document }) ?? []) {
    report(issue.path, issue.code, issue.message, issue.hint, issue.atKey ?? true);
  }
  // A key several other datasets read (data.train) is reported once, naming them all.
  const readers = new Map<string, string[]>();
  for (const other of datasets) {
    if (other.name === dataset) continue;
    for (const key of ownDataKeys(other)) {
      if (data[key] === undefined || (entry && ownDataKeys(entry).includes(key))) continue;
      readers.set(key, [...(readers.get(key) ?? []), other.name]);
    }
  }
  for (const [key, names] of readers) {
    report(
      ['data', key],
      'unused-key',
      `data.${key} is only read by dataset${names.length > 1 ? 's' : ''} ${names.join(', ')}, not ${dataset}`,
      'remove it, or set it to null (in a file that extends another, or with --set)',
    );
  }
}

function checkOutputLayer(input: RuleInput, report: Report): void {
  const { nodes, output } = input;
  const train = input.document['train'];
  const loss = isPlainObject(train) ? train['loss'] : undefined;
  if (!nodes || loss !== 'crossEntropy') return;
  const node = nodes.find((n) => n.name === output);
  if (!node) return;
  const path = parsePath(node.path) ?? [];
  if (node.kind === 'softmax') {
    report(
      path,
      'softmax-before-loss',
      `the output layer "${node.name}" is a softmax, but crossEntropy expects logits`,
      'remove it: crossEntropy applies softmax itself',
      false,
    );
  } else if (node.spec['activation'] === 'softmax') {
    report(
      [...path, node.kind, 'activation'],
      'softmax-before-loss',
      `the output layer "${node.name}" applies softmax, but crossEntropy expects logits`,
      'remove "activation: softmax": crossEntropy applies softmax itself',
      false,
    );
  }
}

function checkSweep(input: RuleInput, report: Report): void {
  const { document } = input;
  const sweep = document['sweep'];
  if (!isPlainObject(sweep)) return;
  const random = sweep['random'];
  const hasSpace = sweep['space'] !== undefined || random !== undefined;
  if (sweep['grid'] === undefined && !hasSpace) {
    report(
      ['sweep'],
      'empty-sweep',
      'a sweep needs grid, space or both',
      'e.g. grid: {train.optimizer.learningRate: [0.01, 0.001]}',
    );
  }
  checkSamplerKeys(sweep, report);
  const grid = sweep['grid'];
  if (isPlainObject(grid)) {
    for (const [key, values] of Object.entries(grid)) {
      const target = checkSweepKey(input, ['sweep', 'grid', key], key, report);
      if (!target || !Array.isArray(values)) continue;
      values.forEach((value, i) =>
        checkSweepValue(input, target, value, ['sweep', 'grid', key, i], report),
      );
    }
  }
  const spaces: [PathSegment[], unknown][] = [
    [['sweep', 'space'], sweep['space']],
    [['sweep', 'random', 'space'], isPlainObject(random) ? random['space'] : undefined],
  ];
  for (const [where, space] of spaces) {
    if (!isPlainObject(space)) continue;
    for (const [key, distribution] of Object.entries(space)) {
      const at: PathSegment[] = [...where, key];
      const target = checkSweepKey(input, at, key, report);
      if (!target || !isPlainObject(distribution)) continue;
      checkDistribution(input, target, distribution, at, report);
    }
  }
  const metric = sweep['metric'];
  const data = document['data'];
  const split = isPlainObject(data) ? data['validationSplit'] : undefined;
  if (typeof metric === 'string' && metric.startsWith('val/') && split === 0) {
    report(
      ['sweep', 'metric'],
      'invalid-value',
      `"${metric}" needs a validation set, but data.validationSplit is 0`,
      'set data.validationSplit, e.g. 0.1, or use a test/ metric',
    );
  }
  if (
    typeof metric === 'string' &&
    metric.startsWith('test/') &&
    typeof split === 'number' &&
    split > 0
  ) {
    report(
      ['sweep', 'metric'],
      'invalid-value',
      `"${metric}" is never measured: with data.validationSplit ${split}, evaluation is on the val split`,
      `use metric: val/${metric.slice('test/'.length)}`,
    );
  }
  if (typeof metric === 'string' && metric.endsWith('/loss') && sweep['goal'] === 'maximize') {
    report(
      ['sweep', 'goal'],
      'invalid-value',
      `goal maximize with metric ${metric} would pick the worst trial`,
      'set goal: minimize',
    );
  }
  const train = document['train'];
  const epochs = isPlainObject(train) ? train['epochs'] : undefined;
  for (const key of ['earlyStop', 'pruner']) {
    const pruner = sweep[key];
    const minEpochs = isPlainObject(pruner) ? pruner['minEpochs'] : undefined;
    if (typeof minEpochs === 'number' && typeof epochs === 'number' && minEpochs >= epochs) {
      report(
        ['sweep', key, 'minEpochs'],
        'out-of-range',
        `minEpochs ${minEpochs} leaves nothing to stop: train.epochs is ${epochs}`,
        `use a value below ${epochs}`,
      );
    }
  }
  if (sweep['earlyStop'] !== undefined && sweep['pruner'] !== undefined) {
    report(
      ['sweep', 'earlyStop'],
      'invalid-value',
      'a sweep has one pruner: earlyStop and pruner are both set',
      'keep pruner; earlyStop: {type: median} is its older form',
    );
  }
}

/** Which of sampler, grid, trials, space and random go together. */
function checkSamplerKeys(sweep: Record<string, unknown>, report: Report): void {
  const sampler = sweep['sampler'];
  const hasSpace = sweep['space'] !== undefined || sweep['random'] !== undefined;
  if (sweep['space'] !== undefined && sweep['random'] !== undefined) {
    report(
      ['sweep', 'random'],
      'invalid-value',
      'space is given twice: in sweep.space and in sweep.random.space',
      'keep sweep.trials and sweep.space; random: {trials, space} is their older form',
    );
  }
  if (sweep['space'] !== undefined && sweep['trials'] === undefined) {
    report(
      ['sweep', 'space'],
      'missing-key',
      'sweep.space needs sweep.trials: how many configurations to draw from it',
      'e.g. trials: 30',
    );
  }
  if (sweep['trials'] !== undefined && !hasSpace) {
    report(
      ['sweep', 'trials'],
      'invalid-value',
      'sweep.trials draws from sweep.space, and there is none',
      'add space: {train.optimizer.learningRate: {logUniform: [1.0e-5, 1.0e-1]}}, or drop trials',
    );
  }
  if ((sampler === 'random' || sampler === 'tpe') && !hasSpace) {
    report(
      ['sweep', 'sampler'],
      'missing-key',
      `sampler ${sampler} draws from sweep.space, and there is none`,
      'add trials: N and space: {config.path: {uniform|logUniform|intUniform|choice: ...}}',
    );
  }
  if (sampler === 'grid' && hasSpace) {
    report(
      ['sweep', 'sampler'],
      'invalid-value',
      'sampler grid runs every combination of sweep.grid; it does not draw from a space',
      'use sampler: random or tpe for sweep.space, or drop the space',
    );
  }
  if (sampler === 'tpe' && sweep['grid'] !== undefined) {
    report(
      ['sweep', 'grid'],
      'invalid-value',
      'sampler tpe searches sweep.space; it does not cross a grid',
      'put each grid list in space as {choice: [...]}',
    );
  }
  if (sweep['tpe'] !== undefined && sampler !== 'tpe') {
    report(
      ['sweep', 'tpe'],
      'invalid-value',
      `sweep.tpe sets the TPE sampler, but the sampler is ${typeof sampler === 'string' ? sampler : hasSpace ? 'random' : 'grid'}`,
      'add sampler: tpe, or drop tpe',
    );
  }
}

/** A sweep key must be a config path (not in sweep itself); returns its segments. */
function checkSweepKey(
  input: RuleInput,
  at: readonly PathSegment[],
  key: string,
  report: Report,
): PathSegment[] | undefined {
  const path = parsePath(key);
  if (!path) {
    report(
      at,
      'unknown-sweep-path',
      `"${key}" is not a config path`,
      'write it like train.optimizer.learningRate',
    );
    return undefined;
  }
  if (path[0] === 'sweep' || path[0] === 'extends') {
    report(at, 'unknown-sweep-path', `a sweep cannot vary ${String(path[0])}`);
    return undefined;
  }
  const result = checkSchemaPath(input.validator.schema, path);
  if (!result.ok) {
    report(
      at,
      'unknown-sweep-path',
      `"${key}" is not a config path`,
      result.suggestion ? `did you mean "${result.suggestion}"?` : undefined,
    );
    return undefined;
  }
  return path;
}

/** Checks one value a sweep would set, as if it were written at `target`; true when it is valid. */
function checkSweepValue(
  input: RuleInput,
  target: readonly PathSegment[],
  value: unknown,
  at: readonly PathSegment[],
  report: Report,
): boolean {
  const { sweep: _sweep, ...base } = structuredClone(input.document) as Record<string, unknown>;
  const problem = applyOverride(base, { flag: '', path: target, value });
  const prefix = formatPath(target);
  const messages = problem
    ? [problem.message]
    : input.validator
        .validate(base, new SourceMap())
        .diagnostics.filter(
          (d) =>
            d.path === prefix || d.path.startsWith(`${prefix}.`) || d.path.startsWith(`${prefix}[`),
        )
        .map((d) => (d.path === prefix ? d.message : `${d.path}: ${d.message}`));
  for (const message of messages) {
    const hint =
      /expected integer/.test(message) && typeof value === 'number' && !Number.isInteger(value)
        ? 'draws are fractions: use intUniform for an integer setting'
        : undefined;
    report(at, 'invalid-sweep-value', `${prefix}: ${message}`, hint, false);
  }
  return messages.length === 0;
}

function checkDistribution(
  input: RuleInput,
  target: readonly PathSegment[],
  distribution: Readonly<Record<string, unknown>>,
  at: readonly PathSegment[],
  report: Report,
): void {
  const [kind, range] = Object.entries(distribution)[0] ?? [];
  const kinds = ['uniform', 'logUniform', 'intUniform', 'choice'];
  if (kind === undefined || !kinds.includes(kind) || !Array.isArray(range)) return; // the schema check's
  if (kind === 'choice') {
    range.forEach((value, i) => checkSweepValue(input, target, value, [...at, kind, i], report));
    return;
  }
  const [low, high] = range as [unknown, unknown];
  if (typeof low !== 'number' || typeof high !== 'number') return;
  if (kind === 'intUniform' ? low > high : low >= high) {
    report(
      [...at, kind],
      'invalid-value',
      `[${low}, ${high}]: the low end must be below the high end`,
      undefined,
      false,
    );
    return;
  }
  if (kind === 'logUniform' && low <= 0) {
    report(
      [...at, kind],
      'out-of-range',
      `[${low}, ${high}]: logUniform needs both ends > 0`,
      undefined,
      false,
    );
    return;
  }
  const endsOk =
    checkSweepValue(input, target, low, [...at, kind, 0], report) &&
    checkSweepValue(input, target, high, [...at, kind, 1], report);
  if (endsOk && kind !== 'intUniform') {
    // uniform and logUniform draw fractions: an integer setting needs intUniform.
    const inside = low + (high - low) / 3;
    if (!Number.isInteger(inside)) checkSweepValue(input, target, inside, [...at, kind], report);
  }
}
