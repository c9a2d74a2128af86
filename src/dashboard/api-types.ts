/**
 * The dashboard's JSON API: the body of every response and event, defined
 * once. The routes build them (`api-routes.ts`, `event-stream.ts`) and the
 * page reads them through JSDoc imports (`static/api.js`), so renaming a field
 * here fails `npm run typecheck` on both sides. Times are epoch ms; JSON has
 * no NaN or Infinity, so non-finite numbers arrive as null.
 *
 * Types only, importing nothing but the store's plain data types: the page's
 * checker (tsconfig.page.json) reads this file without Node's types.
 */
import type {
  MetricComparison,
  MetricGoal,
  ParamValue,
  RunDetail,
  RunState,
  RunStatus,
  SweepStatus,
} from '../store/types.js';

export type {
  MetricComparison,
  MetricGoal,
  ParamValue,
  RunDetail,
  RunState,
  RunStatus,
  SweepStatus,
};

/** Any answer that is not 2xx: `{ error: { status, message } }`. */
export interface ApiErrorBody {
  readonly error: { readonly status: number; readonly message: string };
}

/** GET /api/status */
export interface StatusResponse {
  readonly version: string;
  readonly storePath: string | null;
  readonly storeReady: boolean;
  /** Why the store file could not be opened yet, if it exists but is not (yet) a runner store. */
  readonly storeProblem: string | null;
  /** Whether the page may edit notes and tags (not under `runner serve --read-only`). */
  readonly editable: boolean;
}

/** A metric as the run list shows it: the last and best values only. */
export interface RunListMetric {
  readonly last: number | null;
  /** Null where the metric is not ranked. */
  readonly best: number | null;
  readonly goal: MetricGoal;
  /**
   * Whether best and goal mean anything: false for settings and speeds
   * (`train/learning_rate`, `perf/*`), which get no best and no goal arrow. Per-step
   * `train/loss` / `train/accuracy` are curves; summaries use their epoch means
   * `train/epoch_loss` / `train/epoch_accuracy` (store `summaryKeys`).
   */
  readonly ranked: boolean;
}

/** A run's status as the page shows it: `lost` for a run recorded running whose process is gone. */
export interface RunShownState {
  readonly status: RunState;
  /** The status the store holds (`running` for a lost run). */
  readonly recordedStatus: RunStatus;
  /** The last step any metric reached; null before the first. */
  readonly lastStep: number | null;
}

/** One run of the list (also the `run` event and the compare view's columns). */
export interface RunListItem extends RunShownState {
  readonly id: number;
  readonly name: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly updatedAt: number;
  readonly durationMs: number;
  readonly sweepId: number | null;
  /** 1-based, as the CLI numbers trials; null outside a sweep. */
  readonly trial: number | null;
  readonly backend: string;
  readonly dataset: string;
  readonly error: string | null;
  /** The run's tags, sorted (`runner runs tag`, `exp --tag`). */
  readonly tags: readonly string[];
  /** What someone wrote about the run; null for none. */
  readonly note: string | null;
  readonly metrics: Readonly<Record<string, RunListMetric>>;
}

/** A tag of the store and how many runs carry it. */
export interface TagCount {
  readonly tag: string;
  readonly runs: number;
}

/** GET /api/runs — newest first. `storeReady: false` while the store file does not exist. */
export interface RunListResponse {
  readonly storeReady: boolean;
  /** Runs matching the filters; `runs` holds at most `limit` of them. */
  readonly total: number;
  readonly runs: readonly RunListItem[];
  /** Every tag in the store, most used first (for the tag filter; `?tag=T` filters the runs). */
  readonly tags: readonly TagCount[];
  /**
   * The config keys whose values differ among the listed runs (not `name`; at most
   * `MAX_VARIED_KEYS`), with short titles as `runs ls` prints them (`learningRate`, `limit.train`).
   */
  readonly varied: readonly VariedKey[];
  /** Per run id: its values of the `varied` keys (a key the run lacks is absent). */
  readonly params: Readonly<Record<string, Readonly<Record<string, ParamValue>>>>;
}

/** A config key that tells the listed runs apart. */
export interface VariedKey {
  readonly key: string;
  readonly title: string;
}

/** PUT /api/runs/:id/note with `{ "note": "text" }` (null or blank clears it). */
export interface NoteResponse {
  readonly runId: number;
  readonly note: string | null;
}

/** POST /api/runs/:id/tags with `{ "add": ["a"], "remove": ["b"] }`: the run's tags after. */
export interface TagsResponse {
  readonly runId: number;
  readonly tags: readonly string[];
}

/** The sweep a run belongs to, as the run page links it. */
export interface RunSweepLink {
  readonly id: number;
  readonly name: string;
  readonly metric: string;
  readonly goal: MetricGoal;
}

/** A run's full record, with its shown status and its trial number 1-based as everywhere on the page. */
export interface RunDetailItem extends Omit<RunDetail, 'status'>, RunShownState {
  readonly trial: number | null;
}

/** GET /api/runs/:id */
export interface RunDetailResponse {
  readonly run: RunDetailItem;
  /** Metric keys recorded for the run, sorted. */
  readonly metricKeys: readonly string[];
  readonly sweep: RunSweepLink | null;
}

/** Points of a curve column-wise: four flat arrays are far smaller in JSON than objects. */
export interface CurveColumns {
  step: number[];
  epoch: number[];
  time: number[];
  value: (number | null)[];
}

/** One curve of one run (downsampled), and the `points` event of the live stream (new points). */
export interface CurveData extends CurveColumns {
  readonly runId: number;
  readonly key: string;
  /** Points recorded (the curve's full length, or how many new points the event carries). */
  total: number;
}

/** Last step seen per run and metric key: `{ "12": { "train/loss": 940 } }`. */
export type StreamCursor = Record<string, Record<string, number>>;

/** GET /api/curves?runs=&keys=&maxPoints= */
export interface CurvesResponse {
  readonly curves: readonly CurveData[];
  /** The last step of each curve, for the event stream. */
  readonly cursor: StreamCursor;
  /** Per run id: steps in one epoch, or null while unknown. */
  readonly stepsPerEpoch: Readonly<Record<string, number | null>>;
  readonly maxPoints: number;
}

/** A sweep as lists show it. */
export interface SweepHeader {
  readonly id: number;
  readonly name: string;
  readonly status: SweepStatus;
  readonly metric: string;
  readonly goal: MetricGoal;
  readonly trialCount: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export interface SweepListItem extends SweepHeader {
  /** Trial runs recorded so far (of `trialCount` planned). */
  readonly trialsRecorded: number;
  /** The config keys the trials vary. */
  readonly varied: readonly string[];
  /** The completed trial with the best last value of the metric. */
  readonly best: { readonly runId: number; readonly value: number } | null;
}

/** GET /api/sweeps — newest first. */
export interface SweepListResponse {
  readonly storeReady: boolean;
  readonly sweeps: readonly SweepListItem[];
}

/** One trial of a sweep: its varied values against the sweep's metric. */
export interface SweepTrial {
  readonly runId: number;
  readonly name: string;
  /** 1-based; null for a run without a trial index. */
  readonly trial: number | null;
  readonly status: RunState;
  readonly durationMs: number;
  /** The varied keys only; null where the trial has no value. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The best value of the sweep's metric the trial reached. */
  readonly best: number | null;
  readonly final: number | null;
  /** 1-based configuration (repeats share one); null when the plan does not say. */
  readonly configuration: number | null;
  /** The metric at each epoch end (last value in the epoch), the pruners' intermediate values. */
  readonly intermediate: readonly { readonly epoch: number; readonly value: number }[];
  /** Why the pruner stopped it (names the rung); null unless pruned. */
  readonly pruned: string | null;
  /** The rung it was pruned at (null rung: median stopping), read from that reason; null unless pruned. */
  readonly rung: { readonly rung: number | null; readonly epoch: number } | null;
  /** Which attempt at its trial this run is (1-based, by run id): a retried trial (a worker lost) has several. */
  readonly attempt: number;
  /** The machine that trained it. */
  readonly host: string;
}

/** With `sweep.repeats` > 1: one configuration over its seeds (the metric's last value of each). */
export interface SweepConfiguration {
  /** 1-based. */
  readonly configuration: number;
  /** The varied keys only. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** 1-based trials of its seeds. */
  readonly trials: readonly number[];
  /** Completed seeds, whose values make the mean. */
  readonly completed: number;
  readonly mean: number | null;
  /** Sample standard deviation; null below 2 completed seeds. */
  readonly std: number | null;
}

/** A planned trial with no run yet (TPE's later ones have no values until proposed). */
export interface PendingTrial {
  readonly trial: number;
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** GET /api/sweeps/:id */
export interface SweepDetailResponse {
  readonly sweep: SweepHeader & { readonly configYaml: string; readonly definition: unknown };
  /** The config keys the trials vary. */
  readonly varied: readonly string[];
  readonly trials: readonly SweepTrial[];
  readonly bestRunId: number | null;
  readonly pending: readonly PendingTrial[];
  /** Per varied key, its share of importance (empty below 4 finished trials). */
  readonly importance: readonly { readonly key: string; readonly importance: number }[];
  /** How `importance` was computed. */
  readonly importanceMethod: string;
  /** The sweep's `repeats` (1 without). */
  readonly repeats: number;
  /** Per configuration, mean and std over its seeds (empty unless repeats > 1). */
  readonly configurations: readonly SweepConfiguration[];
  /** The settled configuration with the best mean ("best" with repeats); null for none. */
  readonly bestConfiguration: number | null;
}

/** GET /api/compare?runs= — config values that differ, each metric's final and best with winners. */
export interface CompareResponse {
  readonly runs: readonly RunListItem[];
  /** Per key, one value per run in the order of `runs`; null where a run lacks the key. */
  readonly params: readonly { readonly key: string; readonly values: readonly ParamValue[] }[];
  readonly metrics: readonly MetricComparison[];
  /** Metric keys that are settings (`train/learning_rate`): no best, no goal, no winner. */
  readonly unranked: readonly string[];
}

/** The live stream's events (`/api/events`), by event name. */
export interface StreamEvents {
  /** New points of a watched curve; the event id is the new cursor. */
  readonly points: CurveData;
  /** A watched run's summary, when its status changed. */
  readonly run: RunListItem;
  /** The list of runs changed (a run started, ended or was deleted). */
  readonly runs: { readonly changed: true };
  /** The store file appeared. */
  readonly store: { readonly ready: true };
}

/** Precision, recall, F1 and support (true examples) of one class. */
export interface ClassScoresItem {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** One evaluation of a run's saved model: the end of training, or a `runner eval`. */
export interface RunEvaluationItem {
  readonly id: number;
  readonly kind: 'training' | 'eval';
  readonly checkpoint: 'final' | 'best';
  /** `test`, `val`, or `data` (other data given to `runner eval`). */
  readonly split: string;
  readonly count: number;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly createdAt: number;
  /** Classification: class names by index, `counts[true][predicted]` and the scores. */
  readonly classes: readonly string[] | null;
  readonly counts: readonly (readonly number[])[] | null;
  readonly perClass: readonly ClassScoresItem[] | null;
  readonly macroF1: number | null;
  /** True when the evaluation kept its most confidently misclassified images (image classification). */
  readonly misclassified: boolean;
}

/** An eval image the final model got wrong, with how sure it was. */
export interface MisclassifiedItem {
  readonly index: number;
  /** The image file (`<class>/<file>` in its folder), when known. */
  readonly file?: string;
  readonly trueClass: string;
  readonly predictedClass: string;
  readonly probability: number;
  readonly trueProbability: number;
  /** A PNG data URL. */
  readonly image: string;
}

/** GET /api/runs/:id/evaluations/:evaluation/misclassified — one evaluation's wrong answers. */
export interface MisclassifiedGridResponse {
  readonly evaluationId: number;
  readonly split: string;
  readonly count: number;
  readonly wrong: number;
  /** Most confident first. */
  readonly examples: readonly MisclassifiedItem[];
}

/** GET /api/runs/:id/evaluations — oldest first, and the misclassified images of image runs. */
export interface RunEvaluationsResponse {
  readonly evaluations: readonly RunEvaluationItem[];
  /**
   * The most confidently misclassified images of the newest evaluation with a
   * confusion matrix (most confident first); null when it kept none.
   */
  readonly misclassified: MisclassifiedGridResponse | null;
}
