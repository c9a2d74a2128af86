import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Where a dataset's files are looked up and downloaded to, and why that folder. */
export interface DataDir {
  readonly path: string;
  /** `root`: data.root in the config; `env`: RUNNER_DATA_DIR; `cache`: the per-user cache. */
  readonly origin: 'root' | 'env' | 'cache';
}

/**
 * The data directory: `data.root` (relative to `cwd`), else `RUNNER_DATA_DIR`,
 * else `$XDG_CACHE_HOME/runner/datasets`, else `~/.cache/runner/datasets`.
 *
 * @example resolveDataDir(undefined, { RUNNER_DATA_DIR: '/data' }, '/work') // { path: '/data', origin: 'env' }
 */
export function resolveDataDir(
  root: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): DataDir {
  if (root !== undefined && root !== '') return { path: resolve(cwd, root), origin: 'root' };
  const fromEnv = env.RUNNER_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '')
    return { path: resolve(cwd, fromEnv), origin: 'env' };
  const xdg = env.XDG_CACHE_HOME;
  const cacheHome =
    xdg !== undefined && xdg !== '' && isAbsolute(xdg)
      ? xdg
      : join(env.HOME ?? homedir(), '.cache');
  return { path: join(cacheHome, 'runner', 'datasets'), origin: 'cache' };
}

/** `~/...` for paths under the home folder: shorter messages. */
export function displayPath(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? homedir();
  return home !== '' && home !== '/' && (path === home || path.startsWith(`${home}/`))
    ? `~${path.slice(home.length)}`
    : path;
}
