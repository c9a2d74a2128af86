import type { Command } from 'commander';
import type { Renderer } from '../render.js';

/** What every command gets from the entry point. */
export interface CliContext {
  readonly out: Renderer;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Set by a command's action: the process exit code when it returns normally. */
  exitCode: number;
}

/**
 * One subcommand. `register` declares its flags on commander and an action
 * that imports its heavy modules lazily (so `--help` stays instant).
 * Errors thrown from the action are mapped to exit codes by `main.ts` only.
 */
export interface CommandDefinition {
  readonly name: string;
  register(program: Command, context: CliContext): void;
}

/** Collects a repeatable flag (`--set a=1 --set b=2`). */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
