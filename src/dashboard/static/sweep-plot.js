// @ts-check
// The sweep view's scatter: one varied hyperparameter (x) against the
// sweep's metric (y), a dot per trial, the best trial highlighted. SVG, so
// every dot is an element that can be hovered and clicked.
import { formatMetric, formatParam, formatTick } from '../../format/index.js';
import { h } from './dom.js';

/** @typedef {import('../api-types.js').ParamValue} ParamValue */
/** @typedef {import('../api-types.js').SweepTrial} SweepTrial */
/** @typedef {{ map: (v: number) => number, ticks: number[] }} LinearScale */
/**
 * Where a param value sits on the x axis; numeric scales take numbers, category scales any value.
 *
 * @typedef {{ map: (v: ParamValue | undefined) => number, ticks: { value: ParamValue, label: string }[], log: boolean }} XScale
 */

const W = 380;
const H = 250;
const M = { left: 56, right: 18, top: 16, bottom: 44 };

/**
 * @param {object} o
 * @param {string} o.param the varied key, e.g. "train.optimizer.learningRate"
 * @param {readonly SweepTrial[]} o.trials
 * @param {string} o.metric
 * @param {number|null} o.bestRunId
 * @param {(runId: number) => void} o.onSelect
 */
export function sweepScatter({ param, trials, metric, bestRunId, onSelect }) {
  /** @type {(SweepTrial & { best: number })[]} */
  const points = [];
  for (const t of trials)
    if (t.best !== null && Number.isFinite(t.best)) points.push({ ...t, best: t.best });
  const xScale = makeXScale(trials.map((t) => t.params[param]));
  const ys = points.map((t) => t.best);
  const yScale = linearScale(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, [
    H - M.bottom,
    M.top,
  ]);

  const svg = h('svg:svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'sweep-svg',
    role: 'img',
    'aria-label': `${metric} against ${param}`,
  });
  // Grid and y ticks.
  for (const t of yScale.ticks) {
    const y = yScale.map(t);
    svg.append(
      h('svg:line', { x1: M.left, x2: W - M.right, y1: y, y2: y, class: 'sweep-gridline' }),
      h(
        'svg:text',
        { x: M.left - 6, y: y + 4, class: 'sweep-tick', 'text-anchor': 'end' },
        formatTick(t),
      ),
    );
  }
  // X ticks.
  for (const t of xScale.ticks) {
    const x = xScale.map(t.value);
    svg.append(
      h('svg:line', { x1: x, x2: x, y1: H - M.bottom, y2: H - M.bottom + 4, class: 'sweep-axis' }),
      h(
        'svg:text',
        { x, y: H - M.bottom + 16, class: 'sweep-tick', 'text-anchor': 'middle' },
        t.label,
      ),
    );
  }
  svg.append(
    h('svg:line', {
      x1: M.left,
      x2: W - M.right,
      y1: H - M.bottom,
      y2: H - M.bottom,
      class: 'sweep-axis',
    }),
    h(
      'svg:text',
      { x: (M.left + W - M.right) / 2, y: H - 6, class: 'sweep-label', 'text-anchor': 'middle' },
      shortKey(param) + (xScale.log ? ' (log)' : ''),
    ),
    h(
      'svg:text',
      {
        x: 12,
        y: (M.top + H - M.bottom) / 2,
        class: 'sweep-label',
        'text-anchor': 'middle',
        transform: `rotate(-90 12 ${(M.top + H - M.bottom) / 2})`,
      },
      metric,
    ),
  );
  // Dots, the best one last so it is drawn on top.
  const isBestRun = (/** @type {SweepTrial} */ t) => (t.runId === bestRunId ? 1 : 0);
  const ordered = [...points].sort((a, b) => isBestRun(a) - isBestRun(b));
  for (const trial of ordered) {
    const x = xScale.map(trial.params[param]);
    const y = yScale.map(trial.best);
    const isBest = trial.runId === bestRunId;
    const tip = `#${trial.runId} ${trial.name}\n${param} = ${formatParam(trial.params[param])}\n${metric} = ${formatMetric(trial.best)} (${trial.status})`;
    const dot = h(
      'svg:g',
      {
        class: `sweep-dot${isBest ? ' best' : ''} status-${trial.status}`,
        tabindex: 0,
        role: 'button',
        'data-run-id': trial.runId,
        onclick: () => onSelect(trial.runId),
        onkeydown: (/** @type {KeyboardEvent} */ e) => {
          if (e.key === 'Enter' || e.key === ' ') onSelect(trial.runId);
        },
      },
      h('svg:title', {}, tip),
      isBest ? h('svg:circle', { cx: x, cy: y, r: 11, class: 'sweep-halo' }) : null,
      h('svg:circle', { cx: x, cy: y, r: isBest ? 7 : 5.5 }),
      isBest ? h('svg:text', { x: x + 12, y: y - 10, class: 'sweep-best-label' }, 'best') : null,
    );
    svg.append(dot);
  }
  return svg;
}

/**
 * Numbers: linear, or log when positive and spanning ≥ 2 decades; anything else: categories.
 *
 * @param {readonly (ParamValue | undefined)[]} values
 * @returns {XScale}
 */
function makeXScale(values) {
  /** @type {[number, number]} */
  const range = [M.left + 14, W - M.right - 14];
  /** @type {number[]} */
  const numeric = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) numeric.push(v);
  if (numeric.length === values.length && numeric.length > 0) {
    // Every value is a finite number here: `Number(v)` only narrows the type.
    const min = Math.min(...numeric);
    const max = Math.max(...numeric);
    if (min > 0 && max / min >= 100) {
      const lo = Math.floor(Math.log10(min));
      const hi = Math.ceil(Math.log10(max));
      /** @param {ParamValue | undefined} v */
      const map = (v) =>
        range[0] + ((Math.log10(Number(v)) - lo) / Math.max(1e-9, hi - lo)) * (range[1] - range[0]);
      const ticks = [];
      for (let e = lo; e <= hi; e++) ticks.push({ value: 10 ** e, label: formatTick(10 ** e) });
      return { map, ticks, log: true };
    }
    const s = linearScale(min, max, range);
    return {
      map: (v) => s.map(Number(v)),
      ticks: s.ticks.map((t) => ({ value: t, label: formatTick(t) })),
      log: false,
    };
  }
  const categories = [...new Set(values.map((v) => formatParam(v)))].sort();
  const step = (range[1] - range[0]) / Math.max(1, categories.length - 1);
  /** @param {ParamValue | undefined} v */
  const at = (v) =>
    categories.length === 1
      ? (range[0] + range[1]) / 2
      : range[0] + categories.indexOf(formatParam(v)) * step;
  return {
    map: at,
    ticks: categories.map((c) => ({ value: c, label: c.length > 12 ? `${c.slice(0, 11)}…` : c })),
    log: false,
  };
}

/**
 * @param {number} min
 * @param {number} max
 * @param {readonly [number, number]} range the pixel positions of min and max
 * @returns {LinearScale}
 */
function linearScale(min, max, [from, to]) {
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 1;
    min -= pad;
    max += pad;
  }
  const ticks = niceTicks(min, max, 5);
  const lo = Math.min(min, ticks[0] ?? min);
  const hi = Math.max(max, ticks[ticks.length - 1] ?? max);
  const pad = (hi - lo) * 0.08;
  /** @param {number} v */
  const map = (v) => from + ((v - (lo - pad)) / (hi - lo + 2 * pad)) * (to - from);
  return { map, ticks };
}

/**
 * About `count` round tick values between min and max (steps of 1, 2, 2.5 or 5 × 10^k).
 *
 * @param {number} min
 * @param {number} max
 * @param {number} count
 * @returns {number[]}
 */
function niceTicks(min, max, count) {
  const span = max - min;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(+t.toPrecision(12));
  return ticks.length ? ticks : [min, max];
}

/**
 * "train.optimizer.learningRate" → "optimizer.learningRate" when long.
 *
 * @param {string} key
 */
function shortKey(key) {
  return key.length > 34 ? key.split('.').slice(-2).join('.') : key;
}
