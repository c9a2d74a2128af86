import type { Store } from '../store/index.js';
import type { WorkerEvent } from '../train/index.js';
import type { Renderer } from './render.js';
import { startSweepProgress } from './sweep-progress.js';

/**
 * Life between a queued trial's "started" and end lines, on a worker (or a queued sweep working
 * on trials itself): the local sweep's reporter (`startSweepProgress`), one per sweep this process
 * has trials of, naming only the trials it runs; the ended count is the sweep's, from the store
 * (workers elsewhere end trials too).
 */
export interface WorkerProgress {
  onEvent(event: WorkerEvent): void;
  stop(): void;
}

interface SweepEntry {
  /** Trial indexes this process runs now. */
  readonly running: Set<number>;
  stop: (() => void) | undefined;
}

export function createWorkerProgress(options: {
  readonly store: Store;
  readonly out: Renderer;
  readonly everyMs: number;
  /** The sweep's planned trial count. */
  readonly total: (sweepId: number) => Promise<number>;
}): WorkerProgress {
  const sweeps = new Map<number, SweepEntry>();
  let stopped = false;
  const start = (sweepId: number, entry: SweepEntry): void => {
    void options
      .total(sweepId)
      .catch(() => 0)
      .then((total) => {
        if (stopped || entry.running.size === 0 || entry.stop !== undefined) return;
        let ended = 0;
        entry.stop = startSweepProgress({
          sweepId,
          total,
          listTrials: async () => {
            const runs = await options.store.listSweepTrials(sweepId);
            ended = runs.filter((run) => run.status !== 'running').length;
            return runs.filter(
              (run) => run.trialIndex !== null && entry.running.has(run.trialIndex),
            );
          },
          ended: () => ended,
          note: (text) => options.out.note(text),
          status: (text) => options.out.status(text),
          liveStatus: options.out.liveStatus,
          everyMs: options.everyMs,
        });
      });
  };
  return {
    onEvent(event) {
      if (event.kind !== 'started' && event.kind !== 'ended') return;
      const { sweepId, trialIndex } = event.taken.job;
      let entry = sweeps.get(sweepId);
      if (entry === undefined) {
        entry = { running: new Set(), stop: undefined };
        sweeps.set(sweepId, entry);
      }
      if (event.kind === 'started') {
        entry.running.add(trialIndex);
        if (entry.stop === undefined) start(sweepId, entry);
        return;
      }
      entry.running.delete(trialIndex);
      if (entry.running.size === 0 && entry.stop !== undefined) {
        entry.stop();
        entry.stop = undefined;
      }
    },
    stop() {
      stopped = true;
      for (const entry of sweeps.values()) entry.stop?.();
      sweeps.clear();
    },
  };
}
