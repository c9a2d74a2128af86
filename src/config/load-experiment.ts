import path from 'node:path';
import { ConfigError, type Diagnostic } from '../errors.js';
import type { Experiment } from './experiment.js';
import { checkLayerGraph } from './check-layer-graph.js';
import { checkRules } from './check-rules.js';
import { formatPath, isPlainObject } from './document-path.js';
import { experimentValidatorFor, shippedExperimentValidator } from './experiment-schema-file.js';
import { normalizeExperiment } from './normalize-experiment.js';
import { resolveExtends } from './resolve-extends.js';
import { checkSchemaPath } from './schema-paths.js';
import { applyOverride, parseOverride } from './set-overrides.js';
import type { ConfigRegistries, DatasetConfigEntry } from './registry-entries.js';
import type { SourceMap } from './source-map.js';
import type { ExperimentValidator } from './validate-schema.js';

export interface LoadExperimentOptions {
  /**
   * The optimizers, backends, datasets and layers to check against (the
   * built-in ones: `REGISTRIES` of the package root).
   */
  readonly registries: ConfigRegistries;
  /** `--set key.path=value` overrides, applied in order after `extends`. */
  readonly set?: readonly string[];
  /** Where relative paths start and what messages show paths relative to (default: process.cwd()). */
  readonly cwd?: string;
  /** Validate against this schema instead of the shipped schema/experiment.schema.json. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** The file that `file` extends when it has no `extends` of its own (a run's resolved config). */
  readonly base?: string;
}

/** At most this many diagnostics are reported; the rest are counted. */
export const MAX_DIAGNOSTICS = 20;

/**
 * Reads an experiment file: YAML with positions → `extends` → `--set` →
 * JSON Schema (with defaults) → layer graph and rules → the frozen
 * `Experiment`. Every problem found is collected and thrown at once.
 *
 * @throws ConfigError with every diagnostic (up to {@link MAX_DIAGNOSTICS}), each located.
 * @example
 *   const experiment = await loadExperiment('configs/lenet.yaml', {
 *     registries: REGISTRIES,
 *     set: ['train.epochs=1'],
 *   });
 */
export async function loadExperiment(
  file: string,
  options: LoadExperimentOptions,
): Promise<Experiment> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = path.resolve(cwd, file);
  const display = (target: string): string => {
    const relative = path.relative(cwd, target);
    return relative === '' || relative.startsWith('..') || path.isAbsolute(relative)
      ? target
      : relative;
  };
  const merged = await resolveExtends(absolute, display, options.base);
  if (!merged.document) throw configError(merged.diagnostics, merged.files);
  const { document, sourceMap } = merged;
  // `x-...` keys only hold YAML anchors for reuse; they are not part of the experiment.
  for (const key of Object.keys(document)) if (key.startsWith('x-')) delete document[key];
  const validator = options.schema
    ? experimentValidatorFor(options.schema)
    : await shippedExperimentValidator();
  const overrides = options.set ?? [];
  // A bad --set is skipped, not fatal: the file's own problems are reported with it.
  const setProblems = applyOverrides(document, sourceMap, validator, overrides);
  applyDatasetDefaults(document, options.registries.datasets);

  const { defaulted, diagnostics } = validator.validate(document, sourceMap);
  const graph = checkLayerGraph(document, sourceMap, validator.layerKinds, validator.layerInputs);
  const rules = checkRules({
    document: defaulted,
    sourceMap,
    validator,
    nodes: graph.nodes,
    output: graph.output,
    registries: options.registries,
  });
  const all = [...setProblems, ...diagnostics, ...graph.diagnostics, ...rules];
  if (all.length > 0 || !graph.nodes || graph.output === undefined) {
    throw configError(
      all.length > 0
        ? all
        : [{ code: 'invalid-model', path: 'model', message: 'the layer graph could not be read' }],
      merged.files,
    );
  }
  return normalizeExperiment({
    document: defaulted,
    sourceMap,
    nodes: graph.nodes,
    output: graph.output,
    file,
    files: merged.files,
    overrides,
    datasets: options.registries.datasets,
    defaultName: path.basename(absolute).replace(/\.ya?ml$/i, ''),
  });
}

/**
 * The chosen dataset's `configDefaults`, for keys the config leaves out, so
 * that the schema fills in the defaults it documents below them.
 */
function applyDatasetDefaults(
  document: Record<string, unknown>,
  datasets: readonly DatasetConfigEntry[],
): void {
  const data = document['data'];
  if (!isPlainObject(data)) return;
  const entry = datasets.find((d) => d.name === data['dataset']);
  for (const [key, value] of Object.entries(entry?.configDefaults ?? {})) {
    if (data[key] === undefined) data[key] = structuredClone(value);
  }
}

function applyOverrides(
  document: Record<string, unknown>,
  sourceMap: SourceMap,
  validator: ExperimentValidator,
  flags: readonly string[],
): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const flag of flags) {
    const parsed = parseOverride(flag);
    if (!parsed.ok) {
      problems.push(parsed.diagnostic);
      continue;
    }
    const override = parsed.value;
    const shown = formatPath(override.path);
    if (override.path[0] === 'extends') {
      problems.push({
        code: 'unknown-set-path',
        path: '--set',
        message: 'extends cannot be set from the command line',
        hint: 'pass the file to extend as the config instead',
      });
      continue;
    }
    const check = checkSchemaPath(validator.schema, override.path);
    if (!check.ok) {
      problems.push({
        code: 'unknown-set-path',
        path: '--set',
        message: `"${shown}" is not a config path`,
        hint: check.suggestion
          ? `did you mean "${check.suggestion}"?`
          : 'see schema/experiment.schema.json',
      });
      continue;
    }
    const problem = applyOverride(document, override, sourceMap);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Sorted by file and position (command-line problems first), capped. */
function configError(
  diagnostics: readonly Diagnostic[],
  fileOrder: readonly string[] = [],
): ConfigError {
  const unique = [...new Map(diagnostics.map((d) => [JSON.stringify(d), d])).values()];
  const files: string[] = [...fileOrder];
  for (const d of unique) if (d.loc && !files.includes(d.loc.file)) files.push(d.loc.file);
  const rank = (d: Diagnostic): number[] =>
    d.loc ? [files.indexOf(d.loc.file) + 1, d.loc.line, d.loc.col] : [0, 0, 0];
  const sorted = unique
    .map((d, i) => ({ d, key: [...rank(d), i] }))
    .sort((a, b) => {
      for (let k = 0; k < a.key.length; k++) {
        const diff = (a.key[k] ?? 0) - (b.key[k] ?? 0);
        if (diff !== 0) return diff;
      }
      return 0;
    })
    .map(({ d }) => d);
  if (sorted.length <= MAX_DIAGNOSTICS) return new ConfigError(sorted);
  const shown = sorted.slice(0, MAX_DIAGNOSTICS);
  return new ConfigError([
    ...shown,
    {
      code: 'too-many-errors',
      path: '',
      message: `${sorted.length - MAX_DIAGNOSTICS} more errors not shown`,
      hint: 'fix these first',
    },
  ]);
}
