import * as tf from '../tf.js';
import { quietTf } from './quiet-tf.js';

/**
 * Planning (shapes, parameter counts) runs no math worth a fast backend:
 * the always-available cpu backend does it, with tfjs kept quiet. For
 * commands that only plan (`runner validate`, `runner plan`); training
 * chooses its backend in backend/.
 */
export async function usePlanningBackend(): Promise<void> {
  quietTf();
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend did not initialise');
}

/**
 * Plans a model on the cpu backend whatever backend trains, then switches back: the plan's
 * weights (zeros, discarded) cost nothing there, where the wasm heap would fail on a model
 * too large for it before the memory check could say so.
 */
export async function planOnCpu<T>(plan: () => T): Promise<T> {
  const previous = tf.getBackend();
  if (previous === 'cpu') return plan();
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend did not initialise');
  try {
    return plan();
  } finally {
    await tf.setBackend(previous);
  }
}
