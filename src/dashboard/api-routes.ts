import type {
  CurvePoint,
  ParamValue,
  RunDetail,
  RunSummary,
  Store,
  SweepRecord,
} from '../store/index.js';
import {
  downsample,
  isRankedMetric,
  lastRecordedStep,
  localLivenessProbe,
  runState,
  type LivenessProbe,
} from '../store/index.js';
import { shortParamTitles } from '../format/index.js';
import {
  bestConfiguration,
  summarizeConfigurations,
  sweepVariedKeys,
} from '../train/sweep-values.js';
import { prunedRungOf } from '../train/sweep-pruners.js';
import { IMPORTANCE_METHOD, parameterImportance } from '../train/parameter-importance.js';
import type {
  ApiErrorBody,
  CompareResponse,
  CurveColumns,
  CurveData,
  CurvesResponse,
  PendingTrial,
  RunDetailResponse,
  RunListItem,
  RunListResponse,
  RunShownState,
  StreamCursor,
  SweepDetailResponse,
  SweepHeader,
  SweepListItem,
  SweepListResponse,
  SweepTrial,
  TagCount,
} from './api-types.js';
import {
  parseIdList,
  parseIntParam,
  parseKeyList,
  parseStatuses,
  parsePositiveInt,
} from './query-params.js';

/** What an API route answers: its response type (`api-types.ts`), or an error. */
export type ApiResult<T> =
  | { readonly status: 200; readonly body: T }
  | { readonly status: 400 | 404; readonly body: ApiErrorBody };

export interface ApiRequest {
  /** Undefined while the store file does not exist yet (the page shows its empty state). */
  readonly store: Store | undefined;
  readonly query: URLSearchParams;
  /** Path captures of the route's pattern (`/api/runs/(\d+)` → ['12']). */
  readonly params: readonly string[];
}

/** The curves the page draws by default. */
export const DEFAULT_CURVE_KEYS: readonly string[] = [
  'train/loss',
  'train/accuracy',
  'test/loss',
  'test/accuracy',
  'val/loss',
  'val/accuracy',
];

/** Points per curve the page asks for by default: about the width of a chart in pixels. */
export const DEFAULT_MAX_POINTS = 1500;

const ok = <T>(body: T): ApiResult<T> => ({ status: 200, body });
const notFound = (message: string): ApiResult<never> => ({
  status: 404,
  body: { error: { status: 404, message } },
});
const EMPTY_STATE = { storeReady: false } as const;

/** GET /api/runs?name=&status=&sweep=&tag=&limit= — newest first; `tags` lists every tag in the store. */
export async function listRunsRoute({
  store,
  query,
}: ApiRequest): Promise<ApiResult<RunListResponse>> {
  const status = parseStatuses(query);
  const sweepText = query.get('sweep');
  const sweepId = sweepText ? parsePositiveInt(sweepText) : undefined;
  if (sweepText && sweepId === undefined)
    return { status: 400, body: badRequest(`sweep: "${sweepText}" is not a sweep id`) };
  const limit = parseIntParam(query, 'limit', 500, { min: 1, max: 10_000 });
  const name = (query.get('name') ?? '').trim().toLowerCase();
  const tag = (query.get('tag') ?? '').trim();
  if (!store) return ok({ ...EMPTY_STATE, total: 0, runs: [], tags: [], varied: [], params: {} });
  const probe = localLivenessProbe();
  const all = await store.listRuns({
    ...(status ? { status } : {}),
    ...(sweepId !== undefined ? { sweepId } : {}),
    ...(tag ? { tag } : {}),
    sort: 'started:desc',
  });
  const matching = name
    ? all.filter((r) => r.name.toLowerCase().includes(name) || String(r.id) === name)
    : all;
  const listed = matching.slice(0, limit);
  return ok({
    storeReady: true,
    total: matching.length,
    runs: listed.map((run) => runListItem(run, probe)),
    tags: await allTags(store),
    ...(await variedParams(
      store,
      listed.map((r) => r.id),
    )),
  });
}

/** Config keys shown per run in the list: the first ones (sorted) that differ among the runs listed. */
export const MAX_VARIED_KEYS = 6;

/** The config values that tell these runs apart (`runs ls`'s key params), for the run list. */
async function variedParams(
  store: Store,
  runIds: readonly number[],
): Promise<Pick<RunListResponse, 'varied' | 'params'>> {
  if (runIds.length < 2) return { varied: [], params: {} };
  const keys = (await store.varyingParamKeys(runIds))
    .filter((k) => k !== 'name')
    .slice(0, MAX_VARIED_KEYS);
  if (keys.length === 0) return { varied: [], params: {} };
  const values = await store.getParams(runIds, keys);
  const titles = shortParamTitles(keys);
  return {
    varied: keys.map((key) => ({ key, title: titles.get(key) ?? key })),
    params: Object.fromEntries([...values].map(([id, p]) => [String(id), p])),
  };
}

/** GET /api/runs/:id — everything recorded about the run, and its metric keys. */
export async function runDetailRoute({
  store,
  params,
}: ApiRequest): Promise<ApiResult<RunDetailResponse>> {
  const id = parsePositiveInt(params[0] ?? '');
  if (!store || id === undefined) return notFound(`no run ${params[0] ?? ''}`);
  const run = await store.getRun(id);
  if (!run) return notFound(`no run ${id} in this store`);
  const sweep = run.sweepId !== null ? await store.getSweep(run.sweepId) : undefined;
  return ok({
    run: { ...run, ...shownState(run, localLivenessProbe()), trial: trialNumber(run.trialIndex) },
    metricKeys: await store.metricKeys(id),
    sweep: sweep
      ? { id: sweep.id, name: sweep.name, metric: sweep.metric, goal: sweep.goal }
      : null,
  });
}

/**
 * GET /api/curves?runs=1,2&keys=train/loss,test/loss&maxPoints=1500 — each
 * curve downsampled on the server (min/max per bucket) and sent column-wise.
 * `cursor` holds the last step of each curve, for the live event stream.
 */
export async function curvesRoute({
  store,
  query,
}: ApiRequest): Promise<ApiResult<CurvesResponse>> {
  const runIds = parseIdList(query, 'runs', { min: 1, max: 50 });
  const keys = parseKeyList(query, DEFAULT_CURVE_KEYS, 20);
  const maxPoints = parseIntParam(query, 'maxPoints', DEFAULT_MAX_POINTS, { min: 10, max: 20_000 });
  if (!store) return notFound(`no run ${runIds.join(', ')} (the store does not exist yet)`);
  const missing = await store.missingRuns(runIds);
  if (missing.length > 0) return notFound(`no run ${missing.join(', ')} in this store`);
  const curves: CurveData[] = [];
  const cursor: StreamCursor = {};
  const stepsPerEpoch: Record<string, number | null> = {};
  for (const runId of runIds) {
    cursor[runId] = {};
    for (const key of keys) {
      const full = await store.getCurve(runId, key);
      if (key === 'train/loss') stepsPerEpoch[runId] = measureStepsPerEpoch(full);
      if (full.length === 0) continue;
      cursor[runId][key] = full[full.length - 1]!.step;
      curves.push({ runId, key, total: full.length, ...curveColumns(downsample(full, maxPoints)) });
    }
    // Before its second epoch, a run's epoch length comes from its data size and batch size.
    stepsPerEpoch[runId] ??= estimateStepsPerEpoch(await store.getRun(runId));
  }
  return ok({ curves, cursor, stepsPerEpoch, maxPoints });
}

/** GET /api/sweeps — every sweep, newest first, with its trial counts. */
export async function listSweepsRoute({
  store,
}: ApiRequest): Promise<ApiResult<SweepListResponse>> {
  if (!store) return ok({ ...EMPTY_STATE, sweeps: [] });
  const records = (await store.listSweeps()).sort(
    (a, b) => b.startedAt - a.startedAt || b.id - a.id,
  );
  const sweeps: SweepListItem[] = [];
  for (const s of records) {
    const trials = await store.listSweepTrials(s.id);
    let best: { runId: number; value: number } | null = null;
    for (const t of trials) {
      const value = t.metrics[s.metric]?.last.value;
      if (t.status !== 'completed' || value === undefined || value === null) continue;
      if (!Number.isFinite(value)) continue;
      if (!best || (s.goal === 'maximize' ? value > best.value : value < best.value))
        best = { runId: t.id, value };
    }
    sweeps.push({
      ...sweepHeader(s),
      trialsRecorded: trials.length,
      varied: variedKeys(s.definition, trials, await store.getParams(trials.map((t) => t.id))),
      best,
    });
  }
  return ok({ storeReady: true, sweeps });
}

/**
 * GET /api/sweeps/:id — the varied params of each trial against the sweep's
 * metric (the best value each trial reached), and the best trial.
 */
export async function sweepDetailRoute({
  store,
  params,
}: ApiRequest): Promise<ApiResult<SweepDetailResponse>> {
  const id = parsePositiveInt(params[0] ?? '');
  if (!store || id === undefined) return notFound(`no sweep ${params[0] ?? ''}`);
  const sweep = await store.getSweep(id);
  if (!sweep) return notFound(`no sweep ${id} in this store`);
  const trials = await store.listSweepTrials(id);
  const trialParams = await store.getParams(trials.map((t) => t.id));
  const varied = variedKeys(sweep.definition, trials, trialParams);
  const probe = localLivenessProbe();
  const planned = plannedTrials(sweep.definition);
  const configurationOf = new Map(planned.map((p) => [p.index, (p.configuration ?? p.index) + 1]));
  const intermediate = new Map<number, { epoch: number; value: number }[]>();
  const prunedWhy = new Map<number, string>();
  const prunedRung = new Map<number, { rung: number | null; epoch: number }>();
  for (const t of trials) {
    const byEpoch = new Map<number, number>();
    for (const point of await store.getCurve(t.id, sweep.metric))
      if (point.value !== null && point.epoch > 0) byEpoch.set(point.epoch, point.value);
    intermediate.set(
      t.id,
      [...byEpoch].map(([epoch, value]) => ({ epoch, value })),
    );
    if (t.status === 'pruned') {
      const notices = (await store.getRun(t.id))?.notices ?? [];
      prunedWhy.set(t.id, notices.find((n) => n.startsWith('pruned')) ?? 'pruned');
      // Recorded with the run; runs pruned before that field name it only in their notice.
      const rung = t.prunedAt ?? prunedRungOf(notices);
      if (rung) prunedRung.set(t.id, rung);
    }
  }
  const rows = trials.map((t): SweepTrial => {
    const all = trialParams.get(t.id) ?? {};
    const attempt = trials.filter(
      (other) => other.trialIndex === t.trialIndex && other.id <= t.id,
    ).length;
    const summary = t.metrics[sweep.metric];
    return {
      configuration: t.trialIndex === null ? null : (configurationOf.get(t.trialIndex) ?? null),
      intermediate: intermediate.get(t.id) ?? [],
      pruned: prunedWhy.get(t.id) ?? null,
      rung: prunedRung.get(t.id) ?? null,
      attempt: t.trialIndex === null ? 1 : attempt,
      host: t.host,
      runId: t.id,
      name: t.name,
      // 1-based, as the CLI numbers trials.
      trial: trialNumber(t.trialIndex),
      status: runState(t, probe),
      durationMs: t.durationMs,
      params: Object.fromEntries(varied.map((k) => [k, all[k] ?? null])),
      best: summary?.best?.value ?? null,
      final: summary?.last.value ?? null,
    };
  });
  const better = (a: number, b: number): boolean => (sweep.goal === 'maximize' ? a > b : a < b);
  let best: { runId: number; value: number } | undefined;
  for (const row of rows) {
    if (row.best === null || !Number.isFinite(row.best)) continue;
    if (!best || better(row.best, best.value)) best = { runId: row.runId, value: row.best };
  }
  const withRun = new Set(trials.map((t) => t.trialIndex));
  const pending: PendingTrial[] = planned
    .filter((p) => !withRun.has(p.index))
    .map((p) => ({ trial: p.index + 1, params: paramValues(varied, p.assignments) }));
  for (let trial = planned.length + 1; trial <= sweep.trialCount; trial++)
    if (!withRun.has(trial - 1)) pending.push({ trial, params: {} });
  const scored = rows
    .filter((r) => r.status === 'completed' && r.final !== null)
    .map((r) => ({ params: r.params, value: r.final! }));
  const repeats = repeatsOf(sweep.definition);
  const configurations =
    repeats > 1
      ? summarizeConfigurations([
          ...rows.map((r) => ({
            trial: r.trial ?? 0,
            configuration: r.configuration ?? 0,
            status: r.status,
            metric: r.final,
            values: r.params,
          })),
          ...pending.map((p) => ({
            trial: p.trial,
            configuration: Math.floor((p.trial - 1) / repeats) + 1,
            status: 'pending',
            metric: null,
            values: p.params,
          })),
        ])
      : [];
  return ok({
    repeats,
    configurations: configurations.map((c) => ({
      configuration: c.configuration,
      params: paramValues(varied, c.values),
      trials: c.trials,
      completed: c.completed,
      mean: c.mean,
      std: c.std,
    })),
    bestConfiguration: bestConfiguration(configurations, sweep.goal)?.configuration ?? null,
    sweep: { ...sweepHeader(sweep), configYaml: sweep.configYaml, definition: sweep.definition },
    varied,
    trials: rows,
    bestRunId: best?.runId ?? null,
    pending,
    importance: parameterImportance(scored, varied, sweep.goal),
    importanceMethod: IMPORTANCE_METHOD,
  });
}

/** GET /api/compare?runs=1,2,3 — config values that differ, and each metric's final/best with winners. */
export async function compareRoute({
  store,
  query,
}: ApiRequest): Promise<ApiResult<CompareResponse>> {
  const runIds = parseIdList(query, 'runs', { min: 2, max: 20 });
  if (!store) return notFound(`no run ${runIds.join(', ')} (the store does not exist yet)`);
  const missing = await store.missingRuns(runIds);
  if (missing.length > 0) return notFound(`no run ${missing.join(', ')} in this store`);
  const comparison = await store.compareRuns(runIds);
  return ok({
    runs: comparison.runs.map((run) => runListItem(run, localLivenessProbe())),
    params: comparison.params.map((p) => ({ key: p.key, values: p.values.map((v) => v ?? null) })),
    metrics: comparison.metrics,
    unranked: comparison.metrics.map((m) => m.key).filter((k) => !isRankedMetric(k)),
  });
}

/**
 * GET /api/curves.csv at full resolution (no downsampling): one line per
 * recorded value, for spreadsheets and notebooks. NaN is an empty cell.
 */
export async function curveCsv(
  store: Store,
  runIds: readonly number[],
  keys: readonly string[],
): Promise<string> {
  const names = new Map((await store.listRuns({ ids: runIds })).map((r) => [r.id, r.name]));
  const lines = ['run_id,run_name,key,step,epoch,time_ms,value'];
  for (const runId of runIds) {
    const prefix = `${runId},${csvCell(names.get(runId) ?? '')}`;
    for (const key of keys) {
      const keyCell = csvCell(key);
      for (const p of await store.getCurve(runId, key)) {
        lines.push(`${prefix},${keyCell},${p.step},${p.epoch},${p.time},${p.value ?? ''}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A run's status as the page shows it: `lost` for a run recorded `running` whose process is
 * gone (the store's liveness rule), with the status recorded and the last step it reached.
 */
export function shownState(run: RunSummary, probe: LivenessProbe): RunShownState {
  return {
    status: runState(run, probe),
    recordedStatus: run.status,
    lastStep: lastRecordedStep(run),
  };
}

/** A run as the list shows it: the summary without the per-metric extremes. */
export function runListItem(run: RunSummary, probe: LivenessProbe): RunListItem {
  const metrics: Record<string, RunListItem['metrics'][string]> = {};
  for (const [key, m] of Object.entries(run.metrics)) {
    // A setting or a speed (train/learning_rate, perf/*) has no best (store isRankedMetric).
    metrics[key] = {
      last: m.last.value,
      best: m.ranked ? (m.best?.value ?? null) : null,
      goal: m.goal,
      ranked: m.ranked,
    };
  }
  return {
    id: run.id,
    name: run.name,
    ...shownState(run, probe),
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    updatedAt: run.updatedAt,
    durationMs: run.durationMs,
    sweepId: run.sweepId,
    trial: trialNumber(run.trialIndex),
    backend: run.backend,
    dataset: run.dataset,
    error: run.error,
    tags: run.tags,
    note: run.note,
    metrics,
  };
}

/** Trials are numbered from 1 wherever the user sees them (the store counts from 0). */
function trialNumber(trialIndex: number | null): number | null {
  return trialIndex === null ? null : trialIndex + 1;
}

/** Every tag in the store with how many runs carry it, most used first (the page's tag filter). */
async function allTags(store: Store): Promise<TagCount[]> {
  const result = await store.query(
    'SELECT tag, count(*) AS runs FROM tags GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 500',
  );
  return result.rows.map(([tag, runs]) => ({ tag: String(tag), runs: Number(runs) }));
}

function sweepHeader(s: SweepRecord): SweepHeader {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    metric: s.metric,
    goal: s.goal,
    trialCount: s.trialCount,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
  };
}

/** Points column-wise: four flat arrays are far smaller in JSON than objects. */
export function curveColumns(points: readonly CurvePoint[]): CurveColumns {
  return {
    step: points.map((p) => p.step),
    epoch: points.map((p) => p.epoch),
    time: points.map((p) => p.time),
    value: points.map((p) => p.value),
  };
}

/**
 * Steps in one epoch, from a training curve: the last step of the first
 * epoch, once a later epoch has begun (every epoch has as many batches).
 * Lets the page place steps on a fractional-epoch axis.
 */
export function measureStepsPerEpoch(points: readonly CurvePoint[]): number | null {
  const first = points[0];
  if (!first) return null;
  let lastOfFirst: number | null = null;
  for (const p of points) {
    if (p.epoch !== first.epoch) return lastOfFirst === null ? null : lastOfFirst - first.step + 1;
    lastOfFirst = p.step;
  }
  return null;
}

/** ceil(training examples / batch size), from what the run recorded at its start; null when unknown. */
export function estimateStepsPerEpoch(run: RunDetail | undefined): number | null {
  if (!run || !isRecord(run.dataInfo)) return null;
  const trainCount = run.dataInfo['trainCount'];
  const batchSize = run.params['data.batchSize'];
  if (
    typeof trainCount !== 'number' ||
    typeof batchSize !== 'number' ||
    trainCount <= 0 ||
    batchSize <= 0
  )
    return null;
  return Math.ceil(trainCount / batchSize);
}

/**
 * The hyperparameters a sweep varies: the paths its planned trials assign
 * (`--set` lists, the YAML's grid and random space, never the fixed
 * overrides); for a definition without planned trials, the params whose
 * values differ among the trials.
 */
function variedKeys(
  definition: unknown,
  trials: readonly RunSummary[],
  params: ReadonlyMap<number, Readonly<Record<string, ParamValue>>>,
): string[] {
  if (isRecord(definition) && Array.isArray(definition['trials'])) {
    const planned = definition['trials'].filter(
      (t): t is { assignments: Record<string, unknown> } =>
        isRecord(t) && isRecord(t['assignments']),
    );
    if (planned.length > 0) return sweepVariedKeys(planned);
  }
  const differing: string[] = [];
  const keys = new Set(trials.flatMap((t) => Object.keys(params.get(t.id) ?? {})));
  for (const key of keys) {
    if (key === 'name') continue;
    const values = new Set(trials.map((t) => JSON.stringify(params.get(t.id)?.[key] ?? null)));
    if (values.size > 1) differing.push(key);
  }
  return differing.sort();
}

interface PlannedTrial {
  readonly index: number;
  readonly configuration?: number;
  readonly assignments: Record<string, unknown>;
}

/** The sweep's `repeats` (1 for sweeps recorded before repeats). */
function repeatsOf(definition: unknown): number {
  const sweep = isRecord(definition) ? definition['sweep'] : undefined;
  const repeats = isRecord(sweep) ? sweep['repeats'] : undefined;
  return typeof repeats === 'number' && repeats > 1 ? repeats : 1;
}

function plannedTrials(definition: unknown): PlannedTrial[] {
  if (!isRecord(definition) || !Array.isArray(definition['trials'])) return [];
  return definition['trials'].filter(
    (t): t is PlannedTrial =>
      isRecord(t) && typeof t['index'] === 'number' && isRecord(t['assignments']),
  );
}

function paramValues(
  keys: readonly string[],
  assignments: Readonly<Record<string, unknown>>,
): Record<string, ParamValue> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = assignments[k];
      return [
        k,
        typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'
          ? v
          : v === undefined
            ? null
            : JSON.stringify(v),
      ];
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badRequest(message: string): ApiErrorBody {
  return { error: { status: 400, message } };
}
