import { closestMatch } from './did-you-mean.js';
import { formatPath, isPlainObject, type DocumentPath, type PathSegment } from './document-path.js';

type Schema = Readonly<Record<string, unknown>> | boolean;

export type SchemaPathResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** How many segments matched before the first that does not. */
      readonly matched: number;
      /** A whole corrected path, when one is close. */
      readonly suggestion: string | undefined;
    };

/**
 * Whether the schema allows a value at `path` (`train.optimizer.learningRate`,
 * `model.layers[0].conv2d.filters`). Used for `--set` and sweep keys, before
 * the value itself is checked.
 */
export function checkSchemaPath(root: Schema, path: DocumentPath): SchemaPathResult {
  let current: Schema[] = [root];
  for (let index = 0; index < path.length; index++) {
    const segment = path[index] as PathSegment;
    const next: Schema[] = [];
    for (const schema of current.flatMap((s) => expand(root, s))) {
      if (schema === true) return { ok: true };
      if (schema === false) continue;
      next.push(...childSchemas(schema, segment));
    }
    if (next.length === 0) {
      return { ok: false, matched: index, suggestion: suggestPath(root, path, index, current) };
    }
    current = next;
  }
  return { ok: true };
}

/** The description the schema gives the value at `path`, if any. */
export function descriptionAt(root: Schema, path: DocumentPath): string | undefined {
  let current: Schema[] = [root];
  for (const segment of path) {
    current = current
      .flatMap((s) => expand(root, s))
      .flatMap((s) => (typeof s === 'boolean' ? [] : childSchemas(s, segment)));
  }
  for (const schema of current.flatMap((s) => expand(root, s))) {
    const description = typeof schema === 'boolean' ? undefined : schema['description'];
    if (typeof description === 'string') return description;
  }
  return undefined;
}

/** Every path the schema names, lists as `[0]`: for "did you mean". */
export function listSchemaPaths(root: Schema, maxDepth = 6): string[] {
  const paths: string[] = [];
  const visit = (schema: Schema, path: PathSegment[]): void => {
    if (path.length > maxDepth) return;
    for (const s of expand(root, schema)) {
      if (typeof s === 'boolean') continue;
      const properties = s['properties'];
      if (isPlainObject(properties)) {
        for (const [key, child] of Object.entries(properties)) {
          const childPath = [...path, key];
          paths.push(formatPath(childPath));
          visit(child as Schema, childPath);
        }
      }
      const items = s['items'];
      if (isPlainObject(items)) visit(items, [...path, 0]);
    }
  };
  visit(root, []);
  return [...new Set(paths)];
}

function suggestPath(
  root: Schema,
  path: DocumentPath,
  failedAt: number,
  parents: readonly Schema[],
): string | undefined {
  const normalized = path.map((s) => (typeof s === 'number' ? 0 : s));
  const wanted = formatPath(normalized);
  const all = listSchemaPaths(root);
  // `optimizer.learningRate` → `train.optimizer.learningRate`.
  const bySuffix = all.filter((p) => p.endsWith(`.${wanted}`));
  if (bySuffix.length === 1) return restoreIndexes(bySuffix[0] as string, path);
  const segment = path[failedAt];
  if (typeof segment !== 'string') return undefined;
  const siblings = parents
    .flatMap((s) => expand(root, s))
    .flatMap((s) =>
      typeof s !== 'boolean' && isPlainObject(s['properties']) ? Object.keys(s['properties']) : [],
    );
  const key = closestMatch(segment, siblings);
  if (key === undefined) return undefined;
  const corrected = [...path];
  corrected[failedAt] = key;
  return checkSchemaPath(root, corrected).ok ? formatPath(corrected) : undefined;
}

/** Puts the user's list indexes back into a suggestion found with `[0]`. */
function restoreIndexes(suggestion: string, original: DocumentPath): string {
  const indexes = original.filter((s): s is number => typeof s === 'number');
  let i = 0;
  return suggestion.replace(/\[0\]/g, () => `[${indexes[i++] ?? 0}]`);
}

function childSchemas(schema: Readonly<Record<string, unknown>>, segment: PathSegment): Schema[] {
  if (typeof segment === 'number') {
    const prefix = schema['prefixItems'];
    if (Array.isArray(prefix) && segment < prefix.length) return [prefix[segment] as Schema];
    const items = schema['items'];
    if (items !== undefined && items !== false) return [items as Schema];
    return isArraySchema(schema) && items === undefined ? [true] : [];
  }
  const properties = schema['properties'];
  if (isPlainObject(properties) && Object.hasOwn(properties, segment)) {
    return [properties[segment] as Schema];
  }
  const patterns = schema['patternProperties'];
  if (isPlainObject(patterns)) {
    const matching = Object.entries(patterns)
      .filter(([pattern]) => new RegExp(pattern, 'u').test(segment))
      .map(([, s]) => s as Schema);
    if (matching.length > 0) return matching;
  }
  const additional = schema['additionalProperties'];
  if (additional === undefined)
    return isObjectSchema(schema) && !isPlainObject(properties) ? [true] : [];
  return additional === false ? [] : [additional as Schema];
}

/**
 * A schema with its local `$ref`, its `allOf`/`anyOf`/`oneOf` branches and the
 * `then`/`else` of an `if`, flattened: a path one dataset's options name (the
 * `then` of `if dataset is csv`) is a config path; validation then says whether
 * it fits the dataset the document names.
 */
function expand(root: Schema, schema: Schema, depth = 0): Schema[] {
  if (typeof schema === 'boolean' || depth > 20) return [schema];
  const out: Schema[] = [schema];
  const ref = schema['$ref'];
  if (typeof ref === 'string') out.push(...expand(root, resolveRef(root, ref), depth + 1));
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) {
      for (const branch of branches) out.push(...expand(root, branch as Schema, depth + 1));
    }
  }
  for (const keyword of ['then', 'else']) {
    const branch = schema[keyword];
    if (isPlainObject(branch)) out.push(...expand(root, namedOnly(branch), depth + 1));
  }
  return out;
}

/**
 * A conditional branch adds rules to properties the main schema names
 * (`train: {type: object, required: [epochs]}`); such a property, an object
 * open only because it lists no keys, must not make every key below it a path.
 */
function namedOnly(branch: Readonly<Record<string, unknown>>): Schema {
  const properties = branch['properties'];
  if (!isPlainObject(properties)) return branch;
  const named = Object.entries(properties).filter(([, child]) => {
    if (!isPlainObject(child)) return false;
    return (
      !isObjectSchema(child) ||
      ['properties', 'additionalProperties', 'patternProperties'].some((k) => k in child)
    );
  });
  return { ...branch, properties: Object.fromEntries(named) };
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) return false;
  let node: unknown = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((s) => s !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isPlainObject(node) ? node[key] : undefined;
  }
  return isPlainObject(node) || typeof node === 'boolean' ? node : false;
}

function isArraySchema(schema: Readonly<Record<string, unknown>>): boolean {
  const type = schema['type'];
  return type === 'array' || (Array.isArray(type) && type.includes('array'));
}

function isObjectSchema(schema: Readonly<Record<string, unknown>>): boolean {
  const type = schema['type'];
  return type === 'object' || (Array.isArray(type) && type.includes('object'));
}
