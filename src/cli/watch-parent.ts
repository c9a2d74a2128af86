import type { Store } from '../store/index.js';
import type { SignalSource } from './commands/command.js';

/** How long a trial whose parent died may take to end its step before it quits. */
export const PARENT_GONE_GRACE_MS = 10_000;

/** The run a trial trains, once it exists: its id, and a way to write its queued values now. */
export interface WatchedRun {
  readonly runId: number;
  flushMetrics(): Promise<void>;
}

/** The parts of `process` the watch reads (a test gives its own channel). */
export interface ParentChannel {
  readonly channel?: { unref(): void } | undefined;
  readonly connected?: boolean;
  once(event: 'disconnect', listener: () => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
}

export interface WatchParentOptions {
  /** The run, once `runExperiment` has created it. */
  readonly run: () => WatchedRun | undefined;
  readonly store: Store;
  /** Ask the training to stop after its step. */
  readonly stop: () => void;
  /** `RUNNER_TRIAL_PARENT`: `sweep` or `worker`, set by the launcher. */
  readonly parent: string | undefined;
  readonly signals: SignalSource;
  /** Default: this process. */
  readonly process?: ParentChannel;
  /** Nobody reads this process's output any more: writes to it must not end it. */
  readonly onOrphaned?: () => void;
  readonly graceMs?: number;
}

/**
 * A trial's child holds an IPC channel to the process that launched it: `runner worker` (a
 * queued trial) or `runner sweep` (a local one); the launcher sets `RUNNER_TRIAL_PARENT`. When
 * that process dies (`kill -9`, its machine cut off), the channel closes, on Linux and macOS
 * alike, and the trial does not train on unsupervised: it stops after its step. A worker's
 * trial is recorded `lost` at once (another worker retries it); a local sweep's trial ends
 * `interrupted` (`runner sweep --resume` runs it again), and stays `running` until its
 * process is gone, so a resume never starts a second copy of it. If the step does not end
 * within the grace, the trial writes the metric values it still holds, then marks its run, then
 * quits: in that order, so the values are in the store before the run reads as ended.
 * Returns the function that stops watching (and waits for any marking under way).
 */
export function watchParent(options: WatchParentOptions): () => Promise<void> {
  const proc = options.process ?? process;
  const { parent, store } = options;
  const localSweep = parent === 'sweep';
  // Set by the launcher: a trial launched with a channel it no longer has lost its parent
  // while it was loading.
  if (!proc.channel && parent === undefined) return async () => undefined;
  // The channel must not keep this process alive once training is done.
  proc.channel?.unref();
  let marking: Promise<void> = Promise.resolve();
  let quit: NodeJS.Timeout | undefined;
  const mark = (status: 'lost' | 'interrupted', error: string, flush: boolean): void => {
    const run = options.run();
    if (run === undefined) return;
    marking = marking
      .then(() => (flush ? run.flushMetrics() : undefined))
      .catch(() => undefined) // a busy store: the values stay queued, the run is still marked
      .then(() => store.finishRun(run.runId, { status, error }))
      .catch(() => undefined);
  };
  const onDisconnect = (): void => {
    options.onOrphaned?.();
    options.stop();
    if (!localSweep) mark('lost', 'lost: its worker process went away', false);
    quit = setTimeout(() => {
      if (localSweep) mark('interrupted', 'interrupted: its sweep process went away', true);
      else mark('lost', 'lost: its worker process went away', true);
      options.signals.quitNow(marking);
    }, options.graceMs ?? PARENT_GONE_GRACE_MS).unref();
  };
  // The parent may have died while this process was still loading (the event came and went).
  if (proc.connected === false || !proc.channel) onDisconnect();
  else proc.once('disconnect', onDisconnect);
  return async () => {
    proc.off('disconnect', onDisconnect);
    clearTimeout(quit);
    await marking;
  };
}
