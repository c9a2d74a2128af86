// @ts-check
// The dashboard page: the runs list, the curves of the selected runs (live),
// and the router between views. State lives here; views render from it.
import { api, LiveStream } from './api.js';
import { ChartBoard } from './chart-board.js';
import { dashOf, panelSpecs } from './chart-layout.js';
import { PALETTE, runLabel, xValues } from './charts.js';
import { formatDuration, formatMetric, formatParam } from '../../format/index.js';
import { clear, h, mount } from './dom.js';
import {
  renderCompare,
  renderEmptyStore,
  renderError,
  renderRunPage,
  renderSweep,
  renderSweepList,
  statusBadge,
} from './views.js';

/** @typedef {import('../api-types.js').CurveData} CurveData */
/** @typedef {import('../api-types.js').RunListItem} RunListItem */
/** @typedef {import('../api-types.js').RunListResponse} RunListResponse */
/** @typedef {import('../api-types.js').StatusResponse} StatusResponse */
/** @typedef {import('../api-types.js').StreamCursor} StreamCursor */
/** @typedef {import('../api-types.js').StreamEvents} StreamEvents */
/** @typedef {import('./charts.js').ChartSeries} ChartSeries */
/** @typedef {import('./chart-layout.js').PanelSpec} PanelSpec */
/** @typedef {import('./charts.js').XMode} XMode */
/** @typedef {import('./views.js').ViewContext} ViewContext */
/**
 * The view shown in `main`, from the path.
 *
 * @typedef {{ name: 'curves' } | { name: 'run', id: number } | { name: 'sweeps' } | { name: 'sweep', id: number } | { name: 'compare' }} View
 */

/** Points per curve asked of the server: about the width of a chart in pixels. */
const MAX_POINTS = 1500;
/** Live points are appended; past this many, the curve is fetched again, downsampled. */
const REFETCH_ABOVE = 4 * MAX_POINTS;
const MAIN_KEYS = ['train/loss', 'test/loss', 'train/accuracy', 'test/accuracy'];
const VAL_KEYS = ['val/loss', 'val/accuracy'];

/**
 * An element of index.html (it has them all; a missing one is a bug of the page).
 *
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} id
 * @param {new () => E} [type] the element's class, when its own properties are used
 * @returns {E}
 */
function $(id, type) {
  const el = document.getElementById(id);
  if (!el || !(el instanceof (type ?? HTMLElement))) throw new Error(`the page has no #${id}`);
  return /** @type {E} */ (el);
}

/**
 * @param {string} key
 * @param {string} fallback
 */
const stored = (key, fallback) => localStorage.getItem(`runner.${key}`) ?? fallback;

/** @param {string} text */
const xModeOf = (text) =>
  /** @type {XMode} */ (text === 'epoch' || text === 'time' ? text : 'step');

const state = {
  /** @type {StatusResponse} */
  status: { version: '', storeReady: true, storePath: null, storeProblem: null, editable: false },
  /** @type {readonly RunListItem[]} */
  runs: [],
  /** @type {Map<number, RunListItem>} */
  runsById: new Map(),
  total: 0,
  filters: { name: '', status: '', sweep: '', tag: '' },
  /** @type {RunListResponse['varied']} the config keys that tell the listed runs apart */
  varied: [],
  /** @type {RunListResponse['params']} per run id, its values of those keys */
  params: {},
  /** @type {number[]} Selected run ids, in the order they were picked (their colours follow it). */
  selected: [],
  /**
   * True until the user picks runs (or opens a URL naming them): meanwhile the
   * page plots the newest run and follows a newer one when it starts.
   */
  autoFollow: true,
  /** @type {Map<number, string>} */
  colors: new Map(),
  /** @type {Map<number, Map<string, CurveData>>} runId → key → its points */
  curves: new Map(),
  /** @type {Map<number, Set<string>>} runId → the metric keys asked of the server */
  requested: new Map(),
  /** @type {Map<number, number>} */
  stepsPerEpoch: new Map(),
  smoothing: Number(stored('smoothing', '0.6')),
  xMode: xModeOf(stored('xMode', 'step')),
  logLoss: stored('logLoss', 'false') === 'true',
  /** Train, test and val of one metric on one chart. */
  combineSplits: stored('combineSplits', 'false') === 'true',
  /** @type {View} */
  view: { name: 'curves' },
  /** @type {ChartBoard | null} the curves view's charts */
  board: null,
};

const live = new LiveStream({
  points: onPoints,
  run: onRunChanged,
  runs: () => scheduleRunsRefresh(),
  connection: (connected) => {
    const el = $('live-indicator');
    el.dataset.state = connected ? 'live' : 'offline';
    const label = el.querySelector('.label');
    if (label) label.textContent = connected ? 'live' : 'reconnecting';
  },
});

// ---------------------------------------------------------------- selection

/**
 * @param {readonly number[]} ids
 * @param {{ auto?: boolean }} [options] auto: the page chose (following the newest run), not the user
 */
function selectRuns(ids, { auto = false } = {}) {
  const unique = [...new Set(ids)].filter((id) => Number.isInteger(id) && id > 0);
  state.selected = unique;
  if (!auto) state.autoFollow = false;
  for (const id of [...state.colors.keys()]) if (!unique.includes(id)) state.colors.delete(id);
  for (const id of unique) {
    if (state.colors.has(id)) continue;
    const used = new Set(state.colors.values());
    state.colors.set(
      id,
      PALETTE.find((c) => !used.has(c)) ?? PALETTE[state.colors.size % PALETTE.length] ?? '#000',
    );
  }
  for (const id of [...state.curves.keys()]) if (!unique.includes(id)) state.curves.delete(id);
  for (const id of [...state.requested.keys()])
    if (!unique.includes(id)) state.requested.delete(id);
  history.replaceState(null, '', urlFor(location.pathname));
  renderRunList();
  void loadCurves(unique.filter((id) => !state.curves.has(id)));
}

/** @param {number} id */
function toggleRun(id) {
  selectRuns(
    state.selected.includes(id) ? state.selected.filter((x) => x !== id) : [...state.selected, id],
  );
  if (state.view.name === 'curves') renderCurvesView();
  else if (state.view.name === 'compare') void route();
}

const colorOf = (/** @type {number} */ id) => state.colors.get(id);

/** The metric keys charted for the selection: the main four, val/* when recorded, then any others. */
function chartKeys() {
  /** @type {Set<string>} */
  const keys = new Set();
  for (const id of state.selected) {
    for (const key of Object.keys(state.runsById.get(id)?.metrics ?? {})) keys.add(key);
    for (const key of state.curves.get(id)?.keys() ?? []) keys.add(key);
  }
  const extra = [...keys].filter((k) => !MAIN_KEYS.includes(k) && !VAL_KEYS.includes(k)).sort();
  return [...MAIN_KEYS, ...VAL_KEYS.filter((k) => keys.has(k)), ...extra];
}

// ---------------------------------------------------------------- data

/**
 * Fetches these runs' curves (downsampled) and merges them into what the page holds.
 *
 * @param {readonly number[]} ids
 * @param {readonly string[]} [keys] default: the charted keys
 */
async function loadCurves(ids, keys = chartKeys()) {
  if (ids.length > 0) {
    for (const id of ids) {
      const asked = state.requested.get(id) ?? new Set();
      for (const key of keys) asked.add(key);
      state.requested.set(id, asked);
    }
    try {
      const result = await api.curves(ids, keys, MAX_POINTS);
      for (const id of ids)
        if (state.selected.includes(id) && !state.curves.has(id)) state.curves.set(id, new Map());
      for (const curve of result.curves) state.curves.get(curve.runId)?.set(curve.key, curve);
      for (const [id, spe] of Object.entries(result.stepsPerEpoch))
        if (spe) state.stepsPerEpoch.set(Number(id), spe);
    } catch (error) {
      showToast(`Could not load curves: ${messageOf(error)}`);
    }
  }
  watch();
  scheduleDraw();
  loadMissingCurves();
}

/**
 * Runs picked before the run list arrived (a URL naming them) were fetched with the main keys
 * only: once their metric keys are known, the others (train/learning_rate, perf/...) follow.
 */
function loadMissingCurves() {
  for (const id of state.selected) {
    const run = state.runsById.get(id);
    if (!run || !state.curves.has(id)) continue;
    const asked = state.requested.get(id);
    const missing = Object.keys(run.metrics).filter((key) => !asked?.has(key));
    if (missing.length > 0) void loadCurves([id], missing);
  }
}

/** (Re)opens the event stream for the selected runs from where their curves end. */
function watch() {
  /** @type {StreamCursor} */
  const cursor = {};
  for (const id of state.selected) {
    /** @type {Record<string, number>} */
    const steps = (cursor[id] = {});
    for (const [key, curve] of state.curves.get(id) ?? []) {
      const last = curve.step[curve.step.length - 1];
      if (last !== undefined) steps[key] = last;
    }
  }
  const loaded = state.selected.filter((id) => state.curves.has(id));
  /** @type {Record<number, string>} the state shown of each, so a change missed since is sent */
  const shown = {};
  for (const id of loaded) {
    const status = state.runsById.get(id)?.status;
    if (status !== undefined) shown[id] = status;
  }
  live.watch(loaded, chartKeys(), cursor, shown);
}

/** @param {StreamEvents['points']} data */
function onPoints(data) {
  const curves = state.curves.get(data.runId);
  if (!curves) return;
  let curve = curves.get(data.key);
  if (!curve) {
    curve = {
      runId: data.runId,
      key: data.key,
      total: 0,
      step: [],
      epoch: [],
      time: [],
      value: [],
    };
    curves.set(data.key, curve);
  }
  const last = curve.step[curve.step.length - 1] ?? -Infinity;
  data.step.forEach((step, i) => {
    if (step <= last) return;
    curve.step.push(step);
    curve.epoch.push(data.epoch[i] ?? 0);
    curve.time.push(data.time[i] ?? 0);
    curve.value.push(data.value[i] ?? null);
  });
  curve.total += data.total;
  if (data.key === 'train/loss' && !state.stepsPerEpoch.has(data.runId))
    learnStepsPerEpoch(data.runId, curve);
  if (curve.step.length > REFETCH_ABOVE) {
    state.curves.delete(data.runId);
    void loadCurves([data.runId]);
    return;
  }
  scheduleDraw();
}

/** Once a run's second epoch starts, the last step of its first is the epoch length. */
/**
 * @param {number} runId
 * @param {CurveData} curve
 */
function learnStepsPerEpoch(runId, curve) {
  const first = curve.epoch[0];
  const i = curve.epoch.findIndex((e) => e !== first);
  const lastOfFirst = curve.step[i - 1];
  const start = curve.step[0];
  if (i > 0 && lastOfFirst !== undefined && start !== undefined)
    state.stepsPerEpoch.set(runId, lastOfFirst - start + 1);
}

/** @param {StreamEvents['run']} run */
function onRunChanged(run) {
  const known = state.runsById.get(run.id);
  if (known) Object.assign(known, run);
  renderRunList();
  if (state.view.name === 'run' && state.view.id === run.id) void route();
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let runsRefresh;
function scheduleRunsRefresh() {
  clearTimeout(runsRefresh);
  runsRefresh = setTimeout(() => {
    void loadRuns();
    void loadSweepFilter();
  }, 250);
}

async function loadRuns() {
  const filters = state.filters;
  let result;
  try {
    result = await api.runs({
      name: filters.name,
      status: filters.status,
      sweep: filters.sweep,
      tag: filters.tag,
      limit: 500,
    });
  } catch (error) {
    showToast(`Could not load runs: ${messageOf(error)}`);
    return;
  }
  const wasReady = state.status.storeReady;
  state.status = { ...state.status, storeReady: result.storeReady };
  state.runs = result.runs;
  state.total = result.total;
  state.varied = result.varied;
  state.params = result.params;
  renderTagFilter(result.tags);
  for (const run of result.runs) state.runsById.set(run.id, run);
  if (!wasReady && result.storeReady) await loadStatus();
  followNewestRun();
  renderRunList();
  loadMissingCurves();
  if (!wasReady && result.storeReady) void route();
  else if (!result.storeReady && state.view.name === 'curves')
    renderEmptyStore($('main'), viewContext);
}

/** With no selection of the user's own, plot the newest run (and follow a newer one when it starts). */
function followNewestRun() {
  if (!state.autoFollow) return;
  if (hasFilters()) return;
  const newest = state.runs.find((r) => r.status === 'running') ?? state.runs[0];
  if (!newest || (state.selected.length === 1 && state.selected[0] === newest.id)) return;
  selectRuns([newest.id], { auto: true });
  if (state.view.name === 'curves') renderCurvesView();
}

async function loadStatus() {
  try {
    state.status = await api.status();
    $('store-path').textContent = state.status.storePath ?? '';
  } catch {
    // The status line is informative only.
  }
}

async function loadSweepFilter() {
  try {
    const { sweeps } = await api.sweeps();
    const select = $('filter-sweep', HTMLSelectElement);
    const current = select.value;
    mount(
      select,
      h('option', { value: '' }, 'All sweeps'),
      sweeps.map((s) => h('option', { value: String(s.id) }, `#${s.id} ${s.name}`)),
    );
    select.value = current;
  } catch {
    // Without sweeps the filter offers "All sweeps" only.
  }
}

const hasFilters = () =>
  Boolean(state.filters.name || state.filters.status || state.filters.sweep || state.filters.tag);

/**
 * The tag filter offers every tag of the store, most used first.
 *
 * @param {RunListResponse['tags']} tags
 */
function renderTagFilter(tags) {
  const select = $('filter-tag', HTMLSelectElement);
  const current = state.filters.tag;
  mount(
    select,
    h('option', { value: '' }, 'All tags'),
    tags.map((t) => h('option', { value: t.tag }, `${t.tag} (${t.runs})`)),
    // A filter on a tag no run carries any more stays selectable, so it can be cleared.
    current && !tags.some((t) => t.tag === current)
      ? h('option', { value: current }, `${current} (0)`)
      : null,
  );
  select.value = current;
}

/**
 * What tells a run apart in the list: its values of the keys that differ among the listed runs.
 *
 * @param {RunListItem} run
 */
function runParams(run) {
  const values = state.params[String(run.id)] ?? {};
  const shown = state.varied.filter((v) => v.key in values);
  if (shown.length === 0) return null;
  return h(
    'div',
    { class: 'run-params' },
    shown.map((v) =>
      h(
        'span',
        { class: 'run-param', title: v.key, dataset: { key: v.key } },
        `${v.title}=${formatParam(values[v.key])}`,
      ),
    ),
  );
}

/**
 * A run's tags as chips; clicking one filters the list by it.
 *
 * @param {RunListItem} run
 */
function runTags(run) {
  if (run.tags.length === 0) return null;
  return h(
    'div',
    { class: 'run-tags' },
    run.tags.map((tag) =>
      h(
        'button',
        {
          type: 'button',
          class: 'tag',
          title: `Show only the runs tagged ${tag}`,
          onclick: () => filterByTag(tag),
        },
        tag,
      ),
    ),
  );
}

/** @param {string} tag */
function filterByTag(tag) {
  state.filters.tag = tag;
  $('filter-tag', HTMLSelectElement).value = tag;
  void loadRuns();
}

// ---------------------------------------------------------------- runs list

function renderRunList() {
  const list = $('run-list');
  const items = state.runs.map((run) => {
    const selected = state.selected.includes(run.id);
    const acc = run.metrics['test/accuracy'] ?? run.metrics['val/accuracy'];
    const bestAcc = acc?.best ?? null;
    return h(
      'li',
      {
        class: `run-item${selected ? ' selected' : ''}`,
        dataset: { runId: run.id, status: run.status },
        onclick: (/** @type {MouseEvent} */ e) => {
          if (e.target instanceof Element && e.target.closest('a, input, button')) return;
          toggleRun(run.id);
        },
      },
      h(
        'label',
        { class: 'run-check', title: selected ? 'Remove from the charts' : 'Add to the charts' },
        h('input', {
          type: 'checkbox',
          checked: selected,
          'aria-label': `select run ${run.id}`,
          onchange: () => toggleRun(run.id),
        }),
        h('span', { class: 'swatch', style: `--swatch: ${colorOf(run.id) ?? 'transparent'}` }),
      ),
      h(
        'div',
        { class: 'run-main' },
        h(
          'div',
          { class: 'run-title' },
          h(
            'a',
            {
              class: 'run-name',
              href: `/runs/${run.id}`,
              'data-link': true,
              title: 'Open the run page',
            },
            h('span', { class: 'run-id' }, `#${run.id}`),
            ` ${run.name}`,
          ),
          statusBadge(run.status),
        ),
        h(
          'div',
          { class: 'run-meta' },
          `${run.dataset} · ${run.backend} · `,
          h('span', { class: 'run-duration' }, formatDuration(liveDuration(run))),
          bestAcc !== null
            ? h(
                'span',
                { class: 'run-acc', title: 'best evaluation accuracy' },
                ` · acc ${formatMetric(bestAcc)}`,
              )
            : null,
        ),
        runParams(run),
        runTags(run),
      ),
    );
  });
  clear(list).append(...items);
  if (items.length === 0) {
    list.append(
      h(
        'li',
        { class: 'run-empty' },
        state.status.storeReady
          ? hasFilters()
            ? 'No run matches these filters.'
            : 'No runs yet.'
          : 'Waiting for the store…',
      ),
    );
  }
  $('run-count').textContent =
    state.total > state.runs.length
      ? `${state.runs.length} of ${state.total} runs`
      : `${state.total} run${state.total === 1 ? '' : 's'}`;
  $('clear-selection').hidden = state.selected.length === 0;
}

/**
 * A running run's duration keeps growing on the page between server updates.
 *
 * @param {RunListItem} run
 */
function liveDuration(run) {
  return run.status === 'running'
    ? Math.max(run.durationMs, Date.now() - run.startedAt)
    : run.durationMs;
}

setInterval(() => {
  for (const el of document.querySelectorAll('.run-item[data-status="running"] .run-duration')) {
    const item = el.closest('.run-item');
    if (!(item instanceof HTMLElement)) continue;
    const run = state.runsById.get(Number(item.dataset.runId));
    if (run) el.textContent = formatDuration(liveDuration(run));
  }
}, 1000);

// ---------------------------------------------------------------- curves view

function renderCurvesView() {
  const main = $('main');
  destroyBoard();
  if (!state.status.storeReady) return renderEmptyStore(main, viewContext);
  const chips = state.selected.map((id) => {
    const run = state.runsById.get(id) ?? { id, name: '' };
    return h(
      'span',
      { class: 'chip', dataset: { runId: id } },
      h('span', { class: 'swatch', style: `--swatch: ${colorOf(id)}` }),
      h('a', { href: `/runs/${id}`, 'data-link': true }, runLabel(run)),
      h(
        'button',
        {
          class: 'chip-x',
          title: 'Remove from the charts',
          'aria-label': `remove run ${id}`,
          onclick: () => toggleRun(id),
        },
        '×',
      ),
    );
  });
  const board = new ChartBoard({ onCsv: downloadCsv, onToggle: scheduleDraw });
  mount(
    main,
    h(
      'div',
      { class: 'view-head' },
      h('h2', {}, 'Curves'),
      h(
        'div',
        { class: 'chips' },
        chips.length
          ? chips
          : h('span', { class: 'muted' }, 'Select runs on the left to plot them.'),
      ),
      state.selected.length >= 2
        ? h(
            'a',
            { class: 'btn btn-secondary', href: urlFor('/compare'), 'data-link': true },
            'Compare configs',
          )
        : null,
    ),
    renderToolbar(),
    board.el,
  );
  if (state.selected.length === 0) return;
  state.board = board;
  board.build(panelSpecs(chartKeys(), state.combineSplits));
  scheduleDraw();
}

function destroyBoard() {
  state.board?.destroy();
  state.board = null;
}

function renderToolbar() {
  const smoothingOut = h('output', { id: 'smoothing-value' }, state.smoothing.toFixed(2));
  /**
   * @param {XMode} mode
   * @param {string} label
   */
  const segment = (mode, label) =>
    h(
      'button',
      {
        class: `segment${state.xMode === mode ? ' active' : ''}`,
        'aria-pressed': state.xMode === mode ? 'true' : 'false',
        dataset: { xMode: mode },
        onclick: () => {
          state.xMode = mode;
          localStorage.setItem('runner.xMode', mode);
          renderCurvesView();
        },
      },
      label,
    );
  return h(
    'div',
    { class: 'toolbar' },
    h(
      'label',
      {
        class: 'control',
        title: 'Exponential moving average, debiased (as in TensorBoard); 0 = raw values',
      },
      'Smoothing',
      h('input', {
        id: 'smoothing',
        type: 'range',
        min: '0',
        max: '0.99',
        step: '0.01',
        value: String(state.smoothing),
        oninput: (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) => {
          state.smoothing = Number(e.currentTarget.value);
          smoothingOut.textContent = state.smoothing.toFixed(2);
          localStorage.setItem('runner.smoothing', String(state.smoothing));
          scheduleDraw();
        },
      }),
      smoothingOut,
    ),
    h(
      'div',
      { class: 'control' },
      'X axis',
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'X axis' },
        segment('step', 'Step'),
        segment('epoch', 'Epoch'),
        segment('time', 'Wall time'),
      ),
    ),
    h(
      'label',
      { class: 'control' },
      h('input', {
        id: 'log-scale',
        type: 'checkbox',
        checked: state.logLoss,
        onchange: (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) => {
          state.logLoss = e.currentTarget.checked;
          localStorage.setItem('runner.logLoss', String(state.logLoss));
          scheduleDraw();
        },
      }),
      'Log scale for loss',
    ),
    h(
      'label',
      { class: 'control', title: 'One chart per metric for its train, test and val curves' },
      h('input', {
        id: 'combine-splits',
        type: 'checkbox',
        checked: state.combineSplits,
        onchange: (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) => {
          state.combineSplits = e.currentTarget.checked;
          localStorage.setItem('runner.combineSplits', String(state.combineSplits));
          renderCurvesView();
        },
      }),
      'Train and test on one chart',
    ),
    h('span', { class: 'spacer' }),
    h(
      'button',
      {
        class: 'btn-ghost',
        title: 'All plotted curves at full resolution',
        onclick: () => downloadCsv(chartKeys()),
      },
      'Download CSV',
    ),
  );
}

let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawCharts();
  });
}

function drawCharts() {
  if (state.view.name !== 'curves') return;
  state.board?.draw({
    seriesOf: chartSeries,
    smoothing: state.smoothing,
    xMode: state.xMode,
    logLoss: state.logLoss,
  });
}

/**
 * The curves of one chart: per key, per selected run. On a chart of several keys each line is
 * labelled with its key and dashed by its split.
 *
 * @param {PanelSpec} spec
 * @returns {ChartSeries[]}
 */
function chartSeries(spec) {
  const shared = spec.keys.length > 1;
  /** @type {ChartSeries[]} */
  const series = [];
  for (const key of spec.keys) {
    for (const id of state.selected) {
      const curve = state.curves.get(id)?.get(key);
      if (!curve) continue;
      const run = state.runsById.get(id) ?? { id, name: '', startedAt: curve.time[0] };
      const context = { stepsPerEpoch: state.stepsPerEpoch.get(id), startedAt: run.startedAt };
      const dash = shared ? dashOf(key) : undefined;
      series.push({
        runId: id,
        label: shared ? `${runLabel(run)} · ${key}` : runLabel(run),
        color: colorOf(id) ?? '#000',
        x: xValues(curve, state.xMode, context),
        y: curve.value,
        total: curve.total,
        ...(dash ? { dash } : {}),
      });
    }
  }
  return series;
}

/** @param {readonly string[]} keys */
function downloadCsv(keys) {
  if (state.selected.length === 0) return;
  const a = h('a', { href: api.csvUrl(state.selected, keys), download: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---------------------------------------------------------------- routing

/**
 * A path with the selection kept in the query, so a view can be shared or reloaded.
 *
 * @param {string} pathname
 */
function urlFor(pathname) {
  return state.selected.length > 0 ? `${pathname}?runs=${state.selected.join(',')}` : pathname;
}

/** @param {string} path */
function navigate(path) {
  const url = new URL(path, location.origin);
  const runs = url.searchParams.get('runs');
  if (runs !== null) selectRuns(runs.split(',').map(Number));
  history.pushState(null, '', urlFor(url.pathname));
  void route();
}

/** @type {ViewContext} */
const viewContext = {
  navigate,
  isSelected: (id) => state.selected.includes(id),
  selectedIds: () => [...state.selected],
  colorOf,
  storePath: () => state.status.storePath,
  storeProblem: () => state.status.storeProblem,
  editable: () => state.status.editable,
  runChanged: () => {
    // The run page saved a note or tags: the list shows them (and the tag filter its counts).
    void loadRuns();
  },
  /** Plot exactly these runs in the curves view. */
  plotRuns: (ids) => {
    selectRuns(ids);
    history.pushState(null, '', urlFor('/'));
    void route();
  },
  compareWith: (id) => {
    if (!state.selected.includes(id)) selectRuns([...state.selected, id]);
    history.pushState(null, '', urlFor('/compare'));
    void route();
  },
};

async function route() {
  const path = location.pathname;
  const main = $('main');
  let match;
  if ((match = /^\/runs\/(\d+)$/.exec(path))) state.view = { name: 'run', id: Number(match[1]) };
  else if ((match = /^\/sweeps\/(\d+)$/.exec(path)))
    state.view = { name: 'sweep', id: Number(match[1]) };
  else if (path === '/sweeps') state.view = { name: 'sweeps' };
  else if (path === '/compare') state.view = { name: 'compare' };
  else state.view = { name: 'curves' };
  for (const a of document.querySelectorAll('.tabs a')) {
    if (!(a instanceof HTMLAnchorElement)) continue;
    const tab = a.dataset.tab;
    const active = tab === state.view.name || (tab === 'sweeps' && state.view.name === 'sweep');
    a.classList.toggle('active', active);
    a.href = urlFor(a.pathname);
  }
  main.dataset.view = state.view.name;
  if (state.view.name !== 'curves') destroyBoard();
  const view = state.view;
  try {
    switch (view.name) {
      case 'run':
        await renderRunPage(main, viewContext, view.id);
        break;
      case 'sweeps':
        await renderSweepList(main, viewContext);
        break;
      case 'sweep':
        await renderSweep(main, viewContext, view.id);
        break;
      case 'compare':
        await renderCompare(main, viewContext);
        break;
      default:
        renderCurvesView();
    }
  } catch (error) {
    renderError(main, error);
  }
}

// ---------------------------------------------------------------- wiring

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;
/** @param {string} message */
function showToast(message) {
  /** @type {HTMLElement} */
  const toast =
    document.querySelector('.toast') ??
    document.body.appendChild(h('div', { class: 'toast', role: 'status' }));
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 5000);
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

function wireControls() {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let nameTimer;
  const nameInput = $('filter-name', HTMLInputElement);
  nameInput.addEventListener('input', () => {
    clearTimeout(nameTimer);
    nameTimer = setTimeout(() => {
      state.filters.name = nameInput.value.trim();
      void loadRuns();
    }, 150);
  });
  const statusSelect = $('filter-status', HTMLSelectElement);
  statusSelect.addEventListener('change', () => {
    state.filters.status = statusSelect.value;
    void loadRuns();
  });
  const tagSelect = $('filter-tag', HTMLSelectElement);
  tagSelect.addEventListener('change', () => {
    state.filters.tag = tagSelect.value;
    void loadRuns();
  });
  const sweepSelect = $('filter-sweep', HTMLSelectElement);
  sweepSelect.addEventListener('change', () => {
    state.filters.sweep = sweepSelect.value;
    void loadRuns();
  });
  $('clear-selection').addEventListener('click', () => {
    selectRuns([]);
    void route();
  });
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[data-link]') : null;
    if (
      !(a instanceof HTMLAnchorElement) ||
      e.defaultPrevented ||
      e.button !== 0 ||
      e.metaKey ||
      e.ctrlKey ||
      e.shiftKey
    )
      return;
    e.preventDefault();
    navigate(a.getAttribute('href') ?? '/');
  });
  // The charts' canvas colours follow the theme (charts.js reads them when it builds a chart).
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => scheduleDraw());
  window.addEventListener('popstate', () => {
    const runs = new URLSearchParams(location.search).get('runs');
    selectRuns(runs ? runs.split(',').map(Number) : []);
    void route();
  });
}

async function start() {
  wireControls();
  const initial = new URLSearchParams(location.search).get('runs');
  await loadStatus();
  if (initial) selectRuns(initial.split(',').map(Number));
  await loadRuns();
  if (!initial && state.selected.length === 0) watch();
  void loadSweepFilter();
  await route();
}

void start();
