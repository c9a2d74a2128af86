/**
 * Every diagnostic code the runner emits, in one catalogue: what the code
 * means (`summary`, the message's template with `{placeholders}` for what each
 * diagnostic fills in) and what usually fixes it (`hint`). The union
 * `DiagnosticCode` is derived from it, so a code that is not here does not
 * compile; editors and `runner validate --json` can explain a code from it.
 */
export interface DiagnosticCodeEntry {
  /** The message's shape, with `{placeholders}`, e.g. `unknown layer "{kind}"`. */
  readonly summary: string;
  /** What usually fixes it; a diagnostic's own hint is more specific. */
  readonly hint: string;
}

export const DIAGNOSTIC_CODES = {
  // Reading the file and what it extends.
  'config-not-found': {
    summary: 'cannot read {file}: {reason}',
    hint: 'check the path; it is relative to the current directory',
  },
  'empty-config': {
    summary: 'the file is empty',
    hint: 'an experiment needs data, model and train',
  },
  'yaml-syntax': {
    summary: 'the file is not valid YAML: {reason}',
    hint: 'fix the YAML at the position shown',
  },
  'duplicate-key': {
    summary: 'key "{key}" is given twice in one mapping',
    hint: 'keep one of them',
  },
  'extends-missing': {
    summary: 'extends: cannot read {file}',
    hint: 'the path is relative to the file that extends it',
  },
  'extends-cycle': {
    summary: 'extends: {file} extends itself through {chain}',
    hint: 'break the cycle',
  },
  // --set on the command line.
  'invalid-set': {
    summary: '--set {flag}: not key.path=value',
    hint: 'write it like --set train.epochs=1',
  },
  'invalid-set-value': {
    summary: '--set {flag}: the value is not valid YAML',
    hint: 'quote strings with spaces or YAML syntax',
  },
  'unknown-set-path': {
    summary: '"{path}" is not a config path',
    hint: 'see schema/experiment.schema.json',
  },
  'set-path-conflict': {
    summary: '--set {path}: {segment} is not a mapping or list here',
    hint: 'set the enclosing key instead',
  },
  'set-index-out-of-range': {
    summary: '--set {path}: there is no item {index}',
    hint: 'index an existing item, or set the whole list',
  },
  // The schema check.
  'unknown-key': {
    summary: 'unknown key "{key}"',
    hint: 'remove it, or fix its spelling',
  },
  'missing-key': {
    summary: 'missing required key "{key}"',
    hint: 'add it',
  },
  'invalid-key': {
    summary: 'a key must be a name, found {found}',
    hint: 'write a plain name before the colon',
  },
  'wrong-type': {
    summary: 'expected {expected}, found {found}',
    hint: 'give a value of the expected type',
  },
  'wrong-length': {
    summary: 'expected {expected} items, found {count}',
    hint: 'give as many items as expected',
  },
  'invalid-value': {
    summary: '{value} is not allowed here: {reason}',
    hint: 'see the values the schema allows',
  },
  'out-of-range': {
    summary: 'must be {limit}, found {value}',
    hint: 'give a value inside the range',
  },
  'unknown-optimizer': {
    summary: 'unknown optimizer "{name}"; expected one of {names}',
    hint: 'use a name of the optimizer registry',
  },
  'unknown-backend': {
    summary: 'unknown backend "{name}"; expected one of {names}',
    hint: 'use auto, or a name of the backend registry',
  },
  'unknown-loss': {
    summary: 'unknown loss "{name}"; expected one of {names}',
    hint: 'use one of the losses listed',
  },
  'unknown-activation': {
    summary: 'unknown activation "{name}"; expected one of {names}',
    hint: 'use one of the activations listed',
  },
  // Layers and the layer graph.
  'unknown-layer': {
    summary: 'unknown layer "{kind}"',
    hint: 'use a kind of the layer registry',
  },
  'missing-layer-kind': {
    summary: 'the layer has no kind',
    hint: 'give exactly one layer kind as key, e.g. - dense: {units: 10}',
  },
  'multiple-layer-kinds': {
    summary: 'one layer item names several kinds: {kinds}',
    hint: 'split it into one item per layer',
  },
  'bad-layer-args': {
    summary: '{argument}: {problem}',
    hint: "check the layer's arguments in the schema",
  },
  'duplicate-name': {
    summary: 'layer name "{name}" is already used by {path}',
    hint: 'give each layer its own name',
  },
  'duplicate-node': {
    summary: 'node name "{name}" is used twice (a model built in code)',
    hint: 'give each layer its own name',
  },
  'reserved-name': {
    summary: '"{name}" is reserved for the model input',
    hint: 'name the layer something else',
  },
  'layer-inputs': {
    summary: '{kind} needs at least {min} inputs (or takes {max}), found {count}',
    hint: 'list the layers it joins: inputs: [a, b]',
  },
  'bad-input-count': {
    summary: '{kind} takes {expected} inputs, found {count} (a model built in code)',
    hint: 'list the layers it takes in inputs',
  },
  'unknown-input': {
    summary: 'inputs: there is no layer "{name}"',
    hint: 'name an earlier layer, or input',
  },
  'unknown-output': {
    summary: 'model.output: there is no layer "{name}"',
    hint: 'name the layer whose output is the logits',
  },
  'graph-cycle': {
    summary: 'the layers {names} take each other as input',
    hint: 'the graph must have no cycle',
  },
  'dangling-layer': {
    summary: 'layer "{name}" is not used: no layer takes it and it is not the output',
    hint: 'add it to the inputs of a later layer, or remove it',
  },
  'unused-node': {
    summary: 'node "{name}" does not lead to the model output (a model built in code)',
    hint: 'use its output in a later layer, or remove it',
  },
  'invalid-model': {
    summary: 'the layer graph could not be read',
    hint: 'fix the problems reported with model.layers',
  },
  // Shapes, found when the model is planned.
  'bad-input-shape': {
    summary: 'model.input {shape} does not fit the first layer: {reason}',
    hint: 'give the shape the data has, e.g. [28, 28, 1]',
  },
  'bad-input-rank': {
    summary: '{layer} expects a {rank}-D input, found {shape}',
    hint: 'flatten or reshape before it',
  },
  'bad-target-shape': {
    summary: 'cannot reshape {shape} to {target}',
    hint: 'the target must hold as many values as the input',
  },
  'bad-axis': {
    summary: 'axis {axis} is out of range for {shape}',
    hint: 'use an axis of the input',
  },
  'merge-shape-mismatch': {
    summary: 'the inputs of {layer} have shapes {shapes} that do not merge',
    hint: 'make the merged inputs the same shape',
  },
  'window-too-large': {
    summary: 'the window {window} is larger than the input {shape}',
    hint: 'use a smaller window, or padding: same',
  },
  'bad-output-shape': {
    summary: 'the output layer gives {shape}, but crossEntropy needs [batch, classes]',
    hint: 'end with flatten and dense: {units: CLASSES}',
  },
  'output-classes': {
    summary:
      'the output layer gives {units} values per example, but {dataset} has {classes} classes',
    hint: 'cross-entropy needs one output per class: set units to the class count',
  },
  'memory-too-large': {
    summary: 'a training step needs about {bytes}, more than {limit}',
    hint: 'lower data.batchSize, or make the largest layer smaller',
  },
  'layer-build-failed': {
    summary: 'tfjs could not build {layer}: {reason}',
    hint: "check the layer's arguments",
  },
  // Rules across keys.
  'schedule-option': {
    summary: '"{option}" is not an option of schedule {schedule} (it is for {others})',
    hint: 'remove it, or use the schedule it is for',
  },
  'warmup-too-long': {
    summary: 'a warmup of {warmup} is not shorter than the run ({length})',
    hint: 'shorten the warmup or train for longer',
  },
  'unrecorded-metric': {
    summary: '"{metric}" is never recorded: this run evaluates on {split}',
    hint: 'name a metric of the split the run evaluates on',
  },
  'option-conflict': {
    summary: '{option} is not applied by {feature} yet',
    hint: 'drop one of the two',
  },
  'optimizer-option': {
    summary: '"{option}" is not an option of {optimizer} (it is for {others})',
    hint: 'remove it, or use the optimizer it is for',
  },
  'unused-key': {
    summary: 'data.{key} is only read by dataset {owner}, not {dataset}',
    hint: 'remove it, or set it to null',
  },
  'input-shape-mismatch': {
    summary: '{input} is not the shape of the data, {shape}',
    hint: 'make model.input the shape of the data',
  },
  'softmax-before-loss': {
    summary: 'the output layer applies softmax, but crossEntropy expects logits',
    hint: 'remove the softmax: crossEntropy applies it',
  },
  'empty-sweep': {
    summary: 'a sweep needs grid, random or both',
    hint: 'e.g. grid: {train.optimizer.learningRate: [0.01, 0.001]}',
  },
  'unknown-sweep-path': {
    summary: '"{key}" is not a config path',
    hint: 'write it like train.optimizer.learningRate',
  },
  'invalid-sweep-value': {
    summary: '{path}: {problem}',
    hint: 'every value a sweep sets must be valid where it is set',
  },
  // The report itself.
  'too-many-errors': {
    summary: '{count} more errors not shown',
    hint: 'fix these first',
  },
} as const satisfies Readonly<Record<string, DiagnosticCodeEntry>>;

/** A code of the catalogue: every `Diagnostic.code` is one. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** The catalogue entry of a code. */
export function describeDiagnosticCode(code: DiagnosticCode): DiagnosticCodeEntry {
  return DIAGNOSTIC_CODES[code];
}

export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.hasOwn(DIAGNOSTIC_CODES, code);
}
