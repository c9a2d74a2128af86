/**
 * Errors a user can cause are typed, carry a location and a hint, and are
 * formatted once, by `formatError`. Only `cli/main.ts` maps them to exit codes.
 */

import type { DiagnosticCode } from './config/diagnostic-codes.js';

/** A place in a source file, 1-based line and column. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * One problem found in user input, compiler style.
 * `path` is the dotted path in the document (`model.layers[2].dense.units`),
 * or a flag name (`--set`) when the problem is on the command line.
 */
export interface Diagnostic {
  /** A code of the catalogue (config/diagnostic-codes.ts), e.g. `unknown-layer`. */
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly path: string;
  readonly loc?: SourceLoc;
  readonly hint?: string;
}

export type ErrorKind = 'config' | 'dataset' | 'store' | 'usage' | 'backend' | 'internal';

export class RunnerError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  constructor(kind: ErrorKind, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.hint = options?.hint;
  }
}

/** A config that cannot run: every problem found, each with its location. */
export class ConfigError extends RunnerError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super('config', diagnostics.map(formatDiagnostic).join('\n'));
    this.diagnostics = diagnostics;
  }
}

/** A dataset that is missing, corrupt or does not fit the model. */
export class DatasetError extends RunnerError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('dataset', message, options);
  }
}

/** A store that cannot be opened, is not ours, or is newer than this version. */
export class StoreError extends RunnerError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('store', message, options);
  }
}

/** A bad flag, id or argument on the command line. */
export class UsageError extends RunnerError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('usage', message, options);
  }
}

/** A compute backend that was asked for and cannot load. */
export class BackendError extends RunnerError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('backend', message, options);
  }
}

/** A bug in the runner itself: printed with its stack and "please report". */
export class InternalError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, options);
  }
}

/**
 * `configs/x.yaml:14:11 error unknown-layer: model.layers[2]: unknown layer "dnse" (did you mean "dense"?)`
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col} ` : '';
  const path = d.path ? `${d.path}: ` : '';
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${where}error ${d.code}: ${path}${d.message}${hint}`;
}

/** One clear message for any user error; the hint on its own line. */
export function formatError(error: RunnerError): string {
  if (error instanceof ConfigError) return error.message;
  return error.hint ? `error: ${error.message}\n  hint: ${error.hint}` : `error: ${error.message}`;
}
