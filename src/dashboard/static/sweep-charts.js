// @ts-check
// The sweep page's charts beside the per-parameter scatters: parallel
// coordinates (brushable), best-so-far over trial order, parameter
// importance and the intermediate values per trial. SVG, so every line is an
// element a test (or a person) can point at.
import { formatMetric, formatParam, formatTick } from '../../format/index.js';
import { h } from './dom.js';

/** @typedef {import('../api-types.js').ParamValue} ParamValue */
/** @typedef {import('../api-types.js').SweepTrial} SweepTrial */
/** @typedef {{ map: (v: ParamValue | undefined) => number, ticks: { y: number, label: string }[], invert?: undefined }} AxisScale */

const W = 760;
const H = 280;
const M = { left: 40, right: 70, top: 28, bottom: 24 };

/**
 * One vertical axis per varied parameter and one for the metric; a line per
 * trial with a value. Drag along an axis to keep only the lines through that
 * range (several axes: all ranges); a click on an axis clears its range.
 *
 * @param {object} o
 * @param {readonly string[]} o.varied
 * @param {readonly SweepTrial[]} o.trials
 * @param {string} o.metric
 * @param {'minimize' | 'maximize'} o.goal
 * @param {(runId: number) => void} o.onSelect
 */
export function parallelCoordinates({ varied, trials, metric, goal, onSelect }) {
  const rows = trials.filter((t) => t.final !== null && Number.isFinite(t.final));
  const keys = [...varied, metric];
  /** @param {SweepTrial} t @param {string} key @returns {ParamValue | undefined} */
  const valueOf = (t, key) => (key === metric ? t.final : t.params[key]);
  const scales = keys.map((key) => axisScale(rows.map((t) => valueOf(t, key))));
  const xs = keys.map(
    (_, i) => M.left + ((W - M.left - M.right) * i) / Math.max(1, keys.length - 1),
  );
  const svg = h('svg:svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'sweep-svg pc-svg',
    role: 'img',
    'aria-label': `parallel coordinates of ${keys.join(', ')}`,
    'data-axes': keys.length,
  });
  const finals = rows.map((t) => /** @type {number} */ (t.final));
  const lo = Math.min(...finals);
  const hi = Math.max(...finals);
  /** @type {{ trial: SweepTrial, line: SVGElement }[]} */
  const lines = [];
  for (const t of rows) {
    const points = keys.map((key, i) => `${xs[i]},${scales[i]?.map(valueOf(t, key))}`).join(' ');
    // Good trials warm, bad ones cool, whatever the goal.
    const score = hi === lo ? 1 : ((t.final ?? lo) - lo) / (hi - lo);
    const good = goal === 'maximize' ? score : 1 - score;
    const line = h(
      'svg:polyline',
      {
        points,
        class: `pc-line status-${t.status}`,
        style: `stroke: hsl(${Math.round(220 - 200 * good)} 70% 45%)`,
        'data-run-id': t.runId,
        onclick: () => onSelect(t.runId),
      },
      h('svg:title', {}, `#${t.runId} ${t.name}: ${metric} ${formatMetric(t.final)}`),
    );
    lines.push({ trial: t, line });
    svg.append(line);
  }
  /** @type {(([number, number]) | null)[]} */
  const brushes = keys.map(() => null);
  const update = () => {
    let kept = 0;
    for (const { trial, line } of lines) {
      const inside = keys.every((key, i) => {
        const range = brushes[i];
        if (!range) return true;
        const y = scales[i]?.map(valueOf(trial, key)) ?? 0;
        return y >= range[0] && y <= range[1];
      });
      line.classList.toggle('dimmed', !inside);
      if (inside) kept++;
    }
    svg.setAttribute('data-kept', String(kept));
  };
  keys.forEach((key, i) => {
    const x = xs[i] ?? 0;
    const scale = scales[i];
    svg.append(
      h('svg:line', { x1: x, x2: x, y1: M.top, y2: H - M.bottom, class: 'sweep-axis' }),
      h(
        'svg:text',
        { x, y: M.top - 10, class: 'sweep-label', 'text-anchor': 'middle' },
        shortKey(key),
      ),
    );
    for (const tick of scale?.ticks ?? [])
      svg.append(h('svg:text', { x: x + 5, y: tick.y + 3, class: 'sweep-tick' }, tick.label));
    const band = h('svg:rect', { x: x - 6, y: M.top, width: 12, height: 0, class: 'pc-brush' });
    const area = h('svg:rect', {
      // A little past both ends, so a drag can start beyond the end values.
      x: x - 12,
      y: M.top - 8,
      width: 24,
      height: H - M.top - M.bottom + 16,
      class: 'pc-brush-area',
      'data-axis': key,
    });
    /** @param {PointerEvent} e */
    const toY = (e) => {
      // Through the screen transform: right however CSS sizes or letterboxes the SVG.
      const root = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg));
      const matrix = root.getScreenCTM();
      if (!matrix) return e.clientY;
      const point = new DOMPoint(e.clientX, e.clientY).matrixTransform(matrix.inverse());
      return point.y;
    };
    /** @type {number | null} */
    let start = null;
    area.addEventListener('pointerdown', (event) => {
      const e = /** @type {PointerEvent} */ (event);
      start = toY(e);
      area.setPointerCapture?.(e.pointerId);
    });
    area.addEventListener('pointermove', (event) => {
      if (start === null) return;
      const y = toY(/** @type {PointerEvent} */ (event));
      band.setAttribute('y', String(Math.min(start, y)));
      band.setAttribute('height', String(Math.abs(y - start)));
    });
    area.addEventListener('pointerup', (event) => {
      if (start === null) return;
      const y = toY(/** @type {PointerEvent} */ (event));
      brushes[i] = Math.abs(y - start) < 3 ? null : [Math.min(start, y), Math.max(start, y)];
      if (!brushes[i]) band.setAttribute('height', '0');
      start = null;
      update();
    });
    svg.append(band, area);
  });
  update();
  return svg;
}

/**
 * The metric of each trial in trial order, and the best so far as a step line.
 *
 * @param {object} o
 * @param {readonly SweepTrial[]} o.trials
 * @param {string} o.metric
 * @param {'minimize' | 'maximize'} o.goal
 */
export function bestSoFar({ trials, metric, goal }) {
  const rows = trials
    .filter((t) => t.trial !== null && t.final !== null && Number.isFinite(t.final))
    .sort((a, b) => (a.trial ?? 0) - (b.trial ?? 0));
  const values = rows.map((t) => /** @type {number} */ (t.final));
  /** @type {number[]} */
  const best = [];
  for (const v of values) {
    const previous = best[best.length - 1];
    best.push(
      previous === undefined
        ? v
        : goal === 'maximize'
          ? Math.max(previous, v)
          : Math.min(previous, v),
    );
  }
  const w = 380;
  const ht = 220;
  const m = { left: 52, right: 14, top: 14, bottom: 36 };
  const maxTrial = Math.max(1, ...rows.map((t) => t.trial ?? 1));
  const x = (/** @type {number} */ n) =>
    m.left + ((w - m.left - m.right) * (n - 1)) / Math.max(1, maxTrial - 1);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const y = (/** @type {number} */ v) =>
    ht - m.bottom - ((ht - m.top - m.bottom) * (v - lo)) / (hi - lo || 1);
  const svg = h('svg:svg', {
    viewBox: `0 0 ${w} ${ht}`,
    class: 'sweep-svg bsf-svg',
    role: 'img',
    'aria-label': `best ${metric} so far over trials`,
  });
  for (const v of [lo, (lo + hi) / 2, hi])
    svg.append(
      h('svg:line', { x1: m.left, x2: w - m.right, y1: y(v), y2: y(v), class: 'sweep-gridline' }),
      h(
        'svg:text',
        { x: m.left - 6, y: y(v) + 4, class: 'sweep-tick', 'text-anchor': 'end' },
        formatTick(v),
      ),
    );
  rows.forEach((t, i) =>
    svg.append(
      h(
        'svg:circle',
        {
          cx: x(t.trial ?? 1),
          cy: y(values[i] ?? lo),
          r: 3.5,
          class: `bsf-dot status-${t.status}`,
        },
        h('svg:title', {}, `trial ${t.trial}: ${formatMetric(t.final)}`),
      ),
    ),
  );
  const steps = rows.flatMap((t, i) => {
    const here = `${x(t.trial ?? 1)},${y(best[i] ?? lo)}`;
    const next = rows[i + 1];
    return next ? [here, `${x(next.trial ?? 1)},${y(best[i] ?? lo)}`] : [here];
  });
  svg.append(
    h('svg:polyline', {
      points: steps.join(' '),
      class: 'bsf-line',
      'data-values': JSON.stringify(best),
    }),
    h(
      'svg:text',
      { x: (m.left + w - m.right) / 2, y: ht - 6, class: 'sweep-label', 'text-anchor': 'middle' },
      'trial',
    ),
  );
  return svg;
}

/**
 * Horizontal bars, largest first.
 *
 * @param {object} o
 * @param {readonly { key: string, importance: number }[]} o.importance
 * @param {string} o.method
 */
export function importanceBars({ importance, method }) {
  if (importance.length === 0)
    return h('p', { class: 'muted small' }, 'Importance needs at least 4 completed trials.');
  return h(
    'div',
    { class: 'importance' },
    importance.map((entry) =>
      h(
        'div',
        { class: 'importance-row', dataset: { key: entry.key } },
        h('span', { class: 'importance-key' }, shortKey(entry.key)),
        h(
          'span',
          { class: 'importance-bar' },
          h('span', { style: `width: ${(entry.importance * 100).toFixed(1)}%` }),
        ),
        h('span', { class: 'num' }, `${(entry.importance * 100).toFixed(0)}%`),
      ),
    ),
    h('p', { class: 'muted small' }, method),
  );
}

/**
 * The metric at each epoch end, a line per trial; pruned trials end with a cross at the
 * epoch they were stopped.
 *
 * @param {object} o
 * @param {readonly SweepTrial[]} o.trials
 * @param {string} o.metric
 * @param {(runId: number) => void} o.onSelect
 */
export function intermediateValues({ trials, metric, onSelect }) {
  const w = 380;
  const ht = 220;
  const m = { left: 52, right: 14, top: 14, bottom: 36 };
  const all = trials.flatMap((t) => t.intermediate);
  const maxEpoch = Math.max(1, ...all.map((p) => p.epoch));
  const lo = all.length ? Math.min(...all.map((p) => p.value)) : 0;
  const hi = all.length ? Math.max(...all.map((p) => p.value)) : 1;
  const x = (/** @type {number} */ e) =>
    m.left + ((w - m.left - m.right) * (e - 1)) / Math.max(1, maxEpoch - 1);
  const y = (/** @type {number} */ v) =>
    ht - m.bottom - ((ht - m.top - m.bottom) * (v - lo)) / (hi - lo || 1);
  const svg = h('svg:svg', {
    viewBox: `0 0 ${w} ${ht}`,
    class: 'sweep-svg iv-svg',
    role: 'img',
    'aria-label': `${metric} at each epoch, per trial`,
  });
  for (const v of [lo, (lo + hi) / 2, hi])
    svg.append(
      h('svg:line', { x1: m.left, x2: w - m.right, y1: y(v), y2: y(v), class: 'sweep-gridline' }),
      h(
        'svg:text',
        { x: m.left - 6, y: y(v) + 4, class: 'sweep-tick', 'text-anchor': 'end' },
        formatTick(v),
      ),
    );
  for (const t of trials) {
    if (t.intermediate.length === 0) continue;
    const pruned = t.status === 'pruned';
    const last = t.intermediate[t.intermediate.length - 1];
    svg.append(
      h(
        'svg:g',
        {
          class: `iv-trial${pruned ? ' pruned' : ''}`,
          'data-run-id': t.runId,
          onclick: () => onSelect(t.runId),
        },
        h('svg:title', {}, `trial ${t.trial} (#${t.runId})${t.pruned ? `: ${t.pruned}` : ''}`),
        h('svg:polyline', {
          points: t.intermediate.map((p) => `${x(p.epoch)},${y(p.value)}`).join(' '),
          class: 'iv-line',
        }),
        pruned && last
          ? h(
              'svg:text',
              {
                x: x(last.epoch),
                y: y(last.value) + 4,
                class: 'iv-pruned',
                'text-anchor': 'middle',
              },
              '×',
            )
          : null,
      ),
    );
  }
  svg.append(
    h(
      'svg:text',
      { x: (m.left + w - m.right) / 2, y: ht - 6, class: 'sweep-label', 'text-anchor': 'middle' },
      'epoch',
    ),
  );
  return svg;
}

/**
 * Numbers top to bottom from high to low (log when positive and spanning two decades);
 * anything else as evenly spaced categories.
 *
 * @param {readonly (ParamValue | undefined)[]} values
 * @returns {AxisScale}
 */
function axisScale(values) {
  const top = M.top;
  const bottom = H - M.bottom;
  /** @type {number[]} */
  const numbers = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) numbers.push(v);
  if (numbers.length === values.length && numbers.length > 0) {
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const log = min > 0 && max / min >= 100;
    const f = (/** @type {number} */ v) => (log ? Math.log10(v) : v);
    const span = f(max) - f(min) || 1;
    const map = (/** @type {ParamValue | undefined} */ v) =>
      typeof v === 'number' ? bottom - ((bottom - top) * (f(v) - f(min))) / span : bottom;
    return {
      map,
      ticks: [min, max].map((v) => ({ y: map(v), label: formatParam(v) })),
    };
  }
  const categories = [...new Set(values.map((v) => formatParam(v ?? null)))].sort();
  const map = (/** @type {ParamValue | undefined} */ v) => {
    const i = categories.indexOf(formatParam(v ?? null));
    return categories.length === 1
      ? (top + bottom) / 2
      : bottom - ((bottom - top) * i) / (categories.length - 1);
  };
  return { map, ticks: categories.map((c) => ({ y: map(c), label: c })) };
}

/** `train.optimizer.learningRate` → `learningRate`. */
function shortKey(/** @type {string} */ key) {
  const parts = key.split('.');
  return parts[parts.length - 1] ?? key;
}
