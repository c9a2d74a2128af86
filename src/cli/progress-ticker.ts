/**
 * When a plain progress line is due where no status line can be redrawn (stderr piped to
 * a CI log): every tenth of the way, or every 30 s, whichever comes first, never at the
 * very end (the caller's own line says that).
 */
export interface ProgressTicker {
  /** Whether a line is due at this fraction done (0..1); if so, the next one counts from here. */
  due(fraction: number): boolean;
  /** Start over (a new epoch, a new file). */
  reset(): void;
}

export const TICK_FRACTION = 0.1;
export const TICK_MS = 30_000;

export function createProgressTicker(now: () => number = Date.now): ProgressTicker {
  let lastTenth = 0;
  let lastTime = now();
  return {
    due(fraction) {
      if (fraction >= 1) return false;
      const tenth = Math.floor(fraction / TICK_FRACTION + 1e-9);
      const t = now();
      if (tenth > lastTenth || t - lastTime >= TICK_MS) {
        lastTenth = Math.max(lastTenth, tenth);
        lastTime = t;
        return true;
      }
      return false;
    },
    reset() {
      lastTenth = 0;
      lastTime = now();
    },
  };
}
