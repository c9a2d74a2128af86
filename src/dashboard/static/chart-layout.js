// @ts-check
// Which charts the curves view shows and how they are grouped: one chart per metric key, grouped by
// its prefix (train, test, val, perf, ...); with "train and test on one chart", the splits of one
// metric (train/loss, train/epoch_loss, test/loss, val/loss) share a chart, told apart by dashes.

/**
 * One chart of the view.
 *
 * @typedef {object} PanelSpec
 * @property {string} id the chart's `data-key`: the metric key, or `splits/<metric>` for a shared chart
 * @property {string} title
 * @property {string[]} keys the metric keys drawn, in legend order
 * @property {string} group
 */

/** The group of the charts that hold several splits of one metric. */
export const SPLITS_GROUP = 'train and test';

const SPLITS = ['train', 'test', 'val'];

/** Groups in this order; any other prefix after them, alphabetically, and `perf` last. */
const GROUP_ORDER = [SPLITS_GROUP, 'train', 'test', 'val'];

/**
 * The group of a metric key: its prefix (`train/loss` → `train`), `other` without one.
 *
 * @param {string} key
 */
export function groupOf(key) {
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash) : 'other';
}

/**
 * The metric a key measures across splits: `test/loss` and `train/epoch_loss` are both `loss`;
 * undefined for keys outside the splits (`perf/images_per_s`).
 *
 * @param {string} key
 */
function metricOf(key) {
  const group = groupOf(key);
  if (!SPLITS.includes(group)) return undefined;
  const name = key.slice(group.length + 1);
  return group === 'train' && name.startsWith('epoch_') ? name.slice('epoch_'.length) : name;
}

/**
 * The line of a key on a shared chart: train per step solid, the train epoch mean long dashes,
 * test dashed, val dotted.
 *
 * @param {string} key
 * @returns {number[] | undefined}
 */
export function dashOf(key) {
  if (key.startsWith('train/epoch_')) return [10, 3, 2, 3];
  if (key.startsWith('test/')) return [6, 4];
  if (key.startsWith('val/')) return [2, 3];
  return undefined;
}

/**
 * The charts for these metric keys (in the view's order), grouped.
 *
 * @param {readonly string[]} keys
 * @param {boolean} combineSplits one chart per metric for its train, test and val keys
 * @returns {PanelSpec[]} in display order: by group, then in the order of `keys`
 */
export function panelSpecs(keys, combineSplits) {
  /** @type {Map<string, string[]>} */
  const byMetric = new Map();
  if (combineSplits) {
    for (const key of keys) {
      const metric = metricOf(key);
      if (metric !== undefined) byMetric.set(metric, [...(byMetric.get(metric) ?? []), key]);
    }
  }
  /** @type {PanelSpec[]} */
  const specs = [];
  const placed = new Set();
  for (const key of keys) {
    if (placed.has(key)) continue;
    const metric = metricOf(key);
    const members = metric === undefined ? undefined : byMetric.get(metric);
    if (metric !== undefined && members && new Set(members.map(groupOf)).size >= 2) {
      for (const member of members) placed.add(member);
      specs.push({
        id: `splits/${metric}`,
        title: `${metric}: ${members.join(', ')}`,
        keys: members,
        group: SPLITS_GROUP,
      });
    } else {
      placed.add(key);
      specs.push({ id: key, title: key, keys: [key], group: groupOf(key) });
    }
  }
  const rank = (/** @type {string} */ group) => {
    const i = GROUP_ORDER.indexOf(group);
    return i >= 0 ? i : group === 'perf' ? GROUP_ORDER.length + 1 : GROUP_ORDER.length;
  };
  // A stable sort: within a group, the order of `keys`.
  return specs.sort((a, b) => rank(a.group) - rank(b.group) || compareOthers(a.group, b.group));
}

/**
 * @param {string} a
 * @param {string} b
 */
function compareOthers(a, b) {
  return a === b ? 0 : a < b ? -1 : 1;
}
