import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { CliContext } from './commands/command.js';

/** The `--db` help line every store command shows. */
export const DB_HELP = 'the run store (default: $RUNNER_DB, else runs/runner.db)';

/**
 * Opens the store a command reads (never creates one; migrates an older one forward).
 * The store module is imported here, lazily, so `--help` stays instant.
 */
export async function openCommandStore(
  context: CliContext,
  db: string | undefined,
  options: { readonly?: boolean } = {},
): Promise<Store> {
  const { openStore, resolveStorePath } = await import('../store/index.js');
  const path = resolveStorePath(db, context.env, context.cwd);
  return options.readonly
    ? await openStore(path, { readonly: true })
    : await openStore(path, { create: false });
}

/** Runs `use` on an open store and closes it whatever happens. */
export async function withStore<T>(
  context: CliContext,
  db: string | undefined,
  use: (store: Store) => T | Promise<T>,
  options: { readonly?: boolean } = {},
): Promise<T> {
  const store = await openCommandStore(context, db, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Refuses unknown ids with one line, before anything is read or changed. */
export async function requireRuns(store: Store, ids: readonly number[]): Promise<void> {
  const missing = await store.missingRuns(ids);
  if (missing.length === 0) return;
  throw new UsageError(`no run with id ${missing.join(', ')} in ${store.path}`, {
    hint: 'see the ids with `runner runs ls`',
  });
}
