// @ts-check

/**
 * A size in bytes for people, in powers of 1024 with at most 3 significant figures:
 * `512 B`, `47.1 MB`, `12.7 GB`.
 *
 * @param {number} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toPrecision(3).replace(/\.0+$/, '');
  return `${text} ${units[unit]}`;
}
