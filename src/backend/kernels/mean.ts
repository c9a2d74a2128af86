import { Mean } from '../../tf.js';
import { leadingAxesReduction } from './reduce-leading-axes.js';

/** `Mean` over leading axes as a GEMM with a 1/M vector; see leadingAxesReduction. */
export const meanConfig = leadingAxesReduction(Mean, true);
