// @ts-check

/**
 * A metric value (loss, accuracy...) at a fixed width: four decimals,
 * `1234` from a thousand on, exponent notation below 0.001 or from a million.
 *
 * @example formatMetric(0.012345) // "0.0123"
 * @param {number | null | undefined} value
 * @returns {string} `—` when there is no value; `NaN`, `∞`, `-∞` as such
 */
export function formatMetric(value) {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return abs >= 1000 ? value.toFixed(0) : value.toFixed(4);
}

/**
 * A count (steps, parameters, points) with thousands separators: `12,345`.
 *
 * @param {number | null | undefined} value
 * @returns {string} `—` when there is no value
 */
export function formatCount(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.round(value).toLocaleString('en-US');
}

/**
 * A chart tick label: short, no trailing zeros (`0.25`, `1e-4`, `2000`).
 *
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function formatTick(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(0);
  return String(+value.toPrecision(6));
}
