import type { ParamValue } from './types.js';

/**
 * Every leaf of a resolved config as `[dotted.path, value]`, in document order:
 * `{train: {optimizer: {learningRate: 0.001}}}` → `['train.optimizer.learningRate', 0.001]`;
 * array items are indexed (`model.layers[2].dense.units`). Empty arrays and objects
 * are kept as their JSON text so that "no layers" still differs from "one layer".
 *
 * @example flattenConfig({ seed: 1, data: { batchSize: 128 } }) // → [['seed', 1], ['data.batchSize', 128]]
 */
export function flattenConfig(config: unknown): Array<[string, ParamValue]> {
  const out: Array<[string, ParamValue]> = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0 && path) out.push([path, '[]']);
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && path) out.push([path, '{}']);
      for (const [key, item] of entries) walk(item, path ? `${path}.${key}` : key);
    } else if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
      // Not representable in JSON: not a config value.
    } else if (typeof value === 'bigint') {
      out.push([path, Number(value)]);
    } else {
      out.push([path, value as ParamValue]);
    }
  };
  walk(config, '');
  return out;
}
