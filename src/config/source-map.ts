import type { DiagnosticCode } from './diagnostic-codes.js';
import type { Diagnostic, SourceLoc } from '../errors.js';
import { formatPath, type DocumentPath } from './document-path.js';

/** Where a value of the resolved document came from. */
export type NodeOrigin =
  | {
      readonly kind: 'file';
      /** The key of a mapping entry (undefined for list items and the root). */
      readonly key: SourceLoc | undefined;
      /** The start of the value. */
      readonly value: SourceLoc;
    }
  | { readonly kind: 'set'; readonly flag: string };

/**
 * Document path → origin, for every node of the document: what a diagnostic
 * needs to point at `file:line:col` (or at the `--set` flag) after extends
 * and overrides have merged several sources into one document.
 */
export class SourceMap {
  private readonly origins = new Map<string, NodeOrigin>();

  set(path: DocumentPath, origin: NodeOrigin): void {
    this.origins.set(formatPath(path), origin);
  }

  get(path: DocumentPath): NodeOrigin | undefined {
    return this.origins.get(formatPath(path));
  }

  /** Drops `path` and everything below it. */
  deleteSubtree(path: DocumentPath): void {
    const prefix = formatPath(path);
    for (const key of [...this.origins.keys()]) {
      if (key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) {
        this.origins.delete(key);
      }
    }
  }

  /** The origin of `path`, or of its nearest ancestor that has one. */
  locate(
    path: DocumentPath,
  ): { readonly origin: NodeOrigin; readonly path: DocumentPath } | undefined {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const origin = this.get(prefix);
      if (origin) return { origin, path: prefix };
    }
    return undefined;
  }
}

/** The location to print for a value at `path` (its start; `preferKey` points at its key). */
export function locationOf(
  map: SourceMap,
  path: DocumentPath,
  preferKey = false,
): { readonly loc: SourceLoc | undefined; readonly setFlag: string | undefined } {
  const found = map.locate(path);
  if (!found) return { loc: undefined, setFlag: undefined };
  const { origin } = found;
  if (origin.kind === 'set') return { loc: undefined, setFlag: origin.flag };
  return { loc: (preferKey ? origin.key : undefined) ?? origin.value, setFlag: undefined };
}

/**
 * A diagnostic about the value at `path`, located through the source map:
 * `file:line:col` of the value (of its key with `atKey`, or of the key
 * `keyOf` names), or `--set <path>` when a command-line override wrote it.
 */
export function diagnosticAt(
  map: SourceMap,
  path: DocumentPath,
  code: DiagnosticCode,
  message: string,
  options: {
    readonly hint?: string | undefined;
    readonly keyOf?: DocumentPath;
    readonly atKey?: boolean;
  } = {},
): Diagnostic {
  const target = options.keyOf ?? path;
  const { loc, setFlag } = locationOf(map, target, options.atKey ?? options.keyOf !== undefined);
  const shown = formatPath(path);
  return {
    code,
    path: setFlag ? `--set ${shown}` : shown,
    message,
    ...(loc ? { loc } : {}),
    ...(options.hint ? { hint: options.hint } : {}),
  };
}
