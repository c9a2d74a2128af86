import { Sub } from '../../tf.js';
import { channelBroadcastKernel } from './channel-broadcast.js';

/** `Sub` with a fast path for per-channel vectors (batch-norm); see channelBroadcastKernel. */
export const subConfig = channelBroadcastKernel(Sub);
