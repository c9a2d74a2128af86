/** What one backend's loader produces when it works. */
export interface LoadedBackend {
  /** The name tfjs knows the backend by (`tensorflow` for tfjs-node). */
  readonly tfName: string;
  readonly kernels: string;
  /** What computes the kernels once the backend is active, if that adds to `kernels`. */
  readonly describeActive?: () => string;
}

/** Why a loader could not load its backend, with what the user can do. */
export class LoadFailure extends Error {
  readonly hint: string;
  /**
   * The optional package is simply absent: `auto` passes over it without its install hint
   * (the hint is for `--backend NAME` and `runner doctor`).
   */
  readonly absent: boolean;
  constructor(message: string, hint: string, cause?: unknown, options: { absent?: boolean } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.hint = hint;
    this.absent = options.absent ?? false;
  }
}

export function asLoadFailure(error: unknown): LoadFailure {
  if (error instanceof LoadFailure) return error;
  return new LoadFailure(
    `it failed (${errorText(error)})`,
    'reinstall the dependencies with `npm install`',
    error,
  );
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
