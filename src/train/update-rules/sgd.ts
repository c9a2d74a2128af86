import * as tf from '../../tf.js';
import { SlotSet, type UpdateRule, type UpdateRuleState } from './update-rule.js';

export interface SgdSettings {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  /** L2 penalty added to the gradient (torch.optim.SGD weight_decay); 0: none. */
  readonly weightDecay: number;
}

/**
 * torch.optim.SGD, for each parameter p with gradient g:
 *
 *     g = g + wd * p                               (weight_decay > 0)
 *     b = g on the first step, else momentum * b + (1 - dampening) * g   (momentum > 0)
 *     g = g + momentum * b if nesterov, else b
 *     p = p - lr * g
 */
export function createSgd(settings: SgdSettings): UpdateRule {
  const { dampening, nesterov, weightDecay } = settings;
  const slots = new SlotSet(['momentum']);
  let steps = 0;
  return {
    apply(variables, gradients, learningRate, cycled) {
      steps += 1;
      const momentum = cycled ?? settings.momentum;
      tf.tidy(() => {
        variables.forEach((p, i) => {
          let g = gradients[i]!;
          if (weightDecay > 0) g = tf.add(g, tf.mul(p, weightDecay));
          if (momentum > 0) {
            const first = !slots.has('momentum', i);
            const b = slots.get('momentum', i, p);
            const b1 = first ? g : tf.add(tf.mul(b, momentum), tf.mul(g, 1 - dampening));
            b.assign(b1);
            g = nesterov ? tf.add(g, tf.mul(b1, momentum)) : b1;
          }
          p.assign(tf.sub(p, tf.mul(g, learningRate)));
        });
      });
    },
    saveState: (): UpdateRuleState => ({ steps, slots: slots.save() }),
    loadState(state) {
      steps = state.steps;
      slots.load(state.slots);
    },
    dispose: () => slots.dispose(),
  };
}
