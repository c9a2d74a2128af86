// @ts-check

/**
 * Words that, alone as a column title, would read as a metric, a split or a run fact
 * (`data.limit.train` as `train` beside `test/accuracy`): such a title keeps its parent.
 */
const AMBIGUOUS_TITLES = new Set([
  'train',
  'test',
  'val',
  'validation',
  'eval',
  'loss',
  'accuracy',
  'best',
  'final',
  'min',
  'max',
  'count',
  'id',
  'name',
  'status',
  'started',
  'duration',
  'step',
  'steps',
  'epoch',
  'tags',
  'tag',
  'note',
  'type',
]);

/**
 * Short, still unique titles for param keys: the last path segment (`learningRate`),
 * with its parents while two keys share it (`layers[0].units`) or while it alone would
 * read as a metric or a split (`limit.train`, never a bare `train`). Used by `runs ls`'s
 * columns and the dashboard's run list.
 *
 * @example shortParamTitles(['data.limit.train']).get('data.limit.train') // "limit.train"
 * @param {readonly string[]} keys flattened config keys
 * @returns {Map<string, string>}
 */
export function shortParamTitles(keys) {
  /** @param {string} key */
  const segments = (key) => key.split('.');
  /** @type {Map<string, string>} */
  const titles = new Map();
  for (const key of keys) {
    const parts = segments(key);
    let n = 1;
    let title = parts.slice(-n).join('.');
    while (
      n < parts.length &&
      (AMBIGUOUS_TITLES.has(title.toLowerCase()) ||
        /^[\d[\]]+$/.test(title) ||
        keys.some((other) => other !== key && segments(other).slice(-n).join('.') === title))
    ) {
      n++;
      title = parts.slice(-n).join('.');
    }
    titles.set(key, title);
  }
  return titles;
}
