// Small DOM and formatting helpers. Text always goes in as text nodes, never
// as HTML, so run names and config values cannot inject markup.

/**
 * h('div', { class: 'x', onclick: fn }, 'text', child) → an element.
 * Attributes starting with "on" become listeners; `dataset` sets data-*.
 */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function')
      el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'class' && !svg) el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the element's content; null, undefined and false children are skipped. */
export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** 0.0123 → "0.01230", 12345 → "12,345", 1.2e-5 → "1.20e-5", null → "—". */
export function formatNumber(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2).replace('e-', 'e−');
  return value.toPrecision(digits).replace(/(\.\d*?[1-9])0+$|\.0+$/, '$1');
}

/** A tick label: short, no trailing zeros. */
export function formatTick(value) {
  if (value === null || value === undefined) return '';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(0).replace('e-', 'e−');
  return String(+value.toPrecision(6));
}

/** 3723000 ms → "1h 02m", 95000 → "1m 35s", 4200 → "4.2s". */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
  const hours = Math.floor(m / 60);
  return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Seconds on a wall-time axis: 75 → "1:15", 3700 → "1:01:40". */
export function formatClock(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const sign = seconds < 0 ? '−' : '';
  let s = Math.abs(seconds);
  if (s < 60 && s % 1 !== 0) return `${sign}${s.toFixed(1)}s`;
  s = Math.round(s);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, '0');
  return hours > 0
    ? `${sign}${hours}:${String(minutes).padStart(2, '0')}:${secs}`
    : `${sign}${minutes}:${secs}`;
}

/** Epoch ms → "2026-11-28 14:03:12" in local time. */
export function formatDate(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "just now". */
export function formatAgo(ms, now = Date.now()) {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A config value as text: strings as is, the rest as JSON. */
export function formatParam(value) {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Triggers a download of a Blob or a data URL. */
export function download(filename, href) {
  const url = href instanceof Blob ? URL.createObjectURL(href) : href;
  const a = h('a', { href: url, download: filename, style: 'display:none' });
  document.body.append(a);
  a.click();
  a.remove();
  if (href instanceof Blob) setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
