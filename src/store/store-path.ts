import { dirname, resolve } from 'node:path';

/** Where the store lives unless `--db` or `RUNNER_DB` says otherwise (relative to the working directory). */
export const DEFAULT_STORE_PATH = 'runs/runner.db';

/** `postgres://` or `postgresql://` (any case): a PostgreSQL store; anything else is a SQLite path. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target.trim());
}

/**
 * The store a command uses: the `--db` flag, else `RUNNER_DB`, else `runs/runner.db`.
 * A SQLite path is resolved against `cwd`; a `postgres://` URL is kept as given.
 *
 * @example resolveStorePath(undefined, process.env, process.cwd()) // → /home/me/proj/runs/runner.db
 */
export function resolveStorePath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  const chosen = flag ?? (env['RUNNER_DB'] ? env['RUNNER_DB'] : DEFAULT_STORE_PATH);
  return isPostgresUrl(chosen) ? chosen.trim() : resolve(cwd, chosen);
}

/**
 * The store's name as it may be printed, logged or recorded: a URL's password becomes `***`
 * (also a `password=` query parameter); a path is returned as is.
 *
 * @example redactStoreTarget('postgres://me:secret@db/runs') // → 'postgres://me:***@db/runs'
 */
export function redactStoreTarget(target: string): string {
  if (!isPostgresUrl(target)) return target;
  return target
    .replace(/^(postgres(?:ql)?:\/\/[^:/?#@]*):[^/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * Where runs keep their artifacts (checkpoints, logs): beside a SQLite store; for a
 * PostgreSQL store, on this machine's disk (`runs/` under `cwd`) unless `RUNNER_ARTIFACTS`
 * points every worker at a shared folder. The store records each run's host and folder.
 */
export function resolveArtifactsDir(
  store: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  if (env['RUNNER_ARTIFACTS']) return resolve(cwd, env['RUNNER_ARTIFACTS']);
  return isPostgresUrl(store) ? resolve(cwd, 'runs') : dirname(store);
}
