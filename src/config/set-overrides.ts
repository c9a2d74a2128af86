import { parseDocument } from 'yaml';
import { ConfigError, type Diagnostic } from '../errors.js';
import { formatPath, isPlainObject, parsePath, type PathSegment } from './document-path.js';
import type { SourceMap } from './source-map.js';

/** One `--set key.path=value`, parsed. */
export interface Override {
  /** The flag's text as given, for messages and the run record. */
  readonly flag: string;
  readonly path: readonly PathSegment[];
  readonly value: unknown;
}

/** A `--set` flag whose value may list several values for a sweep. */
export interface SetFlag {
  /** The path as written (`train.optimizer.learningRate`). */
  readonly path: string;
  readonly segments: readonly PathSegment[];
  /** Each comma-separated value parsed as YAML; commas inside [ ], { } or quotes do not split. */
  readonly values: readonly unknown[];
}

type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/**
 * Parses `key.path=v1,v2,v3` into a path and values, for sweeps.
 * `--set model.input=[28,28,1],[32,32,1]` gives two lists.
 *
 * @throws ConfigError naming `--set` when the flag is malformed.
 * @example parseSetFlag('train.optimizer.learningRate=1e-2,1e-3').values // [0.01, 0.001]
 */
export function parseSetFlag(flag: string): SetFlag {
  const split = splitFlag(flag);
  if (!split.ok) throw new ConfigError([split.diagnostic]);
  const values: unknown[] = [];
  for (const part of splitTopLevelCommas(split.value.valueText)) {
    const value = parseYamlValue(part, flag);
    if (!value.ok) throw new ConfigError([value.diagnostic]);
    values.push(value.value);
  }
  return { path: split.value.pathText, segments: split.value.path, values };
}

/** Parses one `--set key.path=value` (the whole value is one YAML value). */
export function parseOverride(flag: string): Parsed<Override> {
  const split = splitFlag(flag);
  if (!split.ok) return split;
  const value = parseYamlValue(split.value.valueText, flag);
  if (!value.ok) return value;
  return { ok: true, value: { flag, path: split.value.path, value: value.value } };
}

/**
 * Sets `override.path` in `document` (mutating it), creating missing
 * mappings on the way, and records the flag as the origin of everything it
 * set. Returns a diagnostic when the path cannot be set in this document.
 */
export function applyOverride(
  document: Record<string, unknown>,
  override: Override,
  sourceMap?: SourceMap,
): Diagnostic | undefined {
  let node: unknown = document;
  const { path } = override;
  for (let index = 0; index < path.length - 1; index++) {
    const segment = path[index] as PathSegment;
    const next = child(node, segment);
    if (typeof segment === 'number' && Array.isArray(node) && segment >= node.length) {
      return indexOutOfRange(path.slice(0, index + 1), node.length);
    }
    if (next === undefined && isPlainObject(node) && typeof segment === 'string') {
      node[segment] = {};
    } else if (next === undefined || (!isPlainObject(next) && !Array.isArray(next))) {
      return cannotSet(override, path.slice(0, index + 1), next);
    }
    node = child(node, segment);
  }
  const last = path[path.length - 1];
  if (last === undefined) return cannotSet(override, [], document);
  if (typeof last === 'number') {
    if (!Array.isArray(node)) return cannotSet(override, path.slice(0, -1), node);
    if (last >= node.length) return indexOutOfRange(path, node.length);
    node[last] = override.value;
  } else if (isPlainObject(node)) {
    // `--set key=null` removes the key, as `null` does in a file that extends another.
    if (override.value === null) delete node[last];
    else node[last] = override.value;
  } else {
    return cannotSet(override, path.slice(0, -1), node);
  }
  if (sourceMap) {
    sourceMap.deleteSubtree(path);
    markSubtree(sourceMap, [...path], override.value, override.flag);
  }
  return undefined;
}

function markSubtree(map: SourceMap, path: PathSegment[], value: unknown, flag: string): void {
  map.set(path, { kind: 'set', flag });
  if (Array.isArray(value)) value.forEach((item, i) => markSubtree(map, [...path, i], item, flag));
  else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) markSubtree(map, [...path, key], item, flag);
  }
}

function indexOutOfRange(path: readonly PathSegment[], length: number): Diagnostic {
  const last = path[path.length - 1];
  return {
    code: 'set-index-out-of-range',
    path: '--set',
    message: `${formatPath(path)}: no item ${String(last)} (the list has ${length})`,
    hint: `--set can change an existing item; to replace the whole list, set ${formatPath(path.slice(0, -1))}=[...]`,
  };
}

function child(node: unknown, segment: PathSegment): unknown {
  if (Array.isArray(node) && typeof segment === 'number') return node[segment];
  if (isPlainObject(node) && typeof segment === 'string') return node[segment];
  return undefined;
}

function cannotSet(override: Override, at: readonly PathSegment[], found: unknown): Diagnostic {
  return {
    code: 'set-path-conflict',
    path: '--set',
    message: `cannot set ${formatPath(override.path)}: ${formatPath(at) || 'the document'} is ${describe(found)} in this config`,
    hint: `set ${formatPath(at)} itself instead`,
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function splitFlag(
  flag: string,
): Parsed<{ path: PathSegment[]; pathText: string; valueText: string }> {
  const equals = flag.indexOf('=');
  const pathText = equals < 0 ? flag : flag.slice(0, equals).trim();
  const path = parsePath(pathText);
  if (equals < 0 || path === undefined) {
    return {
      ok: false,
      diagnostic: {
        code: 'invalid-set',
        path: '--set',
        message: `expected key.path=value, found "${flag}"`,
        hint: 'e.g. --set train.optimizer.learningRate=3e-4',
      },
    };
  }
  return { ok: true, value: { path, pathText, valueText: flag.slice(equals + 1) } };
}

function parseYamlValue(text: string, flag: string): Parsed<unknown> {
  const doc = parseDocument(text, { prettyErrors: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    return {
      ok: false,
      diagnostic: {
        code: 'invalid-set-value',
        path: '--set',
        message: `${flag}: the value is not valid YAML: ${problem.message.split('\n')[0] ?? ''}`,
        hint: "quote the value for the shell, e.g. --set 'model.input=[28, 28, 1]'",
      },
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    return {
      ok: false,
      diagnostic: {
        code: 'invalid-set-value',
        path: '--set',
        message: `${flag}: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}

/** `1e-2,1e-3` → two parts; `[1,2],[3,4]` → two parts; commas inside quotes or brackets stay. */
export function splitTopLevelCommas(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
