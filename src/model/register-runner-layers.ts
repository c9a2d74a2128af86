import * as tf from '../tf.js';
import { ScaledElu } from './layers/elu-layer.js';

/**
 * Makes the runner's own tf layer classes known to tfjs's deserializer, so
 * `tf.loadLayersModel` can load a saved model that uses them (today: `elu`
 * with an alpha other than 1). Idempotent. Every other layer the registry
 * creates is a standard tfjs layer and loads without this.
 *
 * @example
 * registerRunnerLayers();
 * const model = await tf.loadLayersModel('file://runs/12/model/model.json');
 */
export function registerRunnerLayers(): void {
  tf.serialization.registerClass(ScaledElu);
}
