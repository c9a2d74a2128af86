// @ts-check

/**
 * A config value as it reads in a table: strings as written, numbers to six
 * significant digits without trailing zeros, other values as JSON.
 *
 * @example formatParam(0.0010000001) // "0.001"
 * @param {unknown} value a flattened config value (string, number, boolean, null)
 * @returns {string} `—` when the run has no such key
 */
export function formatParam(value) {
  if (value === undefined) return '—';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}
