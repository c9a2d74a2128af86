// @ts-check
// The views other than the curves: a run's page, sweeps, the compare table,
// and the empty and not-found states. Each renders into `main` from the API.
import { api, ApiError } from './api.js';
import { runLabel } from './charts.js';
import {
  formatCount,
  formatDuration,
  formatMetric,
  formatParam,
  formatTime,
} from '../../format/index.js';
import { h, mount } from './dom.js';
import { runLabelsCard } from './run-labels.js';
import { sweepScatter } from './sweep-plot.js';
import { evaluationCards } from './evaluation-view.js';
import {
  bestSoFar,
  importanceBars,
  intermediateValues,
  parallelCoordinates,
} from './sweep-charts.js';

/** @typedef {import('./dom.js').Child} Child */
/** @typedef {import('../api-types.js').RunState | import('../api-types.js').SweepStatus} Status */

/**
 * What a view may ask of the page (app.js holds the state).
 *
 * @typedef {object} ViewContext
 * @property {(path: string) => void} navigate go to a page path (`/runs/3`) without reloading
 * @property {(id: number) => boolean} isSelected whether the run is plotted
 * @property {() => number[]} selectedIds the plotted runs, in the order they were picked
 * @property {(id: number) => string | undefined} colorOf a plotted run's colour
 * @property {() => string | null} storePath
 * @property {() => string | null} storeProblem
 * @property {(ids: readonly number[]) => void} plotRuns plot exactly these runs in the curves view
 * @property {(id: number) => void} compareWith add the run to the selection and compare
 * @property {() => boolean} editable whether notes and tags may be edited here
 * @property {(change: { id: number, note?: string | null, tags?: readonly string[] }) => void} runChanged
 *   the run page saved a note or tags
 */

/** @param {Status} status */
export function statusBadge(status) {
  return h('span', { class: `badge status-${status}`, dataset: { status } }, status);
}

/**
 * @param {string | null} title
 * @param {...Child} children
 */
function card(title, ...children) {
  return h(
    'section',
    { class: 'card' },
    title ? h('h3', { class: 'card-title' }, title) : null,
    ...children,
  );
}

/**
 * ↑ where larger is better, ↓ where smaller is.
 *
 * @param {import('../api-types.js').MetricGoal} goal
 */
function goalArrow(goal) {
  return h(
    'span',
    {
      class: 'muted small goal',
      title: goal === 'maximize' ? 'larger is better' : 'smaller is better',
    },
    goal === 'maximize' ? ' ↑' : ' ↓',
  );
}

/** @param {string | undefined} color */
function swatch(color) {
  return color ? h('span', { class: 'swatch', style: `--swatch: ${color}` }) : null;
}

/**
 * A run's page: facts, final/best metrics, the config as YAML.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 * @param {number} runId
 */
export async function renderRunPage(main, ctx, runId) {
  const { run, metricKeys, sweep } = await api.run(runId);
  const selected = ctx.isSelected(run.id);
  /** @type {[string, Child][]} */
  const facts = [
    ['Status', statusBadge(run.status)],
    ['Started', formatTime(run.startedAt, true)],
    [
      'Ended',
      run.endedAt
        ? formatTime(run.endedAt, true)
        : run.status === 'running'
          ? 'still running'
          : run.status === 'lost'
            ? `lost: its process is gone (last heartbeat ${formatTime(run.updatedAt, true)}, ${
                run.lastStep === null ? 'no step recorded' : `last step ${run.lastStep}`
              })`
            : '—',
    ],
    ['Duration', formatDuration(run.durationMs)],
    [
      'Backend',
      run.backendReason
        ? [run.backend, h('span', { class: 'muted' }, ` (${run.backendReason})`)]
        : run.backend,
    ],
    ['Dataset', run.dataset],
    ['Data source', run.datasetSource ?? '—'],
    ['Seed', String(run.seed)],
    ['Parameters', run.parameterCount === null ? '—' : formatCount(run.parameterCount)],
    [
      'Versions',
      `runner ${run.versions.runner} · tfjs ${run.versions.tfjs} · node ${run.versions.node}`,
    ],
    ['Git commit', run.gitCommit ? h('code', {}, run.gitCommit.slice(0, 12)) : '—'],
    ['Host', run.pid ? `${run.host} (pid ${run.pid})` : run.host],
    ['Config hash', h('code', {}, String(run.configHash).slice(0, 16))],
    ['Artifacts', run.artifactsDir ? h('code', {}, run.artifactsDir) : '—'],
  ];
  if (sweep)
    facts.push([
      'Sweep',
      h(
        'a',
        { href: `/sweeps/${sweep.id}`, 'data-link': true },
        `#${sweep.id} ${sweep.name}`,
        run.trial !== null && run.trial !== undefined ? ` · trial ${run.trial}` : '',
      ),
    ]);
  if (run.divergedAtStep !== null)
    facts.push(['Diverged at', `step ${formatCount(run.divergedAtStep)}`]);

  const metricRows = metricKeys.map((key) => {
    const m = run.metrics[key];
    if (!m) return null;
    // A setting recorded as a metric (the learning rate) has no best and no goal.
    const best = m.ranked ? m.best : null;
    return h(
      'tr',
      { dataset: { key } },
      h('td', { class: 'key' }, key, best ? goalArrow(m.goal) : null),
      h('td', { class: 'num' }, formatMetric(m.last.value)),
      h('td', { class: 'num strong' }, best ? formatMetric(best.value) : '—'),
      h('td', { class: 'num muted' }, best ? formatCount(best.step) : '—'),
      h('td', { class: 'num muted' }, formatCount(m.count)),
    );
  });

  mount(
    main,
    h(
      'div',
      { class: 'view-head' },
      h('h2', {}, swatch(ctx.colorOf(run.id)), `#${run.id} ${run.name}`),
      statusBadge(run.status),
      h(
        'div',
        { class: 'head-actions' },
        h(
          'button',
          {
            class: 'btn',
            onclick: () =>
              ctx.plotRuns(selected ? ctx.selectedIds() : [...ctx.selectedIds(), run.id]),
          },
          'Plot curves',
        ),
        ctx.selectedIds().filter((id) => id !== run.id).length > 0
          ? h(
              'button',
              { class: 'btn btn-secondary', onclick: () => ctx.compareWith(run.id) },
              'Compare with selection',
            )
          : null,
      ),
    ),
    run.error
      ? h('div', { class: 'alert alert-error' }, h('strong', {}, 'Error: '), run.error)
      : null,
    run.notices.length > 0
      ? h(
          'div',
          { class: 'alert' },
          h('strong', {}, 'Notices'),
          h(
            'ul',
            {},
            run.notices.map((n) => h('li', {}, n)),
          ),
        )
      : null,
    runLabelsCard(run, ctx),
    h(
      'div',
      { class: 'two-col' },
      card(
        'Facts',
        h(
          'dl',
          { class: 'facts' },
          facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
      ),
      card(
        'Metrics',
        metricRows.length === 0
          ? h('p', { class: 'muted' }, 'No metrics recorded yet.')
          : h(
              'table',
              { class: 'table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, 'metric'),
                  h('th', { class: 'num' }, 'final'),
                  h('th', { class: 'num' }, 'best'),
                  h('th', { class: 'num' }, 'best at step'),
                  h('th', { class: 'num' }, 'points'),
                ),
              ),
              h('tbody', {}, metricRows),
            ),
      ),
    ),
    card(
      'Config',
      h(
        'div',
        { class: 'code-actions' },
        h(
          'button',
          {
            class: 'btn-ghost',
            onclick: (/** @type {MouseEvent} */ e) =>
              copyText(run.configYaml, /** @type {HTMLButtonElement} */ (e.currentTarget)),
          },
          'Copy YAML',
        ),
      ),
      h('pre', { class: 'yaml' }, run.configYaml),
    ),
  );
  // Confusion matrix, evaluations and the misclassified grid, below the facts (evaluation-view.js).
  const evaluations = await evaluationCards(run.id);
  // The person may have moved on to another page meanwhile.
  if (location.pathname === `/runs/${run.id}`) main.append(...evaluations);
}

/**
 * @param {string} text
 * @param {HTMLButtonElement} button says "Copied" for a moment
 */
function copyText(text, button) {
  navigator.clipboard?.writeText(text).then(
    () => {
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy YAML'), 1500);
    },
    () => undefined,
  );
}

/**
 * All sweeps, newest first.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export async function renderSweepList(main, ctx) {
  const { sweeps, storeReady } = await api.sweeps();
  if (!storeReady) return renderEmptyStore(main, ctx);
  mount(
    main,
    h('div', { class: 'view-head' }, h('h2', {}, 'Sweeps')),
    sweeps.length === 0
      ? card(
          null,
          h(
            'p',
            { class: 'empty-note' },
            'No sweeps yet. Try ',
            h(
              'code',
              {},
              'runner sweep configs/lenet.yaml --set train.optimizer.learningRate=1e-2,1e-3,1e-4',
            ),
            '.',
          ),
        )
      : card(
          null,
          h(
            'table',
            { class: 'table clickable' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['#', 'name', 'status', 'metric', 'best', 'varied', 'trials', 'started'].map((t) =>
                  h('th', {}, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              sweeps.map((s) =>
                h(
                  'tr',
                  { onclick: () => ctx.navigate(`/sweeps/${s.id}`), dataset: { sweepId: s.id } },
                  h('td', { class: 'num' }, String(s.id)),
                  h('td', {}, h('a', { href: `/sweeps/${s.id}`, 'data-link': true }, s.name)),
                  h('td', {}, statusBadge(s.status)),
                  h('td', {}, `${s.metric} (${s.goal === 'maximize' ? 'max' : 'min'})`),
                  h(
                    'td',
                    { class: 'num sweep-best' },
                    s.best ? `${formatMetric(s.best.value)} (#${s.best.runId})` : '—',
                  ),
                  h('td', { class: 'sweep-varied' }, s.varied.join(', ') || '—'),
                  h('td', { class: 'num' }, `${s.trialsRecorded} / ${s.trialCount}`),
                  h('td', {}, formatTime(s.startedAt, true)),
                ),
              ),
            ),
          ),
        ),
  );
}

/**
 * A sweep: each varied param against the metric, best trial highlighted, trials table.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 * @param {number} sweepId
 */
export async function renderSweep(main, ctx, sweepId) {
  const {
    sweep,
    varied,
    trials,
    bestRunId,
    pending,
    importance,
    importanceMethod,
    repeats,
    configurations,
    bestConfiguration,
  } = await api.sweep(sweepId);
  const anyPruned = trials.some((t) => t.rung !== null);
  // Trials on workers: each attempt is a run, on the machine that trained it.
  const onWorkers =
    trials.some((t) => t.attempt > 1) || new Set(trials.map((t) => t.host)).size > 1;
  const best = trials.find((t) => t.runId === bestRunId);
  const sign = sweep.goal === 'maximize' ? -1 : 1;
  const sorted = [...trials].sort((a, b) => {
    if (a.best === null) return 1;
    if (b.best === null) return -1;
    return sign * (a.best - b.best);
  });
  const openTrial = (/** @type {number} */ runId) => ctx.plotRuns([runId]);
  mount(
    main,
    h(
      'div',
      { class: 'view-head' },
      h('h2', {}, `Sweep #${sweep.id} ${sweep.name}`),
      statusBadge(sweep.status),
      h(
        'div',
        { class: 'head-actions' },
        h(
          'button',
          { class: 'btn', onclick: () => ctx.plotRuns(trials.map((t) => t.runId).slice(0, 10)) },
          'Plot all trials',
        ),
      ),
    ),
    h(
      'p',
      { class: 'subtitle' },
      `${trials.length} of ${sweep.trialCount} trials` +
        (pending.length > 0 ? ` (${pending.length} pending)` : '') +
        ` · ${sweep.goal === 'maximize' ? 'maximize' : 'minimize'} `,
      h('code', {}, sweep.metric),
      best
        ? [
            ' · best: ',
            h(
              'a',
              { href: `/runs/${best.runId}`, 'data-link': true },
              `#${best.runId} ${best.name}`,
            ),
            ` (${formatMetric(best.best)})`,
          ]
        : '',
    ),
    varied.length === 0
      ? card(
          null,
          h('p', { class: 'muted' }, 'The trials of this sweep do not differ in any config value.'),
        )
      : h(
          'div',
          { class: 'sweep-grid' },
          varied.map((param) =>
            card(
              param,
              h(
                'div',
                { class: 'sweep-plot', dataset: { param } },
                sweepScatter({
                  param,
                  trials,
                  metric: sweep.metric,
                  bestRunId,
                  onSelect: openTrial,
                }),
              ),
            ),
          ),
        ),
    varied.length === 0
      ? null
      : card(
          'Parallel coordinates',
          h(
            'p',
            { class: 'muted small' },
            `One axis per varied value and ${sweep.metric} (last value); drag along an axis to keep the trials through that range, click it to clear.`,
          ),
          h(
            'div',
            { class: 'sweep-pc' },
            parallelCoordinates({
              varied,
              trials,
              metric: sweep.metric,
              goal: sweep.goal,
              onSelect: openTrial,
            }),
          ),
        ),
    h(
      'div',
      { class: 'sweep-grid' },
      card(
        'Best so far',
        h(
          'div',
          { class: 'sweep-bsf' },
          bestSoFar({ trials, metric: sweep.metric, goal: sweep.goal }),
        ),
      ),
      card(
        'Intermediate values',
        h(
          'div',
          { class: 'sweep-iv' },
          intermediateValues({ trials, metric: sweep.metric, onSelect: openTrial }),
        ),
      ),
      card(
        'Parameter importance',
        h(
          'div',
          { class: 'sweep-importance' },
          importanceBars({ importance, method: importanceMethod }),
        ),
      ),
    ),
    configurations.length === 0
      ? null
      : configurationsCard({
          configurations,
          bestConfiguration,
          varied,
          repeats,
          metric: sweep.metric,
        }),
    card(
      'Trials',
      h(
        'p',
        { class: 'muted small' },
        `Best ${sweep.metric} each trial reached; click a trial to see its curves.`,
      ),
      h(
        'table',
        { class: 'table clickable', id: 'sweep-trials' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'trial'),
            h('th', {}, 'run'),
            h('th', {}, 'status'),
            varied.map((p) => h('th', { class: 'num' }, p)),
            h('th', { class: 'num' }, `best ${sweep.metric}`),
            h('th', { class: 'num' }, 'final'),
            anyPruned ? h('th', { class: 'num' }, 'rung') : null,
            onWorkers ? h('th', { class: 'num' }, 'attempt') : null,
            onWorkers ? h('th', {}, 'host') : null,
          ),
        ),
        h(
          'tbody',
          {},
          sorted.map((t) =>
            h(
              'tr',
              {
                class: t.runId === bestRunId ? 'best-row' : '',
                onclick: () => openTrial(t.runId),
                dataset: { runId: t.runId },
              },
              h('td', { class: 'num' }, t.trial === null ? '—' : String(t.trial)),
              h(
                'td',
                {},
                `#${t.runId} ${t.name}`,
                t.runId === bestRunId ? h('span', { class: 'best-tag' }, 'best') : null,
              ),
              h('td', {}, statusBadge(t.status)),
              varied.map((p) => h('td', { class: 'num' }, formatParam(t.params[p]))),
              h('td', { class: 'num strong' }, formatMetric(t.best)),
              h('td', { class: 'num' }, formatMetric(t.final)),
              anyPruned ? h('td', { class: 'num rung' }, rungText(t.rung)) : null,
              onWorkers ? h('td', { class: 'num attempt' }, String(t.attempt)) : null,
              onWorkers ? h('td', { class: 'host' }, t.host) : null,
            ),
          ),
          pending.map((p) =>
            h(
              'tr',
              { class: 'pending-row', dataset: { trial: p.trial } },
              h('td', { class: 'num' }, String(p.trial)),
              h('td', { class: 'muted' }, 'not started'),
              h('td', {}, h('span', { class: 'badge' }, 'pending')),
              varied.map((k) =>
                h('td', { class: 'num' }, k in p.params ? formatParam(p.params[k]) : '—'),
              ),
              h('td', { class: 'num' }, '—'),
              h('td', { class: 'num' }, '—'),
              anyPruned ? h('td', { class: 'num' }, '') : null,
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * Where a pruned trial stopped: `1 (epoch 3)`, or `epoch 3` for median stopping.
 *
 * @param {import('../api-types.js').SweepTrial['rung']} rung
 */
function rungText(rung) {
  if (rung === null) return '';
  return rung.rung === null ? `epoch ${rung.epoch}` : `${rung.rung} (epoch ${rung.epoch})`;
}

/**
 * With repeats: each configuration's mean and standard deviation over its seeds, the best mean marked.
 *
 * @param {{ configurations: readonly import('../api-types.js').SweepConfiguration[], bestConfiguration: number | null, varied: readonly string[], repeats: number, metric: string }} options
 */
function configurationsCard({ configurations, bestConfiguration, varied, repeats, metric }) {
  return card(
    'Configurations',
    h(
      'p',
      { class: 'muted small' },
      `${repeats} seeds each: mean and standard deviation of the last ${metric} over the completed seeds; best = best mean.`,
    ),
    h(
      'table',
      { class: 'table', id: 'sweep-configurations' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'config'),
          varied.map((p) => h('th', { class: 'num' }, p)),
          h('th', { class: 'num' }, 'seeds'),
          h('th', { class: 'num' }, `${metric} mean`),
          h('th', { class: 'num' }, 'std'),
          h('th', {}, 'trials'),
        ),
      ),
      h(
        'tbody',
        {},
        configurations.map((c) =>
          h(
            'tr',
            {
              class: c.configuration === bestConfiguration ? 'best-row' : '',
              dataset: { configuration: c.configuration },
            },
            h(
              'td',
              { class: 'num' },
              String(c.configuration),
              c.configuration === bestConfiguration
                ? h('span', { class: 'best-tag' }, 'best')
                : null,
            ),
            varied.map((p) => h('td', { class: 'num' }, formatParam(c.params[p] ?? null))),
            h('td', { class: 'num' }, `${c.completed}/${c.trials.length}`),
            h('td', { class: 'num strong config-mean' }, formatMetric(c.mean)),
            h('td', { class: 'num config-std' }, formatMetric(c.std)),
            h('td', {}, c.trials.join(', ')),
          ),
        ),
      ),
    ),
  );
}

/**
 * The config values that differ among the selected runs, and each metric's final/best with the winner.
 *
 * @param {HTMLElement} main
 * @param {ViewContext} ctx
 */
export async function renderCompare(main, ctx) {
  const ids = ctx.selectedIds();
  if (ids.length < 2) {
    mount(
      main,
      h('div', { class: 'view-head' }, h('h2', {}, 'Compare')),
      card(
        null,
        h(
          'p',
          { class: 'empty-note' },
          'Select two or more runs on the left to see how their configs and results differ.',
        ),
      ),
    );
    return;
  }
  const { runs, params, metrics, unranked } = await api.compare(ids);
  const header = (/** @type {string} */ first) =>
    h(
      'tr',
      {},
      h('th', {}, first),
      runs.map((r) =>
        h(
          'th',
          { class: 'num run-col' },
          swatch(ctx.colorOf(r.id)),
          h('a', { href: `/runs/${r.id}`, 'data-link': true }, runLabel(r)),
        ),
      ),
    );
  /**
   * @param {boolean} isWinner
   * @param {string} text
   */
  const mark = (isWinner, text) =>
    isWinner ? h('span', { class: 'winner', title: 'best among these runs' }, `★ ${text}`) : text;
  mount(
    main,
    h('div', { class: 'view-head' }, h('h2', {}, `Compare ${runs.length} runs`)),
    card(
      'Config differences',
      params.length === 0
        ? h(
            'p',
            { class: 'muted' },
            'The configs are identical: only the results differ (seed or data order, or a different backend).',
          )
        : h(
            'table',
            { class: 'table compare', id: 'compare-params' },
            h('thead', {}, header('config key')),
            h(
              'tbody',
              {},
              params.map((p) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'key' }, p.key),
                  // JSON carries a run without the key as null: show it as missing.
                  p.values.map((v) => h('td', { class: 'num' }, formatParam(v ?? undefined))),
                ),
              ),
            ),
          ),
    ),
    card(
      'Metrics (final, best)',
      h(
        'table',
        { class: 'table compare', id: 'compare-metrics' },
        h('thead', {}, header('metric (final / best)')),
        h(
          'tbody',
          {},
          metrics.map((m) =>
            h(
              'tr',
              {},
              h('td', { class: 'key' }, m.key, unranked.includes(m.key) ? null : goalArrow(m.goal)),
              runs.map((_, i) =>
                unranked.includes(m.key)
                  ? h('td', { class: 'num' }, formatMetric(m.final[i]))
                  : h(
                      'td',
                      { class: 'num' },
                      mark(m.finalWinner === i, formatMetric(m.final[i])),
                      h('span', { class: 'muted small' }, ' / '),
                      mark(m.bestWinner === i, formatMetric(m.best[i])),
                    ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * The store file does not exist yet: say how to make one; the page updates when it appears.
 *
 * @param {HTMLElement} main
 * @param {Pick<ViewContext, 'storePath' | 'storeProblem'>} ctx
 */
export function renderEmptyStore(main, ctx) {
  mount(
    main,
    h(
      'section',
      { class: 'empty-state' },
      h('h2', {}, 'No runs yet'),
      h(
        'p',
        {},
        'The run store ',
        h('code', {}, ctx.storePath() ?? 'runs/runner.db'),
        ' does not exist yet.',
      ),
      h('p', {}, 'Start a run and it appears here, live:'),
      h('pre', {}, 'npx runner exp configs/lenet.yaml'),
      ctx.storeProblem()
        ? h('p', { class: 'muted small' }, `Last attempt to open it: ${ctx.storeProblem()}`)
        : null,
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {string} message
 */
export function renderNotFound(main, message) {
  mount(
    main,
    h(
      'section',
      { class: 'empty-state' },
      h('h2', {}, 'Not found'),
      h('p', {}, message),
      h('p', {}, h('a', { href: '/', 'data-link': true }, 'Back to the curves')),
    ),
  );
}

/**
 * Errors of an API call, shown in place of the view.
 *
 * @param {HTMLElement} main
 * @param {unknown} error
 */
export function renderError(main, error) {
  if (error instanceof ApiError && error.status === 404) return renderNotFound(main, error.message);
  mount(
    main,
    h(
      'div',
      { class: 'alert alert-error' },
      h('strong', {}, 'Could not load this view: '),
      error instanceof Error ? error.message : String(error),
    ),
  );
}
