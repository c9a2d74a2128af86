// @ts-check
// The curves view's charts: collapsible groups of chart cards, one x range across all of them, and
// charts whose every curve is one constant value folded into a line of text under their group.
import { formatMetric } from '../../format/index.js';
import { ChartPanel, constantValues, xExtent } from './charts.js';
import { h, mount } from './dom.js';

/** @typedef {import('./charts.js').ChartSeries} ChartSeries */
/** @typedef {import('./charts.js').XMode} XMode */
/** @typedef {import('./chart-layout.js').PanelSpec} PanelSpec */

/**
 * @typedef {object} ChartGroup
 * @property {HTMLElement} el
 * @property {HTMLButtonElement} head
 * @property {HTMLElement} grid
 * @property {HTMLElement} constants the folded charts' values
 */

/**
 * @typedef {object} DrawOptions
 * @property {(spec: PanelSpec) => ChartSeries[]} seriesOf the curves of a chart
 * @property {number} smoothing
 * @property {XMode} xMode
 * @property {boolean} logLoss a log scale for the charts of a loss
 */

const COLLAPSED_KEY = 'runner.collapsedGroups';

export class ChartBoard {
  /**
   * @param {object} options
   * @param {(keys: readonly string[]) => void} options.onCsv a chart's CSV button
   * @param {() => void} options.onToggle a group opened or closed (the page redraws)
   */
  constructor({ onCsv, onToggle }) {
    this.onCsv = onCsv;
    this.onToggle = onToggle;
    this.el = h('div', { class: 'chart-groups' });
    /** @type {Map<string, { spec: PanelSpec, panel: ChartPanel }>} */
    this.panels = new Map();
    /** @type {Map<string, ChartGroup>} */
    this.groups = new Map();
    /** @type {Set<string>} groups the user folded (kept across reloads) */
    this.collapsed = new Set(readCollapsed());
  }

  /** @param {readonly PanelSpec[]} specs in display order */
  build(specs) {
    this.destroyPanels();
    for (const spec of specs) {
      const group = this.groups.get(spec.group) ?? this.addGroup(spec.group);
      const panel = new ChartPanel(spec.id, {
        title: spec.title,
        onCsv: () => this.onCsv(spec.keys),
      });
      this.panels.set(spec.id, { spec, panel });
      group.grid.append(panel.el);
    }
    for (const [name, group] of this.groups) {
      const count = [...this.panels.values()].filter((p) => p.spec.group === name).length;
      group.head.dataset.count = String(count);
    }
  }

  /**
   * @param {string} name
   * @returns {ChartGroup}
   */
  addGroup(name) {
    const collapsed = this.collapsed.has(name);
    const head = h(
      'button',
      {
        class: 'chart-group-head',
        type: 'button',
        'aria-expanded': collapsed ? 'false' : 'true',
        title: 'Show or hide this group of charts',
        onclick: () => this.toggle(name),
      },
      h('span', { class: 'chart-group-arrow', 'aria-hidden': 'true' }),
      name,
    );
    const grid = h('div', { class: 'chart-grid' });
    const constants = h('p', { class: 'constant-list', hidden: true });
    const el = h(
      'section',
      { class: 'chart-group', dataset: { group: name, collapsed: String(collapsed) } },
      head,
      grid,
      constants,
    );
    grid.hidden = collapsed;
    /** @type {ChartGroup} */
    const group = { el, head, grid, constants };
    this.groups.set(name, group);
    this.el.append(el);
    return group;
  }

  /** @param {string} name */
  toggle(name) {
    const group = this.groups.get(name);
    if (!group) return;
    const collapsed = !this.collapsed.has(name);
    if (collapsed) this.collapsed.add(name);
    else this.collapsed.delete(name);
    localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...this.collapsed]));
    group.el.dataset.collapsed = String(collapsed);
    group.head.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
    group.grid.hidden = collapsed;
    this.onToggle();
  }

  /**
   * Draws every chart of an open group; all share the x range of every curve of the view.
   *
   * @param {DrawOptions} options
   */
  draw({ seriesOf, smoothing, xMode, logLoss }) {
    const drawn = [...this.panels.values()].map((p) => ({ ...p, series: seriesOf(p.spec) }));
    const xRange = xExtent(drawn.flatMap((d) => d.series));
    /** @type {Map<string, HTMLElement[]>} */
    const folded = new Map();
    for (const { spec, panel, series } of drawn) {
      const constants = constantValues(series);
      panel.el.hidden = constants !== null;
      if (constants) {
        const line = h(
          'span',
          { class: 'constant-item', dataset: { key: spec.id } },
          h('code', {}, spec.title),
          [...constants].map(([i, value]) => [' ', runValue(series[i], value)]),
        );
        folded.set(spec.group, [...(folded.get(spec.group) ?? []), line]);
        continue;
      }
      if (this.collapsed.has(spec.group)) continue;
      panel.update({
        series,
        smoothing,
        log: logLoss && spec.keys.every((k) => k.endsWith('loss')),
        xMode,
        xRange,
      });
    }
    for (const [name, group] of this.groups) {
      const lines = folded.get(name) ?? [];
      group.constants.hidden = lines.length === 0 || this.collapsed.has(name);
      mount(
        group.constants,
        lines.length ? h('span', { class: 'muted' }, 'Constant: ') : null,
        lines,
      );
    }
  }

  destroyPanels() {
    for (const { panel } of this.panels.values()) panel.destroy();
    this.panels.clear();
    for (const group of this.groups.values()) group.el.remove();
    this.groups.clear();
  }

  destroy() {
    this.destroyPanels();
    this.el.remove();
  }
}

/**
 * @param {ChartSeries | undefined} series
 * @param {number} value
 */
function runValue(series, value) {
  return h(
    'span',
    { class: 'constant-value', title: series?.label ?? '' },
    h('span', { class: 'swatch', style: `--swatch: ${series?.color ?? 'transparent'}` }),
    formatMetric(value),
  );
}

/** @returns {string[]} */
function readCollapsed() {
  try {
    const parsed = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((g) => typeof g === 'string') : [];
  } catch {
    return [];
  }
}
