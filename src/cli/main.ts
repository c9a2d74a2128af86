#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { diskFullPath, formatError, isDiskFull, RunnerError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import type {
  CliContext,
  InputSource,
  SignalListener,
  SignalSource,
  StopSignal,
} from './commands/command.js';
import { OK, type Outcome, type OutcomeKind } from './outcome.js';
import { createRenderer, type RendererStreams } from './render.js';
import { RUNNER_VERSION } from '../version.js';

/**
 * Exit codes: the one place that decides them. Commands return an outcome or
 * throw a typed error; this file maps both, and alone owns the process
 * (its streams, its signals, its exit).
 */
export const EXIT = {
  ok: 0,
  userError: 1,
  configError: 2,
  internal: 70,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const OUTCOME_EXIT: Record<OutcomeKind, ExitCode> = {
  ok: EXIT.ok,
  invalid: EXIT.configError,
  declined: EXIT.userError,
  diverged: EXIT.userError,
  failed: EXIT.userError,
  interrupted: EXIT.interrupted,
};

/** What each exit code means, for `runner --help` (the README's table says the same). */
export const EXIT_CODES: readonly { readonly code: ExitCode; readonly meaning: string }[] = [
  { code: EXIT.ok, meaning: 'success' },
  {
    code: EXIT.userError,
    meaning:
      'a user error (bad flag or id, missing store or dataset), a diverged run, a sweep whose trials all failed, or a declined confirmation',
  },
  {
    code: EXIT.configError,
    meaning: 'an invalid experiment config (each problem printed as file:line:col)',
  },
  {
    code: EXIT.internal,
    meaning: 'an internal error: a bug in runner (stack printed; please report it)',
  },
  {
    code: EXIT.interrupted,
    meaning:
      'interrupted by Ctrl-C, SIGTERM or SIGHUP (what was recorded is kept; twice quits at once)',
  },
];

/** The outside world a CLI invocation runs in: the process by default, fakes in tests. */
export interface CliHost extends RendererStreams {
  readonly stdin: InputSource;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signals: SignalSource;
}

/** Runs one command line and returns its exit code; never ends the process itself. */
export async function main(
  argv: readonly string[],
  host: CliHost = processHost(),
): Promise<number> {
  const out = createRenderer(host);
  let result: Outcome = OK;
  const context: CliContext = {
    out,
    env: host.env,
    cwd: host.cwd,
    stdin: host.stdin,
    signals: host.signals,
    action:
      (handler) =>
      async (...args) => {
        result = (await handler(...args)) ?? OK;
      },
  };
  const program = new Command('runner')
    .description(
      'Declarative deep-learning experiments: YAML in, trained model and recorded run out.',
    )
    .version(RUNNER_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => host.stdout.write(s),
      writeErr: (s) => host.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', formatExitCodes());
  for (const command of COMMANDS) command.register(program, context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return OUTCOME_EXIT[result.kind];
  } catch (error) {
    return exitCodeFor(error, out.note);
  }
}

function formatExitCodes(): string {
  const width = Math.max(...EXIT_CODES.map((e) => String(e.code).length));
  return [
    '',
    'Exit codes:',
    ...EXIT_CODES.map((e) => `  ${String(e.code).padEnd(width)}  ${e.meaning}`),
  ].join('\n');
}

function exitCodeFor(error: unknown, note: (text: string) => void): number {
  if (error instanceof CommanderError) {
    // Commander has printed its own one-line message (unknown option, missing argument...).
    return error.exitCode === 0 ? EXIT.ok : EXIT.userError;
  }
  if (error instanceof RunnerError && error.kind !== 'internal') {
    note(formatError(error));
    return error.kind === 'config' ? EXIT.configError : EXIT.userError;
  }
  if (isDiskFull(error)) {
    // Wherever a command writes: one line naming the file, never a stack trace.
    const path = diskFullPath(error, '');
    const message = error instanceof Error ? error.message : String(error);
    note(
      `error: disk full${path ? ` at ${path}` : ''}: ${message}\n  hint: free space on that disk`,
    );
    return EXIT.userError;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  note(
    `internal error: ${stack}\nThis is a bug in runner; please report it with the command you ran.`,
  );
  return EXIT.internal;
}

function processHost(): CliHost {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Lazy: touching process.stdin opens it, and a command that never reads must not.
    stdin: {
      get stream() {
        return process.stdin;
      },
      isTTY: isatty(0),
    },
    env: process.env,
    cwd: process.cwd(),
    signals: processSignals(),
  };
}

/**
 * SIGINT/SIGTERM/SIGHUP of this process, handled only while a command listens (otherwise
 * Node's default applies). The first signal asks listeners to stop; a second one
 * gives them a last word (`onForce`) and exits at once: whatever was flushed stays.
 */
/** How long a second signal waits for the listeners' last word before the process exits. */
const FORCE_GRACE_MS = 1000;

function processSignals(): SignalSource {
  const listeners = new Set<SignalListener>();
  let received = 0;
  const handler = (signal: StopSignal): void => {
    received += 1;
    if (received === 1) {
      for (const listener of [...listeners]) listener.onStop(signal);
      return;
    }
    if (received > 2) process.exit(EXIT.interrupted);
    // The listeners' last word (marking the run interrupted) gets at most a second.
    const lastWords = [...listeners].map((listener) => listener.onForce?.(signal));
    const deadline = new Promise((resolve) => setTimeout(resolve, FORCE_GRACE_MS).unref());
    void Promise.race([Promise.allSettled(lastWords), deadline]).then(() =>
      process.exit(EXIT.interrupted),
    );
  };
  return {
    quitNow(lastWord) {
      void lastWord.finally(() => process.exit(EXIT.interrupted));
    },
    listen(listener) {
      if (listeners.size === 0) {
        process.on('SIGINT', handler);
        process.on('SIGTERM', handler);
        // The terminal closed: like SIGTERM (Node's default would end the process, losing the run).
        process.on('SIGHUP', handler);
      }
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
        process.off('SIGHUP', handler);
      };
    },
  };
}

/** Whether this module is the program node was started with (and not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `runner runs show 3 | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error: ${String(error)}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}
