import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Alias,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic, SourceLoc } from '../errors.js';
import { formatPath, type PathSegment } from './document-path.js';
import { SourceMap } from './source-map.js';

/** One YAML file, parsed with the position of every node. */
export interface ParsedFile {
  /** The file as shown in messages (relative to the working directory when inside it). */
  readonly file: string;
  /** The plain JSON value (undefined when the file could not be parsed). */
  readonly document: unknown;
  readonly sourceMap: SourceMap;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses YAML text, keeping a document path → `file:line:col` map.
 * Syntax errors and duplicate keys come back as diagnostics, each located.
 */
export function parseYamlFile(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  // uniqueKeys off: we find duplicates ourselves, to name the key and both lines.
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: false,
    prettyErrors: true,
    merge: true, // `<<: *defaults`, the usual way to reuse an anchor
  });
  const at = (offset: number): SourceLoc => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const problem of [...doc.errors, ...doc.warnings]) {
    const unclosed = unclosedOpening(text, problem.pos[0], problem.message);
    if (unclosed) {
      diagnostics.push({
        code: 'yaml-syntax',
        path: '',
        message: `${unclosed.what} opened here is never closed`,
        loc: at(unclosed.offset),
        hint: unclosed.hint,
      });
      continue;
    }
    const position = problem.linePos?.[0];
    diagnostics.push({
      code: 'yaml-syntax',
      path: '',
      message: firstSentence(problem.message),
      ...(position ? { loc: { file, line: position.line, col: position.col } } : {}),
      hint: 'fix the YAML syntax; indent with spaces, close every [ and {',
    });
  }
  const sourceMap = new SourceMap();
  if (diagnostics.length > 0) return { file, document: undefined, sourceMap, diagnostics };

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    diagnostics.push({
      code: 'empty-config',
      path: '',
      message: 'the file is empty',
      loc: { file, line: 1, col: 1 },
      hint: 'an experiment needs at least name, data, model and train',
    });
    return { file, document: undefined, sourceMap, diagnostics };
  }
  if (!isMap(root)) {
    diagnostics.push({
      code: 'wrong-type',
      path: '',
      message: `expected a mapping of keys (name, data, model, train), found ${describeNode(root)}`,
      loc: at(root.range?.[0] ?? 0),
    });
    return { file, document: undefined, sourceMap, diagnostics };
  }
  sourceMap.set([], { kind: 'file', key: undefined, value: at(root.range?.[0] ?? 0) });
  recordPositions(doc, root, [], {
    sourceMap,
    diagnostics,
    at,
    nodesLeft: MAX_EXPANDED_NODES,
    expanding: undefined,
    resolved: new Map(),
  });
  if (diagnostics.length > 0) return { file, document: undefined, sourceMap, diagnostics };
  try {
    const document: unknown = doc.toJS({ maxAliasCount: 1000 });
    return { file, document, sourceMap, diagnostics };
  } catch (error) {
    // yaml throws (rather than reports) an alias that expands too far.
    const message = error instanceof Error ? error.message : String(error);
    diagnostics.push({ code: 'yaml-syntax', path: '', message, loc: { file, line: 1, col: 1 } });
    return { file, document: undefined, sourceMap, diagnostics };
  }
}

interface Walk {
  readonly sourceMap: SourceMap;
  readonly diagnostics: Diagnostic[];
  readonly at: (offset: number) => SourceLoc;
  /** Nodes the walk may still visit, aliases expanded: nested aliases grow exponentially (an "alias bomb"). */
  nodesLeft: number;
  /** The outermost alias being expanded, to blame when the expansion runs out. */
  expanding: { readonly node: Alias; readonly path: string } | undefined;
  readonly resolved: Map<Alias, Node | undefined>;
}

/**
 * The most nodes a config may expand to, aliases followed. Real configs have
 * hundreds; an 841-byte alias bomb has billions, and would never finish.
 */
export const MAX_EXPANDED_NODES = 20_000;

function recordPositions(doc: Document, node: Node, path: PathSegment[], walk: Walk): void {
  if (walk.nodesLeft <= 0) {
    // Said once, at the alias whose expansion ran out (else where plain values did).
    if (walk.nodesLeft === 0) {
      walk.nodesLeft = -1;
      const limit = MAX_EXPANDED_NODES.toLocaleString('en-US');
      const alias = walk.expanding;
      walk.diagnostics.push(
        alias === undefined
          ? {
              code: 'yaml-syntax',
              path: formatPath(path),
              message: `the document has more than ${limit} values`,
              loc: walk.at(node.range?.[0] ?? 0),
              hint: 'an experiment is a few hundred values',
            }
          : {
              code: 'yaml-syntax',
              path: alias.path,
              message: `*${alias.node.source} makes the document expand to more than ${limit} values (aliases inside aliases)`,
              loc: walk.at(alias.node.range?.[0] ?? 0),
              hint: 'an experiment is a few hundred values; repeat fewer aliases, or write the values out',
            },
      );
    }
    return;
  }
  walk.nodesLeft--;
  if (isAlias(node)) {
    // Alias.resolve searches the whole document: resolve each alias node once.
    let target = walk.resolved.get(node);
    if (target === undefined && !walk.resolved.has(node)) {
      target = node.resolve(doc) as Node | undefined;
      walk.resolved.set(node, target);
    }
    if (target) {
      const outer = walk.expanding;
      walk.expanding ??= { node, path: formatPath(path) };
      recordPositions(doc, target, path, walk);
      walk.expanding = outer;
    } else {
      walk.diagnostics.push({
        code: 'yaml-syntax',
        path: formatPath(path),
        message: `*${node.source} refers to no anchor`,
        loc: walk.at(node.range?.[0] ?? 0),
        hint: `define &${node.source} before it is used`,
      });
    }
    return;
  }
  if (isMap(node)) {
    const seen = new Map<string, SourceLoc>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyLoc = walk.at(keyNode?.range?.[0] ?? node.range?.[0] ?? 0);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        walk.diagnostics.push({
          code: 'invalid-key',
          path: formatPath(path),
          message: `a key must be a name, found ${keyNode ? describeNode(keyNode) : 'nothing'}`,
          loc: keyLoc,
        });
        continue;
      }
      const keyText = String(keyNode.value);
      const childPath = [...path, keyText];
      const first = seen.get(keyText);
      if (first) {
        walk.diagnostics.push({
          code: 'duplicate-key',
          path: formatPath(childPath),
          message: `duplicate key "${keyText}" (first defined at ${first.line}:${first.col})`,
          loc: keyLoc,
          hint: 'keep one of them',
        });
      } else seen.set(keyText, keyLoc);
      const valueNode = pair.value as Node | null;
      const valueOffset = valueNode?.range?.[0];
      const hasValue = valueNode !== null && valueOffset !== undefined && hasSource(valueNode);
      walk.sourceMap.set(childPath, {
        kind: 'file',
        key: keyLoc,
        value: hasValue ? walk.at(valueOffset) : keyLoc,
      });
      if (valueNode) recordPositions(doc, valueNode, childPath, walk);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const itemNode = item as Node | null;
      const childPath = [...path, index];
      const offset = itemNode?.range?.[0] ?? node.range?.[0] ?? 0;
      walk.sourceMap.set(childPath, { kind: 'file', key: undefined, value: walk.at(offset) });
      if (itemNode) recordPositions(doc, itemNode, childPath, walk);
    });
  }
}

/** An empty value (`key:` with nothing after it) has a zero-length range. */
function hasSource(node: Node): boolean {
  const range = node.range;
  return !(isScalar(node) && node.value === null && range && range[0] === range[1]);
}

function describeNode(node: Node): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node))
    return node.value === null ? 'nothing' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'an alias';
}

/** yaml's pretty messages end with " at line L, column C:" and an excerpt; we print the location ourselves. */
function firstSentence(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut >= 0 ? message.slice(0, cut) : (message.split('\n')[0] ?? message)).trim();
}

/**
 * yaml notices an unclosed `[`, `{` or quote only where the next line starts;
 * the fix belongs where it was opened. Finds that opening by scanning the
 * text before the error (comments and quoted text skipped).
 */
function unclosedOpening(
  text: string,
  errorOffset: number,
  message: string,
): { what: string; offset: number; hint: string } | undefined {
  const flow = /^Flow (sequence|map) in block collection/.exec(message);
  const quote = /^Missing closing (["'])quote/.exec(message);
  if (!flow && !quote) return undefined;
  const stack: { char: string; offset: number }[] = [];
  let openQuote: { char: string; offset: number } | undefined;
  for (let i = 0; i < Math.min(errorOffset, text.length); i++) {
    const c = text[i] as string;
    if (openQuote) {
      if (c === '\\' && openQuote.char === '"') i++;
      else if (c === openQuote.char) {
        if (c === "'" && text[i + 1] === "'") i++;
        else openQuote = undefined;
      }
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1] as string))) {
      openQuote = { char: c, offset: i };
    } else if (c === '[' || c === '{') stack.push({ char: c, offset: i });
    else if (c === ']' || c === '}') stack.pop();
  }
  if (quote && openQuote) {
    return {
      what: `the ${openQuote.char === '"' ? 'double' : 'single'} quote`,
      offset: openQuote.offset,
      hint: `end the text with ${openQuote.char}`,
    };
  }
  const opening = stack[stack.length - 1];
  if (flow && opening) {
    const closer = opening.char === '[' ? ']' : '}';
    return { what: `"${opening.char}"`, offset: opening.offset, hint: `end it with ${closer}` };
  }
  return undefined;
}
