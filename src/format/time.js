// @ts-check
import { pad2 } from './duration.js';

/**
 * A moment in local time: `2026-11-28 00:41`, or `2026-11-28 00:41:07` with seconds.
 *
 * @example formatTime(run.startedAt, true)
 * @param {number | null | undefined} ms epoch milliseconds
 * @param {boolean} [withSeconds]
 * @returns {string} `—` when the moment is unknown
 */
export function formatTime(ms, withSeconds = false) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}${withSeconds ? `:${pad2(d.getSeconds())}` : ''}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

/**
 * Seconds on a wall-time axis: 75 → `1:15`, 3700 → `1:01:40`, 2.5 → `2.5s`.
 *
 * @param {number | null | undefined} seconds
 * @returns {string} empty when unknown (an axis leaves the tick blank)
 */
export function formatClock(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const sign = seconds < 0 ? '−' : '';
  let s = Math.abs(seconds);
  if (s < 60 && s % 1 !== 0) return `${sign}${s.toFixed(1)}s`;
  s = Math.round(s);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = pad2(s % 60);
  return hours > 0 ? `${sign}${hours}:${pad2(minutes)}:${secs}` : `${sign}${minutes}:${secs}`;
}

/**
 * How long ago, coarsely: `just now`, `3 min ago`, `5 h ago`, `2 d ago`.
 *
 * @param {number} ms epoch milliseconds
 * @param {number} [now]
 * @returns {string}
 */
export function formatAgo(ms, now = Date.now()) {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
