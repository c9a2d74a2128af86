// @ts-check
/* global uPlot */
// Overlaid metric charts (uPlot, served locally), smoothing, PNG export.
import { formatClock, formatCount, formatMetric, formatTick } from '../../format/index.js';
import { download, h } from './dom.js';

/** @typedef {import('../api-types.js').CurveColumns} CurveColumns */
/** @typedef {import('../api-types.js').RunListItem} RunListItem */
/** @typedef {'step' | 'epoch' | 'time'} XMode what the x axis shows */
/** @typedef {(number | null)[]} Values a curve's values; null is a gap (NaN, or no point there) */

/**
 * One run's curve on a chart.
 *
 * @typedef {object} ChartSeries
 * @property {number} runId
 * @property {string} label
 * @property {string} color
 * @property {number[]} x
 * @property {Values} y
 * @property {number} total
 * @property {number[]} [dash] a dashed line (test and val curves beside train on one chart)
 */

/**
 * What a chart draws.
 *
 * @typedef {object} ChartModel
 * @property {ChartSeries[]} series
 * @property {number} smoothing 0 (raw) to 0.99
 * @property {boolean} log
 * @property {XMode} xMode
 * @property {readonly [number, number] | null} xRange the x range of every chart of the view
 *   (so the shared cursor sits at one step on all of them); null: this chart's own
 */

/** One colour per run, in selection order: distinct hues that read on white. */
export const PALETTE = /** @type {const} */ ([
  '#2563eb',
  '#dc2626',
  '#059669',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#4f46e5',
  '#b45309',
]);

/**
 * The chart's colours from the page's theme (CSS variables of app.css, dark under
 * `prefers-color-scheme: dark`): canvases cannot read CSS, so they are read when a chart is built.
 */
export function chartTheme() {
  const css = getComputedStyle(document.documentElement);
  /** @param {string} name @param {string} fallback */
  const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    axis: read('--chart-axis', '#64748b'),
    grid: read('--chart-grid', '#e8edf3'),
    background: read('--panel', '#ffffff'),
    text: read('--text', '#0f172a'),
    text2: read('--text-2', '#334155'),
  };
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the
 * first points are not pulled towards zero. Nulls (NaN) stay gaps.
 */
/**
 * @param {Values} values
 * @param {number} weight
 * @returns {Values}
 */
export function smoothEma(values, weight) {
  if (!(weight > 0)) return values.slice();
  /** @type {Values} */
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    out[i] = last / (1 - Math.pow(weight, count));
  }
  return out;
}

/**
 * The x of each point for the chosen axis: the step; the epoch as a fraction
 * (step / steps per epoch, so steps spread across their epoch); or wall time
 * in seconds since the run started.
 *
 * @param {CurveColumns} curve
 * @param {XMode} mode
 * @param {{ stepsPerEpoch?: number | undefined, startedAt?: number | undefined }} run
 * @returns {number[]}
 */
export function xValues(curve, mode, run) {
  if (mode === 'epoch') {
    const spe = run.stepsPerEpoch;
    return spe ? curve.step.map((s) => s / spe) : curve.epoch.slice();
  }
  if (mode === 'time') {
    const t0 = run.startedAt ?? curve.time[0] ?? 0;
    return curve.time.map((t) => (t - t0) / 1000);
  }
  return curve.step.slice();
}

/**
 * Aligns series with different x values on one sorted x array (what uPlot
 * draws); a series has null where it has no point, and lines span the gaps
 * (the legend shows the nearest point there, see `cursor.hover`).
 * Equal x within one series: the last point wins.
 *
 * @param {readonly { x: readonly number[], ys: readonly Values[] }[]} list
 * @returns {[number[], ...Values[]]} the x array, then one column per entry of each `ys`
 */
export function alignSeries(list) {
  /** @type {Set<number>} */
  const xs = new Set();
  for (const s of list) for (const x of s.x) if (Number.isFinite(x)) xs.add(x);
  const xAxis = Float64Array.from(xs).sort();
  /** @type {Map<number, number>} */
  const index = new Map();
  xAxis.forEach((x, i) => index.set(x, i));
  /** @type {[number[], ...Values[]]} */
  const data = [Array.from(xAxis)];
  for (const s of list) {
    for (const ys of s.ys) {
      /** @type {Values} */
      const column = new Array(xAxis.length).fill(null);
      for (let j = 0; j < s.x.length; j++) {
        const i = index.get(/** @type {number} */ (s.x[j]));
        if (i !== undefined) column[i] = ys[j] ?? null;
      }
      data.push(column);
    }
  }
  return data;
}

/** @type {Record<XMode, string>} */
const X_LABELS = { step: 'step', epoch: 'epoch', time: 'wall time' };

/**
 * The smallest and largest x of these series, or null when they have none:
 * the x range shared by every chart of a view.
 *
 * @param {Iterable<{ x: readonly number[] }>} series
 * @returns {[number, number] | null}
 */
export function xExtent(series) {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    for (const x of s.x) {
      if (!Number.isFinite(x)) continue;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return min <= max ? [min, max] : null;
}

/**
 * Whether every series holds one value only, at two points or more each:
 * such a chart (a fixed learning rate) is folded into a line of text.
 *
 * @param {readonly { y: Values }[]} series
 * @returns {Map<number, number> | null} the value of each series by index, or null when one varies
 */
export function constantValues(series) {
  if (series.length === 0) return null;
  /** @type {Map<number, number>} */
  const values = new Map();
  for (const [i, s] of series.entries()) {
    const finite = s.y.filter((v) => typeof v === 'number' && Number.isFinite(v));
    if (finite.length < 2 || finite.length !== s.y.length) return null;
    const first = /** @type {number} */ (finite[0]);
    if (finite.some((v) => v !== first)) return null;
    values.set(i, first);
  }
  return values;
}

/**
 * Curves with fewer points than this (one evaluation per epoch) are drawn
 * unsmoothed: an average over three epochs would only lag behind them.
 */
const MIN_POINTS_TO_SMOOTH = 30;

/**
 * One chart card: a metric key, its runs overlaid. `update(model)` redraws
 * with new data, rebuilding the uPlot only when the series or options change.
 * The card's data-points / data-runs attributes say what is drawn (the
 * browser test reads them); data-draw-ms is the time of the last draw.
 */
export class ChartPanel {
  /**
   * @param {string} key the metric key
   * @param {{ title?: string, onCsv: (key: string) => void }} options
   */
  constructor(key, { title, onCsv }) {
    this.key = key;
    this.title = title ?? key;
    /** @type {readonly [number, number] | null} */
    this.xRange = null;
    /** @type {uPlot | null} */
    this.plot = null;
    this.signature = '';
    /** @type {ChartSeries[]} */
    this.series = [];
    /** @type {number | undefined} when the last draw started (performance.now()) */
    this.drawStarted = undefined;
    this.body = h('div', { class: 'chart-body' });
    this.emptyNote = h('div', { class: 'chart-empty' }, 'No points yet');
    this.el = h(
      'section',
      { class: 'chart-card', dataset: { key, points: '0', runs: '0' } },
      h(
        'header',
        { class: 'chart-head' },
        h('h3', {}, this.title),
        h(
          'div',
          { class: 'chart-actions' },
          h(
            'button',
            {
              class: 'btn-ghost',
              title: 'Download this chart as a PNG image',
              onclick: () => this.exportPng(),
            },
            'PNG',
          ),
          h(
            'button',
            {
              class: 'btn-ghost',
              title: 'Download the full-resolution data as CSV',
              onclick: () => onCsv(key),
            },
            'CSV',
          ),
        ),
      ),
      this.body,
    );
    this.body.append(this.emptyNote);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.body);
  }

  /** @param {ChartModel} model */
  update(model) {
    const series = model.series.filter((s) => s.y.length > 0);
    this.series = series;
    this.el.dataset.points = String(series.reduce((n, s) => n + s.y.length, 0));
    this.el.dataset.runs = String(series.length);
    this.el.dataset.runIds = series.map((s) => s.runId).join(',');
    if (series.length === 0) {
      this.destroyPlot();
      this.emptyNote.hidden = false;
      return;
    }
    this.emptyNote.hidden = true;
    this.xRange = model.xRange;
    const smoothing = model.smoothing;
    const smoothed = smoothing > 0;
    /** @param {Values} ys */
    const positive = (ys) => (model.log ? ys.map((v) => (v !== null && v > 0 ? v : null)) : ys);
    const data = alignSeries(
      series.map((s) => {
        const ys = positive(s.y);
        if (!smoothed) return { x: s.x, ys: [ys] };
        return {
          x: s.x,
          ys: [ys, ys.length >= MIN_POINTS_TO_SMOOTH ? smoothEma(ys, smoothing) : ys],
        };
      }),
    );
    const signature = JSON.stringify([
      series.map((s) => [s.runId, s.label, s.color, s.dash]),
      smoothed,
      model.log,
      model.xMode,
      chartTheme(),
    ]);
    const started = performance.now();
    this.drawStarted = started;
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.signature = signature;
    this.destroyPlot();
    this.plot = new uPlot(this.options(series, model), data, this.body);
  }

  /**
   * @param {ChartSeries[]} series
   * @param {ChartModel} model
   * @returns {uPlot.Options}
   */
  options(series, model) {
    const smoothed = model.smoothing > 0;
    const theme = chartTheme();
    const xFormat = model.xMode === 'time' ? formatClock : formatAxisValue;
    /**
     * A series' value under the cursor: its own point there, or its nearest one (uPlot's
     * hover scan, below), said with the x it sits at.
     *
     * @type {uPlot.Series.Value}
     */
    const legendValue = (u, v, seriesIdx, idx) => {
      if (idx === null || v === null) return '—';
      const x = u.data[0][idx];
      const atCursor = u.cursor.idx === null || u.cursor.idx === undefined || idx === u.cursor.idx;
      return atCursor || x === undefined
        ? formatMetric(v)
        : `${formatMetric(v)} (at ${X_LABELS[model.xMode]} ${xFormat(x)})`;
    };
    /** @type {uPlot.Series[]} */
    const uSeries = [
      { label: X_LABELS[model.xMode], value: (u, v) => (v === null ? '—' : xFormat(v)) },
    ];
    for (const s of series) {
      /** @type {uPlot.Series} */
      const common = {
        label: s.label,
        spanGaps: true,
        value: legendValue,
        ...(s.dash ? { dash: s.dash } : {}),
      };
      if (smoothed) {
        uSeries.push({
          ...common,
          class: 'raw',
          stroke: fade(s.color, 0.28),
          width: 1,
          points: { show: false },
        });
        uSeries.push({ ...common, stroke: s.color, width: 2 });
      } else {
        uSeries.push({ ...common, stroke: s.color, width: 1.5 });
      }
    }
    const width = Math.max(280, this.body.clientWidth);
    // uPlot's own filters stay unless replaced: only a log scale gets ours.
    const logFilter = model.log ? { filter: logTickFilter } : {};
    return {
      width,
      height: 250,
      series: uSeries,
      scales: {
        // The view's x range, not this chart's own: train/loss and test/loss span the same steps.
        x: { time: false, range: (u, min, max) => sharedRange(this.xRange, min, max) },
        y: model.log ? { distr: 3, log: 10 } : {},
      },
      axes: [
        {
          label: X_LABELS[model.xMode],
          labelSize: 18,
          labelFont: '12px system-ui, sans-serif',
          font: '11px system-ui, sans-serif',
          stroke: theme.axis,
          grid: { stroke: theme.grid, width: 1 },
          ticks: { stroke: theme.grid, width: 1 },
          values: (u, ticks) =>
            ticks.map((t) => (model.xMode === 'time' ? formatClock(t) : formatTick(t))),
        },
        {
          font: '11px system-ui, sans-serif',
          stroke: theme.axis,
          size: yAxisSize,
          // On a log scale, grid lines and labels at 1, 2, 5 × 10^k only (or decades when the range is wide).
          ...logFilter,
          grid: { stroke: theme.grid, width: 1, ...logFilter },
          ticks: { stroke: theme.grid, width: 1, ...logFilter },
          values: (u, ticks) => ticks.map(formatTick),
        },
      ],
      cursor: {
        sync: { key: `runner-${model.xMode}` },
        drag: { x: true, y: false },
        points: { size: 7 },
        // Where a run has no point at the cursor's x (other steps, or evaluations only per
        // epoch), the legend and the dot take its nearest point, by distance on the x axis.
        hover: { skip: [null, undefined], prox: 1e9 },
      },
      legend: { live: true },
      hooks: {
        draw: [
          (u) => {
            if (this.drawStarted !== undefined)
              this.el.dataset.drawMs = (performance.now() - this.drawStarted).toFixed(1);
            this.el.dataset.xRange = `${u.scales.x?.min},${u.scales.x?.max}`;
          },
        ],
      },
    };
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(280, this.body.clientWidth);
    if (Math.abs(width - this.plot.width) > 1) this.plot.setSize({ width, height: 250 });
  }

  destroyPlot() {
    if (!this.plot) return;
    this.plot.destroy();
    this.plot = null;
    this.signature = '';
  }

  destroy() {
    this.resizeObserver.disconnect();
    this.destroyPlot();
    this.el.remove();
  }

  /** The chart as a PNG: title, the plot's canvas and a legend, on the theme's background. */
  exportPng() {
    if (!this.plot) return;
    const src = this.plot.ctx.canvas;
    const ratio = src.width / this.plot.width;
    const pad = 16 * ratio;
    const titleH = 28 * ratio;
    const rowH = 20 * ratio;
    const legendRows = Math.ceil(this.series.length / 3);
    const out = document.createElement('canvas');
    out.width = src.width + 2 * pad;
    out.height = src.height + titleH + legendRows * rowH + 2 * pad;
    const ctx = out.getContext('2d');
    if (!ctx) return;
    const theme = chartTheme();
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = theme.text;
    ctx.font = `600 ${15 * ratio}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(this.title, pad, pad + titleH / 2);
    ctx.drawImage(src, pad, pad + titleH);
    ctx.font = `${12 * ratio}px system-ui, sans-serif`;
    const colW = src.width / 3;
    this.series.forEach((s, i) => {
      const x = pad + (i % 3) * colW;
      const y = pad + titleH + src.height + Math.floor(i / 3) * rowH + rowH / 2;
      ctx.fillStyle = s.color;
      ctx.fillRect(x, y - 2 * ratio, 14 * ratio, 4 * ratio);
      ctx.fillStyle = theme.text2;
      ctx.fillText(s.label, x + 20 * ratio, y, colW - 24 * ratio);
    });
    download(`runner-${this.key.replace(/[^A-Za-z0-9]+/g, '-')}.png`, out.toDataURL('image/png'));
  }
}

/**
 * Room for the longest y tick label, so "0.0015" is not clipped.
 *
 * @param {uPlot} u
 * @param {readonly (string | null)[] | null} values the tick labels (none before the first draw)
 */
function yAxisSize(u, values) {
  const longest = Math.max(3, ...(values ?? []).map((v) => (v ?? '').length));
  return Math.ceil(22 + longest * 6.8);
}

/** @type {uPlot.Axis.Filter} */
function logTickFilter(u, splits) {
  const finite = splits.filter((v) => v > 0);
  const decades = finite.length ? Math.log10(Math.max(...finite) / Math.min(...finite)) : 0;
  return splits.map((v) => {
    const mantissa = +(v / 10 ** Math.floor(Math.log10(v) + 1e-9)).toPrecision(3);
    return mantissa === 1 || (decades < 3 && (mantissa === 2 || mantissa === 5)) ? v : null;
  });
}

/**
 * The shared x range, or the chart's own (min, max from its data) while there is none; a single
 * x is widened so uPlot has a range to draw.
 *
 * @param {readonly [number, number] | null} shared
 * @param {number} min
 * @param {number} max
 * @returns {[number, number]}
 */
function sharedRange(shared, min, max) {
  const [lo, hi] = shared ?? [min, max];
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/**
 * @param {string} hex `#rrggbb`
 * @param {number} alpha
 */
function fade(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * A run's label in legends: "#12 lenet".
 *
 * @param {{ id: number, name: string }} run
 */
export function runLabel(run) {
  return `#${run.id} ${run.name}`;
}

/**
 * A step (a whole number) or an epoch position (a fraction) under the cursor.
 *
 * @param {number} v
 */
function formatAxisValue(v) {
  return Number.isInteger(v) ? formatCount(v) : formatMetric(v);
}
