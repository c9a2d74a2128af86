import type { ScheduleSpec } from '../config/experiment.js';

/** Where a run is when it asks for a learning rate: both 0-based. */
export interface SchedulePosition {
  /** Optimizer steps taken before this one. */
  readonly step: number;
  /** Epochs completed before this one. */
  readonly epoch: number;
}

/** What a plateau schedule remembers between epochs (saved in checkpoints). */
export interface PlateauState {
  readonly learningRate: number;
  readonly best: number;
  readonly badEpochs: number;
  readonly cooldown: number;
}

/** The learning rate of every step of a run, and the state a checkpoint keeps. */
export interface LearningRateSchedule {
  /** The learning rate of the step at `position`. */
  rateAt(position: SchedulePosition): number;
  /** The momentum of that step when the schedule cycles it (oneCycle), else undefined: the optimizer's own. */
  momentumAt(position: SchedulePosition): number | undefined;
  /** Told each evaluated metric at an epoch end (only reduceOnPlateau listens). */
  observe(metrics: Readonly<Record<string, number>>): void;
  saveState(): PlateauState | undefined;
  loadState(state: PlateauState | undefined): void;
}

export interface ScheduleContext {
  /** The optimizer's learningRate. */
  readonly baseLearningRate: number;
  /** Steps the whole run takes (epochs x batches per epoch, or maxSteps when smaller). */
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
}

/** Steps of linear warmup a cosine schedule asks for (warmupSteps, or warmupEpochs x steps per epoch). */
export function warmupStepsOf(spec: ScheduleSpec, stepsPerEpoch: number): number {
  if (spec.type !== 'cosine') return 0;
  return spec.warmupSteps ?? (spec.warmupEpochs ?? 0) * stepsPerEpoch;
}

/**
 * The formulas of PyTorch's torch.optim.lr_scheduler, in closed form, at
 * 0-based step s and epoch e (PyTorch's `last_epoch`, stepped per epoch for
 * StepLR, ExponentialLR and ReduceLROnPlateau, per batch for the others):
 *
 * - StepLR:             lr = base * gamma^floor(e / step_size)
 * - ExponentialLR:      lr = base * gamma^e
 * - CosineAnnealingLR:  lr = min + (base - min) * (1 + cos(pi * t / T)) / 2, t = s - warmup, T = total - warmup
 *   after LinearLR warmup (SequentialLR): lr = base * (f + (1 - f) * s / warmup), f = start_factor (1/3)
 * - OneCycleLR (cos):   from max/div_factor up to max over pct_start * total - 1 steps, then down to
 *   max/div_factor/final_div_factor at step total - 1, each half by cos annealing
 *   end + (start - end) / 2 * (cos(pi * pct) + 1); with cycle_momentum the momentum runs the other
 *   way over the same phases, max_momentum -> base_momentum -> max_momentum
 * - ReduceLROnPlateau:  lr = max(lr * factor, min_lr) once the metric has not improved (rel threshold)
 *   for more than `patience` epochs, then `cooldown` epochs without counting
 */
export function createSchedule(
  spec: ScheduleSpec | undefined,
  context: ScheduleContext,
): LearningRateSchedule {
  const base = context.baseLearningRate;
  const stateless = (
    rateAt: (p: SchedulePosition) => number,
    momentumAt: (p: SchedulePosition) => number | undefined = () => undefined,
  ): LearningRateSchedule => ({
    rateAt,
    momentumAt,
    observe: () => undefined,
    saveState: () => undefined,
    loadState: () => undefined,
  });
  if (spec === undefined) return stateless(() => base);
  switch (spec.type) {
    case 'step':
      return stateless(({ epoch }) => base * spec.gamma ** Math.floor(epoch / spec.stepEpochs));
    case 'exponential':
      return stateless(({ epoch }) => base * spec.gamma ** epoch);
    case 'cosine': {
      const warmup = warmupStepsOf(spec, context.stepsPerEpoch);
      const span = Math.max(1, context.totalSteps - warmup);
      const min = spec.minLearningRate;
      const f = spec.warmupStartFactor;
      return stateless(({ step }) => {
        if (step < warmup) return base * (f + ((1 - f) * step) / warmup);
        const t = Math.min(step - warmup, span);
        return min + ((base - min) * (1 + Math.cos((Math.PI * t) / span))) / 2;
      });
    }
    case 'oneCycle': {
      const initial = spec.maxLearningRate / spec.divFactor;
      const phases = oneCyclePhases(spec, context.totalSteps);
      return stateless(
        ({ step }) => phases(step, [initial, spec.maxLearningRate, initial / spec.finalDivFactor]),
        ({ step }) =>
          spec.cycleMomentum
            ? phases(step, [spec.maxMomentum, spec.baseMomentum, spec.maxMomentum])
            : undefined,
      );
    }
    case 'reduceOnPlateau':
      return plateauSchedule(spec, base);
  }
}

/**
 * OneCycleLR's two cos-annealed phases: `[start, middle, end]` go from start
 * to middle over steps 0..pct_start * total - 1, then to end at step total - 1.
 */
function oneCyclePhases(
  spec: Extract<ScheduleSpec, { type: 'oneCycle' }>,
  totalSteps: number,
): (step: number, values: readonly [number, number, number]) => number {
  const cos = (start: number, end: number, pct: number): number =>
    end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  const upEnd = spec.pctStart * totalSteps - 1;
  const downSpan = totalSteps - 1 - upEnd;
  return (step, [start, middle, end]) => {
    if (step <= upEnd) return cos(start, middle, upEnd > 0 ? step / upEnd : 1);
    return cos(middle, end, downSpan > 0 ? Math.min(1, (step - upEnd) / downSpan) : 1);
  };
}

function plateauSchedule(
  spec: Extract<ScheduleSpec, { type: 'reduceOnPlateau' }>,
  base: number,
): LearningRateSchedule {
  const worst = spec.mode === 'min' ? Infinity : -Infinity;
  let state: PlateauState = { learningRate: base, best: worst, badEpochs: 0, cooldown: 0 };
  // PyTorch's default threshold_mode 'rel'.
  const isBetter = (value: number, best: number): boolean =>
    spec.mode === 'min' ? value < best * (1 - spec.threshold) : value > best * (1 + spec.threshold);
  return {
    rateAt: () => state.learningRate,
    momentumAt: () => undefined,
    observe(metrics) {
      const value = metrics[spec.metric];
      if (value === undefined) return;
      let { learningRate, best, badEpochs, cooldown } = state;
      if (isBetter(value, best)) {
        best = value;
        badEpochs = 0;
      } else {
        badEpochs += 1;
      }
      if (cooldown > 0) {
        cooldown -= 1;
        badEpochs = 0;
      }
      if (badEpochs > spec.patience) {
        const reduced = Math.max(learningRate * spec.factor, spec.minLearningRate);
        // PyTorch's eps 1e-8: smaller changes are ignored.
        if (learningRate - reduced > 1e-8) learningRate = reduced;
        cooldown = spec.cooldown;
        badEpochs = 0;
      }
      state = { learningRate, best, badEpochs, cooldown };
    },
    saveState: () => state,
    loadState(saved) {
      if (saved !== undefined) state = saved;
    },
  };
}
