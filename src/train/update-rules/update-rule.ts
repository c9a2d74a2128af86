import * as tf from '../../tf.js';

/**
 * One optimizer's update, with its whole state in plain sight so that a
 * checkpoint can save it and a resumed run continue bit for bit. tfjs's own
 * optimizers keep part of their state out of reach (Adam's running powers of
 * beta, recomputed with `pow` on `setWeights`, tfjs issue #5138), so runner
 * applies updates itself, with PyTorch's formulas (torch.optim).
 */
export interface UpdateRule {
  /**
   * One step: `gradients[i]` belongs to `variables[i]`; `learningRate` is
   * this step's (a schedule may change it every step). `momentum`, when a
   * schedule cycles it (oneCycle), replaces the configured one for this step:
   * sgd's and rmsprop's momentum, adam's beta1 (as PyTorch's OneCycleLR sets
   * `betas[0]`).
   */
  apply(
    variables: readonly tf.Variable[],
    gradients: readonly tf.Tensor[],
    learningRate: number,
    momentum?: number,
  ): void;
  /** Everything the rule remembers between steps: counters and slot tensors. */
  saveState(): UpdateRuleState;
  /** Takes over `state` (the rule owns the tensors from now on). */
  loadState(state: UpdateRuleState): void;
  dispose(): void;
}

/** The state of an update rule: the step count and named slots per variable (`m`, `v`, ...). */
export interface UpdateRuleState {
  readonly steps: number;
  /** slot name → one tensor per variable, in the order of the variables. */
  readonly slots: Readonly<Record<string, readonly tf.Tensor[]>>;
}

/** Slots created on first use, one zero tensor per variable, kept out of tidy(). */
export class SlotSet {
  readonly #names: readonly string[];
  #slots: Record<string, tf.Variable[]> = {};

  constructor(names: readonly string[]) {
    this.#names = names;
    for (const name of names) this.#slots[name] = [];
  }

  get(name: string, index: number, like: tf.Tensor): tf.Variable {
    const list = this.#slots[name]!;
    let slot = list[index];
    if (slot === undefined) {
      slot = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      list[index] = slot;
    }
    return slot;
  }

  /** Whether slot `name` of variable `index` has been written (PyTorch's "buffer is None"). */
  has(name: string, index: number): boolean {
    return this.#slots[name]![index] !== undefined;
  }

  save(): Record<string, tf.Tensor[]> {
    const out: Record<string, tf.Tensor[]> = {};
    for (const name of this.#names) out[name] = this.#slots[name]!.map((v) => tf.clone(v));
    return out;
  }

  load(slots: Readonly<Record<string, readonly tf.Tensor[]>>): void {
    this.dispose();
    for (const name of this.#names) {
      const tensors = slots[name] ?? [];
      this.#slots[name] = tensors.map((t) => {
        const v = tf.variable(t, false);
        t.dispose();
        return v;
      });
    }
  }

  dispose(): void {
    for (const name of this.#names) {
      for (const v of this.#slots[name]!) v.dispose();
      this.#slots[name] = [];
    }
  }
}
