import type { EarlyStoppingSpec } from '../config/experiment.js';

/** What early stopping remembers between epochs (saved in checkpoints). */
export interface EarlyStoppingState {
  /** Best value of the metric so far, and the epoch (1-based) it was reached; none before the first. */
  readonly best: number | undefined;
  readonly bestEpoch: number | undefined;
  /** Epochs since the best without an improvement of more than minDelta. */
  readonly wait: number;
}

export type EarlyStoppingVerdict =
  | { readonly kind: 'improved' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'stop'; readonly reason: string };

/**
 * Keras' EarlyStopping (and Lightning's): after each evaluation, an
 * improvement is `value < best - minDelta` (`>` `best + minDelta` for a metric
 * to maximize); `patience` epochs in a row without one stop the run.
 */
export function createEarlyStopping(spec: EarlyStoppingSpec): {
  observe(epoch: number, metrics: Readonly<Record<string, number>>): EarlyStoppingVerdict;
  saveState(): EarlyStoppingState;
  loadState(state: EarlyStoppingState): void;
} {
  let state: EarlyStoppingState = { best: undefined, bestEpoch: undefined, wait: 0 };
  const improves = (value: number, best: number | undefined): boolean => {
    if (!Number.isFinite(value)) return false;
    if (best === undefined) return true;
    return spec.mode === 'min' ? value < best - spec.minDelta : value > best + spec.minDelta;
  };
  return {
    observe(epoch, metrics) {
      const value = metrics[spec.metric];
      if (value === undefined) return { kind: 'waiting' };
      if (improves(value, state.best)) {
        state = { best: value, bestEpoch: epoch, wait: 0 };
        return { kind: 'improved' };
      }
      state = { ...state, wait: state.wait + 1 };
      if (state.wait < spec.patience) return { kind: 'waiting' };
      const epochs = state.wait === 1 ? 'epoch' : 'epochs';
      return {
        kind: 'stop',
        reason: `early stop at epoch ${epoch}: ${spec.metric} did not improve for ${state.wait} ${epochs} (best ${state.best?.toPrecision(4) ?? 'none'} at epoch ${state.bestEpoch ?? '-'})`,
      };
    },
    saveState: () => state,
    loadState(saved) {
      state = saved;
    },
  };
}
