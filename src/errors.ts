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

export type ErrorKind = 'config' | 'dataset' | 'store' | 'usage' | 'backend' | 'disk' | 'internal';

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

/** The disk (or the user's quota) under a file the runner writes is full: `disk full at PATH`. */
export class DiskFullError extends RunnerError {
  /** The file or folder whose write failed. */
  readonly path: string;
  constructor(path: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super('disk', message, options);
    this.path = path;
  }
}

/** ENOSPC and EDQUOT from the file system, SQLITE_FULL from SQLite: here or in its causes. */
export function isDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL_CODES.some((c) => code.startsWith(c))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

// 53100 is PostgreSQL's disk_full.
const DISK_FULL_CODES = ['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100'];

/**
 * `error` as a DiskFullError naming `path` when it is a full disk (a write on a descriptor does
 * not say which file it was), else `error` unchanged: for a catch that rethrows.
 */
export function diskFullAt(path: string, error: unknown): unknown {
  if (!isDiskFull(error) || error instanceof DiskFullError) return error;
  return new DiskFullError(path, `disk full at ${path}`, {
    cause: error,
    hint: 'free space on that disk',
  });
}

/** The path a disk-full error names (a file system error carries its own), else `fallback`. */
export function diskFullPath(error: unknown, fallback: string): string {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof DiskFullError) return e.path;
    const path = (e as { path?: unknown }).path;
    if (typeof path === 'string') return path;
    e = (e as { cause?: unknown }).cause;
  }
  return fallback;
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
