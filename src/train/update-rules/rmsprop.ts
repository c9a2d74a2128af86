import * as tf from '../../tf.js';
import { SlotSet, type UpdateRule, type UpdateRuleState } from './update-rule.js';

export interface RmspropSettings {
  /** PyTorch's alpha: the decay of the squared-gradient average. */
  readonly alpha: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly weightDecay: number;
}

/**
 * torch.optim.RMSprop, for each parameter p with gradient g:
 *
 *     g = g + wd * p                               (weight_decay > 0)
 *     s = alpha * s + (1 - alpha) * g^2
 *     a = sqrt(s - ga^2) + eps, ga = alpha * ga + (1 - alpha) * g   (centered)
 *     a = sqrt(s) + eps                                             (otherwise)
 *     b = momentum * b + g / a; p = p - lr * b                      (momentum > 0)
 *     p = p - lr * g / a                                            (otherwise)
 *
 * Epsilon is added outside the square root, as PyTorch does (tfjs adds it inside).
 */
export function createRmsprop(settings: RmspropSettings): UpdateRule {
  const { alpha, epsilon, centered, weightDecay } = settings;
  const slots = new SlotSet(['square', 'momentum', 'gradAverage']);
  let steps = 0;
  return {
    apply(variables, gradients, learningRate, cycled) {
      steps += 1;
      const momentum = cycled ?? settings.momentum;
      tf.tidy(() => {
        variables.forEach((p, i) => {
          let g = gradients[i]!;
          if (weightDecay > 0) g = tf.add(g, tf.mul(p, weightDecay));
          const s = slots.get('square', i, p);
          const s1 = tf.add(tf.mul(s, alpha), tf.mul(tf.square(g), 1 - alpha));
          s.assign(s1);
          let average: tf.Tensor;
          if (centered) {
            const ga = slots.get('gradAverage', i, p);
            const ga1 = tf.add(tf.mul(ga, alpha), tf.mul(g, 1 - alpha));
            ga.assign(ga1);
            average = tf.add(tf.sqrt(tf.sub(s1, tf.square(ga1))), epsilon);
          } else {
            average = tf.add(tf.sqrt(s1), epsilon);
          }
          if (momentum > 0) {
            const b = slots.get('momentum', i, p);
            const b1 = tf.add(tf.mul(b, momentum), tf.div(g, average));
            b.assign(b1);
            p.assign(tf.sub(p, tf.mul(b1, learningRate)));
          } else {
            p.assign(tf.sub(p, tf.mul(tf.div(g, average), learningRate)));
          }
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
