import { resolve } from 'node:path';

/** Where the store lives unless `--db` or `RUNNER_DB` says otherwise (relative to the working directory). */
export const DEFAULT_STORE_PATH = 'runs/runner.db';

/**
 * The store path a command uses: the `--db` flag, else `RUNNER_DB`, else `runs/runner.db`,
 * resolved against `cwd`.
 *
 * @example resolveStorePath(undefined, process.env, process.cwd()) // → /home/me/proj/runs/runner.db
 */
export function resolveStorePath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  const chosen = flag ?? (env['RUNNER_DB'] ? env['RUNNER_DB'] : DEFAULT_STORE_PATH);
  return resolve(cwd, chosen);
}
