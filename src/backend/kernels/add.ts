import { Add } from '../../tf.js';
import { channelBroadcastKernel } from './channel-broadcast.js';

/** `Add` with a fast path for per-channel vectors (batch-norm); see channelBroadcastKernel. */
export const addConfig = channelBroadcastKernel(Add);
