import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic, SourceLoc } from '../errors.js';
import { isPlainObject, type PathSegment } from './document-path.js';
import { parseYamlFile, type ParsedFile } from './parse-yaml-file.js';
import { SourceMap } from './source-map.js';

/** The top file with everything it extends merged in. */
export interface MergedDocument {
  readonly document: Record<string, unknown> | undefined;
  readonly sourceMap: SourceMap;
  /** Every file read, as shown in messages, the top one first. */
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads `file` and the chain of files it `extends`, and merges them, the
 * extending file over its base: mappings key by key, lists and scalars
 * replaced, `null` in an extending file removes the inherited key; `name`
 * is not inherited.
 * A missing base, a file that extends itself and a cycle are located at the
 * `extends` key that causes them. `base`, when given, is what a top file
 * without `extends` extends.
 */
export async function resolveExtends(
  file: string,
  displayPath: (absolute: string) => string,
  base?: string,
): Promise<MergedDocument> {
  const chain: ParsedFile[] = [];
  const absolutes: string[] = [];
  let absolute = path.resolve(file);
  let reference: { readonly loc: SourceLoc | undefined; readonly from: string } | undefined;
  for (;;) {
    const text = await readText(absolute, displayPath(absolute), reference);
    if (typeof text !== 'string') return failed(chain, [text]);
    const parsed = parseYamlFile(text, displayPath(absolute));
    chain.push(parsed);
    absolutes.push(absolute);
    if (parsed.diagnostics.length > 0) return failed(chain, parsed.diagnostics);
    const document = parsed.document as Record<string, unknown>;
    if (!Object.hasOwn(document, 'extends')) {
      // The top file extends `base` without saying so (`runner eval --data` over a run's config).
      if (chain.length > 1 || base === undefined) break;
      reference = { loc: undefined, from: displayPath(absolute) };
      absolute = path.resolve(base);
      continue;
    }
    const origin = parsed.sourceMap.get(['extends']);
    const keyLoc = origin?.kind === 'file' ? (origin.key ?? origin.value) : undefined;
    const target = document['extends'];
    if (typeof target !== 'string' || target.trim() === '') {
      return failed(chain, [
        {
          code: 'wrong-type',
          path: 'extends',
          message: `expected a file path, found ${JSON.stringify(target)}`,
          ...(keyLoc ? { loc: keyLoc } : {}),
          hint: 'e.g. extends: ./lenet.yaml (relative to this file)',
        },
      ]);
    }
    const next = path.resolve(path.dirname(absolute), target);
    const seen = absolutes.indexOf(next);
    if (seen >= 0) {
      const cycle = [...absolutes.slice(seen), next].map(displayPath).join(' → ');
      return failed(chain, [
        {
          code: 'extends-cycle',
          path: 'extends',
          message:
            next === absolute
              ? `${displayPath(absolute)} extends itself`
              : `extends cycle: ${cycle}`,
          ...(keyLoc ? { loc: keyLoc } : {}),
          hint: 'a file can only extend a file that does not lead back to it',
        },
      ]);
    }
    reference = { loc: keyLoc, from: displayPath(absolute) };
    absolute = next;
  }
  let merged: unknown = undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const { extends: _extends, ...own } = chain[i]?.document as Record<string, unknown>;
    // A name is not inherited: runs of an extending file must not pass for its base's.
    if (i > 0) delete own['name'];
    merged = merged === undefined ? own : mergeDocuments(merged, own);
  }
  const document = structuredClone(merged) as Record<string, unknown>;
  return {
    document,
    sourceMap: mergeSourceMaps(
      document,
      chain.map((c) => c.sourceMap),
    ),
    files: chain.map((c) => c.file),
    diagnostics: [],
  };
}

/** `child` over `base`: mappings merged key by key, anything else replaced; `null` deletes. */
export function mergeDocuments(base: unknown, child: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(child)) return child;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(child)) {
    if (value === null) delete out[key];
    else out[key] = Object.hasOwn(base, key) ? mergeDocuments(base[key], value) : value;
  }
  return out;
}

/** For each node of the merged document, the origin in the first file (top first) that has it. */
function mergeSourceMaps(document: unknown, maps: readonly SourceMap[]): SourceMap {
  const merged = new SourceMap();
  const visit = (value: unknown, at: PathSegment[]): void => {
    const origin = maps.map((m) => m.get(at)).find((o) => o !== undefined);
    if (origin) merged.set(at, origin);
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...at, i]));
    else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...at, key]);
    }
  };
  visit(document, []);
  return merged;
}

async function readText(
  absolute: string,
  shown: string,
  reference: { readonly loc: SourceLoc | undefined; readonly from: string } | undefined,
): Promise<string | Diagnostic> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory'
          : String(code ?? error);
    if (!reference) {
      return { code: 'config-not-found', path: '', message: `cannot read ${shown}: ${reason}` };
    }
    return {
      code: 'extends-missing',
      path: 'extends',
      message: `cannot read ${shown}: ${reason}`,
      ...(reference.loc ? { loc: reference.loc } : {}),
      hint: `the path is relative to ${reference.from}`,
    };
  }
}

function failed(chain: readonly ParsedFile[], diagnostics: readonly Diagnostic[]): MergedDocument {
  return {
    document: undefined,
    sourceMap: new SourceMap(),
    files: chain.map((c) => c.file),
    diagnostics,
  };
}
