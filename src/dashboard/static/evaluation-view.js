// @ts-check
// A run's evaluations on its page: a confusion matrix with per-class precision,
// recall and F1, every evaluation's metrics, and the grid of images the model
// got wrong with the most confidence. The newest evaluation with a matrix is
// shown first; "show" on another in the list shows its matrix and grid.
import { api } from './api.js';
import { formatMetric, formatTime } from '../../format/index.js';
import { h } from './dom.js';

/** @typedef {import('../api-types.js').RunEvaluationItem} RunEvaluationItem */
/** @typedef {import('../api-types.js').RunEvaluationsResponse} RunEvaluationsResponse */
/** @typedef {import('../api-types.js').MisclassifiedGridResponse} MisclassifiedGrid */

/**
 * The evaluation cards of run `runId`, or nothing when it has none yet.
 *
 * @param {number} runId
 * @returns {Promise<HTMLElement[]>}
 */
export async function evaluationCards(runId) {
  const { evaluations, misclassified } = await api.evaluations(runId);
  if (evaluations.length === 0) return [];
  const newest = [...evaluations].reverse().find((e) => e.counts !== null);
  // Placeholders keep each card's place when the shown evaluation changes.
  /** @type {HTMLElement} */
  let confusion = newest ? confusionCard(newest) : h('div', { hidden: true });
  /** @type {HTMLElement} */
  let grid =
    newest && misclassified && misclassified.examples.length > 0
      ? misclassifiedCard(newest, misclassified)
      : h('div', { hidden: true });
  /** @type {(evaluation: RunEvaluationItem) => Promise<void>} */
  const show = async (evaluation) => {
    const nextConfusion = confusionCard(evaluation);
    confusion.replaceWith(nextConfusion);
    confusion = nextConfusion;
    const shown = evaluation.misclassified
      ? await api.misclassified(runId, evaluation.id).catch(() => null)
      : null;
    const nextGrid =
      shown && shown.examples.length > 0
        ? misclassifiedCard(evaluation, shown)
        : h('div', { hidden: true });
    grid.replaceWith(nextGrid);
    grid = nextGrid;
    for (const li of list.querySelectorAll('li'))
      li.classList.toggle('selected', li.dataset['evaluation'] === String(evaluation.id));
  };
  const list = evaluationList(evaluations, newest?.id, show);
  return [confusion, list, grid];
}

/**
 * @param {RunEvaluationItem} evaluation one with counts
 * @returns {HTMLElement}
 */
function confusionCard(evaluation) {
  const counts = evaluation.counts ?? [];
  const names = counts.map((_, i) => evaluation.classes?.[i] ?? String(i));
  const largest = Math.max(1, ...counts.flat());
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const matrix = h(
    'table',
    {
      class: 'table confusion',
      'aria-label': 'Confusion matrix: rows the true class, columns the predicted',
    },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'muted small' }, 'true \\ predicted'),
        names.map((n) => h('th', { class: 'num' }, n)),
      ),
    ),
    h(
      'tbody',
      {},
      counts.map((row, t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, names[t]),
          row.map((count, p) =>
            h(
              'td',
              {
                class: `num ${t === p ? 'hit' : count > 0 ? 'miss' : ''}`,
                style: `--share: ${(count / largest).toFixed(3)}`,
                title: `${count} ${names[t]} predicted as ${names[p]}`,
              },
              String(count),
            ),
          ),
        ),
      ),
    ),
  );
  const scores = h(
    'table',
    { class: 'table class-scores' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Class', 'Precision', 'Recall', 'F1', 'Support'].map((t, i) =>
          h('th', { class: i > 0 ? 'num' : '' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      (evaluation.perClass ?? []).map((s, c) =>
        h(
          'tr',
          {},
          h('td', {}, names[c]),
          h('td', { class: 'num' }, formatMetric(s.precision)),
          h('td', { class: 'num' }, formatMetric(s.recall)),
          h('td', { class: 'num' }, formatMetric(s.f1)),
          h('td', { class: 'num muted' }, String(s.support)),
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card', id: 'confusion-matrix' },
    h('h3', { class: 'card-title' }, 'Confusion matrix'),
    h(
      'p',
      { class: 'muted small' },
      `${describe(evaluation)}: ${total} examples; rows the true class, columns the predicted. Macro F1 ${formatMetric(evaluation.macroF1)}.`,
    ),
    h('div', { class: 'table-scroll' }, matrix),
    scores,
  );
}

/**
 * @param {readonly RunEvaluationItem[]} evaluations
 * @param {number | undefined} selected the evaluation shown above
 * @param {(evaluation: RunEvaluationItem) => Promise<void>} show
 * @returns {HTMLElement}
 */
function evaluationList(evaluations, selected, show) {
  return h(
    'section',
    { class: 'card', id: 'evaluations' },
    h('h3', { class: 'card-title' }, 'Evaluations'),
    h(
      'ul',
      { class: 'evaluation-list' },
      evaluations.map((e) =>
        h(
          'li',
          { dataset: { evaluation: String(e.id) }, class: e.id === selected ? 'selected' : '' },
          h('span', { class: 'muted small' }, `${formatTime(e.createdAt, true)} · `),
          `${describe(e)}: `,
          Object.entries(e.metrics)
            .map(([k, v]) => `${k} ${formatMetric(v)}`)
            .join(' · '),
          e.counts !== null
            ? h(
                'button',
                {
                  class: 'btn-ghost',
                  type: 'button',
                  title: e.misclassified
                    ? 'show its confusion matrix and misclassified images'
                    : 'show its confusion matrix',
                  onclick: () => void show(e),
                },
                'show',
              )
            : null,
        ),
      ),
    ),
  );
}

/**
 * @param {RunEvaluationItem} evaluation
 * @param {MisclassifiedGrid} grid
 * @returns {HTMLElement}
 */
function misclassifiedCard(evaluation, grid) {
  return h(
    'section',
    { class: 'card', id: 'misclassified', dataset: { evaluation: String(evaluation.id) } },
    h('h3', { class: 'card-title' }, 'Most confidently misclassified'),
    h(
      'p',
      { class: 'muted small' },
      `${describe(evaluation)}: ${grid.wrong} of ${grid.count} images wrong; the ${grid.examples.length} it was surest of:`,
    ),
    h(
      'ul',
      { class: 'misclassified-grid' },
      grid.examples.map((e) =>
        h(
          'li',
          { title: e.file ?? `${grid.split} image ${e.index}` },
          h('img', {
            src: e.image,
            alt: `${e.file ?? `${grid.split} image ${e.index}`}: ${e.trueClass} predicted as ${e.predictedClass}`,
            width: 64,
            height: 64,
          }),
          h(
            'span',
            { class: 'small' },
            h('strong', {}, e.predictedClass),
            ` ${(e.probability * 100).toFixed(1)}%`,
          ),
          h(
            'span',
            { class: 'muted small' },
            `true: ${e.trueClass} (${(e.trueProbability * 100).toFixed(1)}%)`,
          ),
        ),
      ),
    ),
  );
}

/**
 * @param {RunEvaluationItem} e
 * @returns {string}
 */
function describe(e) {
  const by = e.kind === 'training' ? 'End of training' : 'runner eval';
  return `${by}, ${e.checkpoint} model on ${e.split}`;
}
