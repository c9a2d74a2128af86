/**
 * Ctrl-C / SIGTERM handling for a training process: the first signal asks the
 * loop to stop after the current step (everything is flushed and the run is
 * marked `interrupted`); a second one exits at once (what was flushed stays).
 */
export interface StopController {
  readonly stopRequested: () => boolean;
  readonly signal: NodeJS.Signals | undefined;
  dispose(): void;
}

export function installStopSignals(options: {
  readonly onFirst: (signal: NodeJS.Signals) => void;
  readonly onSecond: (signal: NodeJS.Signals) => void;
}): StopController {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (received === undefined) {
      received = signal;
      options.onFirst(signal);
    } else {
      options.onSecond(signal);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopRequested: () => received !== undefined,
    get signal() {
      return received;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
