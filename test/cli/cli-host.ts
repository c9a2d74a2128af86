import { PassThrough, Writable } from 'node:stream';
import type { SignalListener, SignalSource, StopSignal } from '../../src/cli/commands/command.js';
import { main, type CliHost } from '../../src/cli/main.js';

/** A stream that keeps what is written to it. */
export interface Capture extends Writable {
  readonly isTTY: boolean;
  readonly columns: number;
  text(): string;
}

export function capture(isTTY = false): Capture {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { isTTY, columns: 200, text: () => text });
}

/** Signals sent by the test: the first calls `onStop`, later ones `onForce` (main.ts would then exit). */
export interface TestSignals extends SignalSource {
  send(signal?: StopSignal): void;
  readonly listeners: number;
  readonly forced: boolean;
}

export function testSignals(): TestSignals {
  const listeners = new Set<SignalListener>();
  let received = 0;
  let forced = false;
  return {
    quitNow() {
      forced = true;
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send(signal = 'SIGINT') {
      received += 1;
      for (const listener of [...listeners]) {
        if (received === 1) listener.onStop(signal);
        else listener.onForce?.(signal);
      }
      if (received > 1) forced = true;
    },
    get listeners() {
      return listeners.size;
    },
    get forced() {
      return forced;
    },
  };
}

export interface TestHostOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** What the person types; the stream ends after it. */
  readonly stdin?: string;
  /** Whether stdin is a terminal (a person who can answer a question). */
  readonly stdinTTY?: boolean;
  readonly signals?: TestSignals;
}

export interface TestHost extends CliHost {
  readonly stdout: Capture;
  readonly stderr: Capture;
}

/** The outside world of one in-process CLI run, with nothing taken from this process. */
export function testHost(options: TestHostOptions): TestHost {
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  return {
    stdout: capture(),
    stderr: capture(),
    stdin: { stream: stdin, isTTY: options.stdinTTY ?? false },
    env: { RUNNER_DB: '', ...options.env },
    cwd: options.cwd,
    signals: options.signals ?? testSignals(),
  };
}

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `runner ARGS` in this process, through the same `main` as the bin. */
export async function runInProcess(
  args: readonly string[],
  options: TestHostOptions,
): Promise<InProcessResult> {
  const host = testHost(options);
  const code = await main(args, host);
  return { code, stdout: host.stdout.text(), stderr: host.stderr.text() };
}
