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
