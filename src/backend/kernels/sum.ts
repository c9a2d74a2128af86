import { Sum } from '../../tf.js';
import { leadingAxesReduction } from './reduce-leading-axes.js';

/** `Sum` over leading axes as a GEMM with a ones vector; see leadingAxesReduction. */
export const sumConfig = leadingAxesReduction(Sum, false);
