import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DB_HELP } from '../store-access.js';
import type { CliContext, CommandDefinition } from './command.js';

interface InitFlags {
  readonly db?: string;
  readonly readerRole?: string;
}

/** `runner store init`: create or migrate a store (on PostgreSQL also its read-only role). */
export const storeCommand: CommandDefinition = {
  name: 'store',
  register(program: Command, context: CliContext) {
    const store = program.command('store').description('set up the run store');
    store
      .command('init')
      .description(
        'create the store (or migrate it forward); on PostgreSQL also a read-only role for readers. Idempotent.',
      )
      .option('--db <path-or-url>', DB_HELP)
      .option('--reader-role <name>', 'the read-only role on PostgreSQL', 'runner_reader')
      .action(context.action((flags: InitFlags) => initStore(context, flags)));
  },
};

async function initStore(context: CliContext, flags: InitFlags): Promise<void> {
  const { openStore, resolveStorePath, isPostgresUrl, redactStoreTarget } =
    await import('../../store/index.js');
  const target = resolveStorePath(flags.db, context.env, context.cwd);
  if (!isPostgresUrl(target)) {
    if (flags.readerRole !== 'runner_reader') {
      throw new UsageError('--reader-role: only a PostgreSQL store has roles', {
        hint: 'give --db postgres://...',
      });
    }
    const store = await openStore(target);
    context.out.line(`store ${store.path} ready (schema version ${store.schemaVersion})`);
    await store.close();
    return;
  }
  const { initPostgresStore } = await import('../../store/postgres/init-postgres-store.js');
  const report = await initPostgresStore(target, {
    readerRole: flags.readerRole ?? 'runner_reader',
  });
  context.out.line(
    `store ${redactStoreTarget(target)} ready (schema runner, version ${report.schemaVersion}); reader role ${report.readerRole} ${report.createdRole ? 'created' : 'already there'}`,
  );
  context.out.line(
    `  readers: CREATE USER alice PASSWORD '...' IN ROLE ${report.readerRole};  then runner runs ls --db postgres://alice@HOST/DB`,
  );
}
