import { flattenDocument } from '../config/index.js';
import type { ParamValue } from './types.js';

/**
 * Every leaf of a resolved config as `[path, value]` for the `params` table, in
 * document order, with the config stage's path notation (the one `--set`
 * accepts back): `train.optimizer.learningRate` → 0.001,
 * `model.layers[2].dense.units` → 120. Empty lists and mappings are kept as
 * their JSON text, so "no layers" still differs from "one layer".
 *
 * @example flattenConfig({ seed: 1, data: { batchSize: 128 } }) // → [['seed', 1], ['data.batchSize', 128]]
 */
export function flattenConfig(
  config: Readonly<Record<string, unknown>>,
): Array<[string, ParamValue]> {
  return flattenDocument(config).flatMap(([path, value]): Array<[string, ParamValue]> => {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return [];
    if (typeof value === 'bigint') return [[path, Number(value)]];
    if (value !== null && typeof value === 'object') return [[path, JSON.stringify(value)]];
    return [[path, value as ParamValue]];
  });
}
