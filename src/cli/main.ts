#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { formatError, RunnerError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import type { CliContext } from './commands/command.js';
import { createRenderer } from './render.js';
import { RUNNER_VERSION } from '../version.js';

/** Exit codes: the one place that decides them. */
export const EXIT = {
  ok: 0,
  userError: 1,
  configError: 2,
  internal: 70,
  interrupted: 130,
} as const;

export async function main(argv: readonly string[]): Promise<number> {
  const out = createRenderer();
  const context: CliContext = { out, env: process.env, cwd: process.cwd(), exitCode: EXIT.ok };
  const program = new Command('runner')
    .description(
      'Declarative deep-learning experiments: YAML in, trained model and recorded run out.',
    )
    .version(RUNNER_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  for (const command of COMMANDS) command.register(program, context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    return exitCodeFor(error, out.note);
  }
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
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  note(
    `internal error: ${stack}\nThis is a bug in runner; please report it with the command you ran.`,
  );
  return EXIT.internal;
}

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
