import type { Command } from 'commander';
import type { Outcome } from '../outcome.js';
import type { Renderer } from '../render.js';

/** The signals that ask a command to stop (Ctrl-C, `kill`'s default, the terminal closed). */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface SignalListener {
  /** The first Ctrl-C or SIGTERM: stop soon, keeping what was recorded. */
  onStop(signal: StopSignal): void;
  /**
   * A second one: `main.ts` ends the process (exit 130) once this settles, or after a
   * second at most; a third signal ends it at once.
   */
  onForce?(signal: StopSignal): void | Promise<void>;
}

/**
 * Where stop signals come from: the process in `main.ts`, a function call in tests.
 * While anyone listens, the first signal calls `onStop` and a second one `onForce`,
 * then the process exits at once; nobody but `main.ts` ends the process.
 */
export interface SignalSource {
  /** Listens until the returned function is called. */
  listen(listener: SignalListener): () => void;
  /**
   * Ends the process at once as interrupted (exit 130), as a second signal does, once `lastWord`
   * settles: for a trial whose sweep is gone and whose step would not end.
   */
  quitNow(lastWord: Promise<unknown>): void;
}

/** What a command may read from the person at the terminal. */
export interface InputSource {
  readonly stream: NodeJS.ReadableStream;
  /** Whether a person is there to answer a question (stdin is a terminal). */
  readonly isTTY: boolean;
}

/** What every command gets from the entry point: its only way to the outside world. */
export interface CliContext {
  readonly out: Renderer;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdin: InputSource;
  readonly signals: SignalSource;
  /**
   * Wraps a command's handler for commander: what it returns (nothing means `ok`) goes
   * to `main.ts`, which decides the exit code.
   */
  readonly action: <A extends unknown[]>(
    handler: (...args: A) => Promise<Outcome | void>,
  ) => (...args: A) => Promise<void>;
}

/**
 * One subcommand. `register` declares its flags on commander and an action
 * (wrapped in `context.action`) that imports its heavy modules lazily, so
 * `--help` stays instant. The action returns an outcome or throws a typed
 * error; `main.ts` alone maps either to an exit code.
 */
export interface CommandDefinition {
  readonly name: string;
  register(program: Command, context: CliContext): void;
}

/** Collects a repeatable flag (`--set a=1 --set b=2`). */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
