import { RealDiv } from '../../tf.js';
import { channelBroadcastKernel } from './channel-broadcast.js';

/** `RealDiv` with a fast path for per-channel vectors (batch-norm); see channelBroadcastKernel. */
export const realDivConfig = channelBroadcastKernel(RealDiv);
