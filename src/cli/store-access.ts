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
  options: StoreUse = {},
): Promise<Store> {
  const { openStore, resolveStorePath } = await import('../store/index.js');
  const path = resolveStorePath(db, context.env, context.cwd);
  const store = options.readonly
    ? await openStore(path, { readonly: true })
    : await openStore(path, { create: false, readonlyIfUnwritable: options.writes !== true });
  if (store.readFromCopy !== undefined) {
    context.out.note(
      `note: the run store ${store.path} is read-only (${store.readFromCopy}): read from a copy in memory`,
    );
  }
  return store;
}

/**
 * How a command uses its store: `readonly` never writes (query); `writes` changes it (rm, tags),
 * so a store this user cannot write is refused; otherwise it reads, migrating an older store
 * forward when it may (a read-only one is read as it is).
 */
export interface StoreUse {
  readonly readonly?: boolean;
  readonly writes?: boolean;
}

/** Runs `use` on an open store and closes it whatever happens. */
export async function withStore<T>(
  context: CliContext,
  db: string | undefined,
  use: (store: Store) => T | Promise<T>,
  options: StoreUse = {},
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

/** What a run argument may say besides an id: `last` (or `-1`) for the newest, `-2` for the one before. */
export const RUN_REF_HELP = 'run id, or `last` / -1 for the newest run (-2 the one before)';

/**
 * The run an argument names: an id (checked to exist), `last`, or `-N` (the Nth newest by
 * start time). Anything else, or a store with fewer runs, is one line saying so.
 */
export async function resolveRunRef(store: Store, text: string): Promise<number> {
  const trimmed = text.trim();
  const back = trimmed.toLowerCase() === 'last' ? 1 : /^-\d+$/.test(trimmed) ? -Number(trimmed) : 0;
  if (back === 0) {
    const { parseRunIds } = await import('./parse-flags.js');
    const [id] = parseRunIds([trimmed]);
    await requireRuns(store, [id!]);
    return id!;
  }
  const [run] = await store.listRuns({ sort: 'started:desc', limit: 1, offset: back - 1 });
  if (!run) {
    const count = await store.countRuns();
    throw new UsageError(
      count === 0
        ? `"${text}": there are no runs in ${store.path} yet`
        : `"${text}": ${store.path} holds ${count} run${count === 1 ? '' : 's'}, so there is no ${ordinal(back)} newest`,
      { hint: 'see the runs with `runner runs ls`' },
    );
  }
  return run.id;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
