import type { DiagnosticCode } from './diagnostic-codes.js';
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors.js';
import { didYouMean, suggestName } from './did-you-mean.js';
import { formatPath, isPlainObject, pointerToPath, type PathSegment } from './document-path.js';
import { descriptionAt } from './schema-paths.js';
import { diagnosticAt, locationOf, type SourceMap } from './source-map.js';

export interface SchemaErrorContext {
  /** The document as validated (before defaults). */
  readonly document: unknown;
  readonly sourceMap: SourceMap;
  readonly layerKinds: readonly string[];
  /** The schema validated against (for descriptions). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Every path the schema names (computed on demand: only unknown keys need it). */
  readonly schemaPaths: () => readonly string[];
}

/**
 * ajv errors → diagnostics that say where (the key itself for an unknown
 * key), what was expected and found, and what to do ("did you mean").
 */
export function mapSchemaErrors(
  errors: readonly ErrorObject[],
  context: SchemaErrorContext,
): Diagnostic[] {
  return new ErrorMapper(context).map(errors);
}

/** True for `model.layers[i]`. */
export function isLayerItemPath(path: readonly PathSegment[]): boolean {
  return (
    path.length === 3 && path[0] === 'model' && path[1] === 'layers' && typeof path[2] === 'number'
  );
}

/** Codes for enum values that name a thing from a fixed list. */
const ENUM_CODES: Readonly<Record<string, { code: DiagnosticCode; noun: string }>> = {
  'train.optimizer.type': { code: 'unknown-optimizer', noun: 'optimizer' },
  backend: { code: 'unknown-backend', noun: 'backend' },
  'train.loss': { code: 'unknown-loss', noun: 'loss' },
  activation: { code: 'unknown-activation', noun: 'activation' },
};

class ErrorMapper {
  private readonly document: unknown;
  private readonly sourceMap: SourceMap;
  private readonly layerKinds: readonly string[];
  private readonly schemaPaths: () => readonly string[];
  private readonly schema: Readonly<Record<string, unknown>>;

  constructor(context: SchemaErrorContext) {
    this.schema = context.schema;
    this.document = context.document;
    this.sourceMap = context.sourceMap;
    this.layerKinds = context.layerKinds;
    this.schemaPaths = context.schemaPaths;
  }

  map(errors: readonly ErrorObject[]): Diagnostic[] {
    const { kept, summaries } = this.collapseAlternatives(errors);
    const suggested = new Set<string>();
    const diagnostics: Diagnostic[] = [...summaries];
    for (const error of kept) {
      if (error.keyword !== 'additionalProperties') continue;
      const diagnostic = this.unknownKey(error);
      diagnostics.push(diagnostic.diagnostic);
      if (diagnostic.suggestion)
        suggested.add(`${error.instancePath}\u0000${diagnostic.suggestion}`);
    }
    for (const error of kept) {
      if (error.keyword === 'additionalProperties') continue;
      if (
        error.keyword === 'required' &&
        suggested.has(`${error.instancePath}\u0000${String(error.params['missingProperty'])}`)
      ) {
        continue; // "unknown key filter (did you mean filters?)" already says it
      }
      const diagnostic = this.mapOne(error);
      if (diagnostic) diagnostics.push(diagnostic);
    }
    return diagnostics;
  }

  /**
   * anyOf/oneOf: when exactly one alternative fits the value's type, keep its
   * errors (they are the specific ones); otherwise say which forms are allowed.
   */
  private collapseAlternatives(errors: readonly ErrorObject[]): {
    kept: ErrorObject[];
    summaries: Diagnostic[];
  } {
    const dropped = new Set<ErrorObject>();
    const summaries: Diagnostic[] = [];
    for (const combo of errors) {
      if (combo.keyword !== 'anyOf' && combo.keyword !== 'oneOf') continue;
      dropped.add(combo);
      const path = this.pathOf(combo);
      if (isLayerItemPath(path)) continue; // "exactly one layer kind" is checked with the graph
      const prefix = `${combo.schemaPath}/`;
      const branches = Array.isArray(combo.schema) ? (combo.schema as unknown[]) : [];
      const fitting = branches
        .map((branch, index) => (acceptsTypeOf(branch, combo.data) ? index : -1))
        .filter((index) => index >= 0);
      for (const error of errors) {
        if (error === combo || !error.schemaPath.startsWith(prefix)) continue;
        const branch = Number(error.schemaPath.slice(prefix.length).split('/')[0]);
        if (fitting.length !== 1 || branch !== fitting[0]) dropped.add(error);
      }
      if (fitting.length !== 1) {
        const options = branches.map(describeSchema).join(' or ');
        const candidates = branches.flatMap((b) =>
          isPlainObject(b) && Array.isArray(b['enum'])
            ? b['enum'].filter((v) => typeof v === 'string')
            : [],
        );
        summaries.push(
          this.diagnostic(
            path,
            'wrong-type',
            `expected ${options}, found ${describeValue(combo.data)}`,
            {
              hint: typeof combo.data === 'string' ? didYouMean(combo.data, candidates) : undefined,
            },
          ),
        );
      }
    }
    return { kept: errors.filter((e) => !dropped.has(e)), summaries };
  }

  private unknownKey(error: ErrorObject): {
    diagnostic: Diagnostic;
    suggestion: string | undefined;
  } {
    const parent = this.pathOf(error);
    const key = String(error.params['additionalProperty']);
    const properties = isPlainObject(error.parentSchema?.['properties'])
      ? Object.keys(error.parentSchema['properties'])
      : [];
    const item: unknown = this.valueAt(parent);
    if (isLayerItemPath(parent) && isPlainObject(item)) {
      const hasKind = Object.keys(item).some((k) => this.layerKinds.includes(k));
      if (!hasKind) {
        const suggestion = suggestName(key, this.layerKinds);
        return {
          suggestion: suggestion.name,
          diagnostic: this.diagnostic(parent, 'unknown-layer', `unknown layer "${key}"`, {
            keyOf: [...parent, key],
            hint: suggestion.hint ?? 'see schema/experiment.schema.json for the layer kinds',
          }),
        };
      }
    }
    const suggestion = suggestName(key, properties);
    // `optimizer` at the top level belongs under `train`.
    const elsewhere = this.schemaPaths().filter((p) => p.endsWith(`.${key}`) && !p.includes('['));
    const hint = suggestion.hint
      ? suggestion.hint
      : elsewhere.length === 1
        ? `"${key}" belongs at ${elsewhere[0] ?? ''}`
        : properties.length > 0 && properties.length <= 12
          ? `expected one of ${properties.join(', ')}`
          : undefined;
    return {
      suggestion: suggestion.name,
      diagnostic: this.diagnostic(parent, 'unknown-key', `unknown key "${key}"`, {
        keyOf: [...parent, key],
        hint,
      }),
    };
  }

  private mapOne(error: ErrorObject): Diagnostic | undefined {
    const path = this.pathOf(error);
    const value = error.data;
    const params = error.params;
    switch (error.keyword) {
      case 'if':
        return undefined; // the failing `then` says what is wrong
      case 'required': {
        const missing = String(params['missingProperty']);
        if (isLayerItemPath(path) && this.layerKinds.includes(missing)) return undefined;
        const about = firstSentence(descriptionAt(this.schema, [...path, missing]));
        return this.diagnostic(path, 'missing-key', `missing required key "${missing}"`, {
          keyOf: path,
          hint: about === undefined ? undefined : `${missing}: ${about}`,
        });
      }
      case 'type':
        return this.wrongType(path, error);
      case 'enum':
      case 'const': {
        const allowed = error.keyword === 'const' ? [error.schema] : (error.schema as unknown[]);
        const dotted = formatPath(path);
        const last = path[path.length - 1];
        const named =
          ENUM_CODES[dotted] ?? (typeof last === 'string' ? ENUM_CODES[last] : undefined);
        const list = allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
        const hint =
          typeof value === 'string'
            ? didYouMean(
                value,
                allowed.filter((v): v is string => typeof v === 'string'),
              )
            : undefined;
        if (named) {
          return this.diagnostic(
            path,
            named.code,
            `unknown ${named.noun} ${describeValue(value, false)}; expected one of ${list}`,
            { hint },
          );
        }
        const expected = allowed.length === 1 ? list : `one of ${list}`;
        return this.diagnostic(
          path,
          'invalid-value',
          `expected ${expected}, found ${describeValue(value)}`,
          { hint },
        );
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return this.diagnostic(
          path,
          'out-of-range',
          `must be ${String(params['comparison'])} ${String(params['limit'])}, found ${String(value)}`,
          {},
        );
      case 'minItems':
      case 'maxItems': {
        const count = Array.isArray(value) ? value.length : 0;
        const min = error.parentSchema?.['minItems'];
        const max = error.parentSchema?.['maxItems'];
        const expected =
          min !== undefined && min === max
            ? `exactly ${plural(Number(min), 'item')}`
            : `${error.keyword === 'minItems' ? 'at least' : 'at most'} ${plural(Number(params['limit']), 'item')}`;
        return this.diagnostic(path, 'wrong-length', `expected ${expected}, found ${count}`, {});
      }
      case 'minProperties':
      case 'maxProperties': {
        const keys = isPlainObject(error.parentSchema?.['properties'])
          ? Object.keys(error.parentSchema['properties'])
          : [];
        const min = error.parentSchema?.['minProperties'];
        const max = error.parentSchema?.['maxProperties'];
        const message =
          min === 1 && max === 1 && keys.length > 0
            ? `expected exactly one of ${keys.join(', ')}, found ${isPlainObject(value) ? Object.keys(value).length : 0}`
            : `expected ${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${plural(Number(params['limit']), 'key')}`;
        return this.diagnostic(path, 'wrong-length', message, {});
      }
      case 'minLength':
        return this.diagnostic(path, 'invalid-value', 'must not be empty', {});
      case 'pattern': {
        const isName = path[path.length - 1] === 'name' && isLayerItemPath(path.slice(0, -1));
        return this.diagnostic(
          path,
          'invalid-value',
          isName
            ? `${describeValue(value, false)} is not a valid layer name`
            : `${describeValue(value, false)} does not match ${String(params['pattern'])}`,
          isName ? { hint: 'use letters, digits, _ and -, starting with a letter or _' } : {},
        );
      }
      case 'uniqueItems':
        return this.diagnostic(
          path,
          'invalid-value',
          `items ${String(params['j'])} and ${String(params['i'])} are the same`,
          {},
        );
      default:
        return this.diagnostic(path, 'invalid-value', error.message ?? error.keyword, {});
    }
  }

  private wrongType(path: PathSegment[], error: ErrorObject): Diagnostic {
    const value = error.data;
    const types = String(error.params['type']).split(',');
    const expected = types.map(typeName).join(' or ');
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return this.diagnostic(
        path,
        'wrong-type',
        `expected a finite number, found ${String(value)}`,
        {},
      );
    }
    let hint: string | undefined;
    if (
      typeof value === 'string' &&
      types.some((t) => t === 'number' || t === 'integer') &&
      value.trim() !== '' &&
      !Number.isNaN(Number(value))
    ) {
      hint = 'remove the quotes: a quoted number is a string';
    } else if (
      isLayerItemPath(path) &&
      typeof value === 'string' &&
      this.layerKinds.includes(value)
    ) {
      hint = `write it as "- ${value}: {}"`;
    } else if (value === null && types.includes('object')) {
      const required = error.parentSchema?.['required'];
      if (Array.isArray(required)) hint = `it needs ${required.join(', ')}`;
    } else if (typeof value === 'string' && this.setFlagOf(path) && value.includes(',')) {
      hint = 'a comma list sweeps several values: use `runner sweep` for that';
    } else if (Array.isArray(error.parentSchema?.['examples'])) {
      hint = `e.g. ${JSON.stringify(error.parentSchema['examples'][0]).replace(/,/g, ', ')}`;
    }
    return this.diagnostic(
      path,
      'wrong-type',
      `expected ${expected}, found ${describeValue(value)}`,
      { hint },
    );
  }

  private setFlagOf(path: readonly PathSegment[]): string | undefined {
    return locationOf(this.sourceMap, path).setFlag;
  }

  private diagnostic(
    path: readonly PathSegment[],
    code: DiagnosticCode,
    message: string,
    options: { keyOf?: readonly PathSegment[]; hint?: string | undefined },
  ): Diagnostic {
    return diagnosticAt(this.sourceMap, path, code, message, options);
  }

  private pathOf(error: ErrorObject): PathSegment[] {
    return pointerToPath(error.instancePath, this.document);
  }

  private valueAt(path: readonly PathSegment[]): unknown {
    let node: unknown = this.document;
    for (const segment of path) {
      node = Array.isArray(node)
        ? node[segment as number]
        : isPlainObject(node)
          ? node[segment as string]
          : undefined;
    }
    return node;
  }
}

function acceptsTypeOf(schema: unknown, value: unknown): boolean {
  if (!isPlainObject(schema)) return true;
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    return types.some((t) => matchesType(String(t), value));
  }
  const values = Array.isArray(schema['enum'])
    ? schema['enum']
    : 'const' in schema
      ? [schema['const']]
      : undefined;
  if (values)
    return values.some(
      (v) =>
        jsonType(v) === jsonType(value) ||
        (jsonType(v) === 'integer' && jsonType(value) === 'number'),
    );
  return true;
}

function matchesType(type: string, value: unknown): boolean {
  const actual = jsonType(value);
  return type === actual || (type === 'number' && actual === 'integer');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeName(type: string): string {
  switch (type) {
    case 'object':
      return 'mapping';
    case 'array':
      return 'list';
    case 'null':
      return 'nothing';
    default:
      return type;
  }
}

function describeSchema(schema: unknown): string {
  if (!isPlainObject(schema)) return 'anything';
  if (Array.isArray(schema['enum'])) return schema['enum'].map((v) => JSON.stringify(v)).join(', ');
  const type = schema['type'];
  if (type === 'array') {
    const items = isPlainObject(schema['items']) ? schema['items']['type'] : undefined;
    const n =
      schema['minItems'] !== undefined && schema['minItems'] === schema['maxItems']
        ? `${String(schema['minItems'])} `
        : '';
    return typeof items === 'string' ? `a list of ${n}${items}s` : 'a list';
  }
  if (typeof type === 'string') return typeName(type);
  if (Array.isArray(type)) return type.map(String).map(typeName).join(' or ');
  return 'another form';
}

/** `string "abc"`, `number 6.5`, `a list`, `nothing (empty value)`. */
export function describeValue(value: unknown, withType = true): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
    return withType ? `string ${shown}` : shown;
  }
  return withType ? `${typeof value} ${String(value)}` : String(value);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function firstSentence(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const cut = text.search(/\.(\s|$)/);
  return (cut >= 0 ? text.slice(0, cut) : text).replace(/`/g, '');
}
