import { Multiply } from '../../tf.js';
import { channelBroadcastKernel } from './channel-broadcast.js';

/** `Multiply` with a fast path for per-channel vectors (batch-norm); see channelBroadcastKernel. */
export const multiplyConfig = channelBroadcastKernel(Multiply);
