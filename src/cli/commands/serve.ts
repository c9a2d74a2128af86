import { parsePort } from '../parse-flags.js';
import { DB_HELP } from '../store-access.js';
import type { CommandDefinition, SignalSource } from './command.js';

interface ServeOptions {
  readonly db?: string;
  readonly port: string;
  readonly host: string;
  readonly readOnly?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * `runner serve`: the live dashboard on http://127.0.0.1:6006/, reading the
 * store read-only (but for run notes and tags edited on the page, on this machine only), until Ctrl-C. The URL goes to stdout (one line, for
 * scripts); everything else to stderr.
 */
export const serveCommand: CommandDefinition = {
  name: 'serve',
  register(program, context) {
    program
      .command('serve')
      .description(
        'live dashboard of the runs in a local web page (reads runs; edits only notes and tags; Ctrl-C stops it)',
      )
      .option('--db <path>', DB_HELP)
      .option('--port <n>', 'port to listen on (0: any free port)', '6006')
      .option(
        '--host <address>',
        'address to listen on; 127.0.0.1 keeps it to this machine',
        '127.0.0.1',
      )
      .option('--read-only', 'refuse note and tag edits from the page')
      .action(
        context.action(async (opts: ServeOptions) => {
          const port = parsePort(opts.port);
          const [{ startDashboard }, { resolveStorePath, redactStoreTarget }] = await Promise.all([
            import('../../dashboard/index.js'),
            import('../../store/index.js'),
          ]);
          const dbPath = resolveStorePath(opts.db, context.env, context.cwd);
          // Listen for Ctrl-C before the URL is out: whoever reads it may stop us at once.
          const stopped = waitForSignal(context.signals);
          // Edits from the page only on this machine: on another address anyone could make them.
          const readOnly = Boolean(opts.readOnly) || !LOOPBACK.has(opts.host.toLowerCase());
          const dashboard = await startDashboard({ dbPath, host: opts.host, port, readOnly });
          context.out.line(dashboard.url);
          context.out.note(
            dashboard.storeExists
              ? `dashboard: ${dashboard.url}  (store ${redactStoreTarget(dbPath)}, ${readOnly ? 'read-only' : 'read-only but for notes and tags'})`
              : `dashboard: ${dashboard.url}  (no store at ${redactStoreTarget(dbPath)} yet: runs appear as soon as \`runner exp\` creates it)`,
          );
          if (dashboard.readFromCopy !== undefined) {
            context.out.note(
              `note: the run store ${redactStoreTarget(dbPath)} is read-only (${dashboard.readFromCopy}): read from a copy in memory, so runs recorded after this start do not appear`,
            );
          }
          if (!LOOPBACK.has(opts.host.toLowerCase())) {
            context.out.note(
              `warning: listening on ${opts.host}: anyone who can reach this machine can read your runs`,
            );
          }
          context.out.note('press Ctrl-C to stop');
          await stopped;
          await dashboard.close();
        }),
      );
  },
};

/** Serving ends on Ctrl-C or SIGTERM; that is the normal way to stop, so the exit code stays 0. */
function waitForSignal(signals: SignalSource): Promise<void> {
  return new Promise((resolve) => {
    const unlisten = signals.listen({
      onStop: () => {
        unlisten();
        resolve();
      },
    });
  });
}
