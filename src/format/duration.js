// @ts-check
// Plain JavaScript checked by tsc (JSDoc types, `npm run typecheck`): the same
// file runs in Node (the CLI imports it) and in the browser (the dashboard
// serves it as is), with no build step between an edit and a page reload.

/**
 * A span of time for people: `0.8s`, `42s`, `3m 07s`, `2h 05m`, `3d 04h`.
 * The value is rounded once, to the smallest unit shown, so 119.6 s is
 * `2m 00s`, never `1m 60s`. Negative spans read as zero.
 *
 * @example formatDuration(95_000) // "1m 35s"
 * @param {number | null | undefined} ms
 * @returns {string} `—` when the span is unknown
 */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const span = Math.max(0, ms);
  const tenths = Math.round(span / 100);
  if (tenths < 100) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(span / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad2(seconds % 60)}s`;
  const minutes = Math.round(span / 60_000);
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
  const hours = Math.round(span / 3_600_000);
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`;
}

/**
 * @param {number} n
 * @returns {string}
 */
export function pad2(n) {
  return String(n).padStart(2, '0');
}
