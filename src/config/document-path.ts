/**
 * Paths into a config document, in the one notation used everywhere a person
 * reads or types one: diagnostics, `--set`, sweep keys and the params table.
 *
 *   model.layers[2].conv2d.filters
 *
 * Keys that are not plain identifiers are quoted: `sweep.grid["train.epochs"]`.
 */
export type PathSegment = string | number;
export type DocumentPath = readonly PathSegment[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['model', 'layers', 2, 'conv2d']` → `model.layers[2].conv2d`. */
export function formatPath(path: DocumentPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * Parses a path as written on the command line or as a sweep key.
 * Accepts `a.b[2].c`, `a.b.2.c` (a bare number is an index) and `a["x.y"]`.
 * Returns undefined when the text is not a path at all.
 */
export function parsePath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let rest = text.trim();
  if (rest === '') return undefined;
  let expectKey = true;
  while (rest !== '') {
    if (rest.startsWith('[')) {
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (index?.[1] !== undefined) {
        segments.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted?.[1] !== undefined) {
        segments.push(JSON.parse(quoted[1]) as string);
        rest = rest.slice(quoted[0].length);
      } else return undefined;
      expectKey = false;
      continue;
    }
    if (!expectKey) {
      if (!rest.startsWith('.')) return undefined;
      rest = rest.slice(1);
    }
    const key = /^[^.[\]]+/.exec(rest);
    if (!key) return undefined;
    segments.push(/^\d+$/.test(key[0]) ? Number(key[0]) : key[0]);
    rest = rest.slice(key[0].length);
    expectKey = false;
  }
  return segments;
}

/** An ajv `instancePath` (JSON Pointer) → segments, using the document to tell indexes from keys. */
export function pointerToPath(pointer: string, document: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: PathSegment = Array.isArray(node) && /^\d+$/.test(token) ? Number(token) : token;
    segments.push(segment);
    node = childOf(node, segment);
  }
  return segments;
}

/** The value at `path`, or undefined when the path does not exist. */
export function valueAt(document: unknown, path: DocumentPath): unknown {
  let node = document;
  for (const segment of path) {
    node = childOf(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

function childOf(node: unknown, segment: PathSegment): unknown {
  if (Array.isArray(node)) return typeof segment === 'number' ? node[segment] : undefined;
  if (isPlainObject(node) && typeof segment === 'string' && Object.hasOwn(node, segment)) {
    return node[segment];
  }
  return undefined;
}

/** A YAML/JSON mapping (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
