import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/**
 * The store's schema, as a list of forward migrations. `PRAGMA user_version` is the
 * number of migrations applied; a file with a higher number was written by a newer
 * runner and is refused. Never edit a migration that has shipped: add one.
 *
 * Public contract (README "The run store"): tables `runs`, `params`, `tags`, `sweeps`, `evaluations` and the
 * views `metrics`, `metric_points`, `run_params`, `run_metrics`, `run_summary`.
 * Values live in the compact `metric_values` table (integer key ids, time as a ms
 * offset from the run's start) so that a value costs about 30 bytes on disk.
 */

/** Identifies a runner store among SQLite files (`PRAGMA application_id`, "RUNR"). */
export const APPLICATION_ID = 0x52554e52;
/** The `meta` row that names the file's owner. */
export const META_APP = 'runner-store';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database, now: number) => void;
}

const STATUS_CHECK = `status IN ('running','completed','failed','interrupted','diverged','pruned')`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, params, sweeps, metric keys and values',
    up(db, now) {
      db.exec(`
        PRAGMA application_id = ${APPLICATION_ID};
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE sweeps (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('running','completed','interrupted','failed')),
          config_yaml TEXT NOT NULL,
          definition_json TEXT NOT NULL,
          metric TEXT NOT NULL,
          goal TEXT NOT NULL CHECK (goal IN ('minimize','maximize')),
          trial_count INTEGER NOT NULL,
          started_at INTEGER NOT NULL,
          ended_at INTEGER,
          host TEXT NOT NULL
        );
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL,
          status TEXT NOT NULL CHECK (${STATUS_CHECK}),
          started_at INTEGER NOT NULL,
          ended_at INTEGER,
          updated_at INTEGER NOT NULL,
          config_yaml TEXT NOT NULL,
          config_json TEXT NOT NULL,
          config_hash TEXT NOT NULL,
          seed INTEGER NOT NULL,
          backend TEXT NOT NULL,
          backend_reason TEXT,
          dataset TEXT NOT NULL,
          dataset_source TEXT,
          data_info TEXT,
          runner_version TEXT NOT NULL,
          tfjs_version TEXT NOT NULL,
          node_version TEXT NOT NULL,
          git_commit TEXT,
          host TEXT NOT NULL,
          pid INTEGER,
          artifacts_dir TEXT,
          error TEXT,
          diverged_at_step INTEGER,
          sweep_id INTEGER REFERENCES sweeps(id),
          trial_index INTEGER,
          parameter_count INTEGER,
          notices TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX runs_by_start ON runs (started_at);
        CREATE INDEX runs_by_sweep ON runs (sweep_id, trial_index);
        CREATE TABLE params (
          run_id INTEGER NOT NULL REFERENCES runs(id),
          key TEXT NOT NULL,
          value,
          PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX params_by_key ON params (key, value);
        CREATE TABLE metric_keys (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE,
          goal TEXT NOT NULL CHECK (goal IN ('minimize','maximize'))
        );
        CREATE TABLE metric_values (
          run_id INTEGER NOT NULL,
          key_id INTEGER NOT NULL,
          step INTEGER NOT NULL,
          epoch INTEGER NOT NULL,
          value REAL,
          t INTEGER NOT NULL,
          PRIMARY KEY (run_id, key_id, step)
        ) WITHOUT ROWID;
      `);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run(
        'app',
        META_APP,
        'created_at',
        new Date(now).toISOString(),
      );
    },
  },
  {
    version: 2,
    description: 'per-run metric summaries, kept up to date by the writer',
    up(db) {
      db.exec(`
        CREATE TABLE run_metric_summary (
          run_id INTEGER NOT NULL,
          key_id INTEGER NOT NULL,
          count INTEGER NOT NULL,
          last_step INTEGER NOT NULL,
          last_epoch INTEGER NOT NULL,
          last_value REAL,
          last_t INTEGER NOT NULL,
          min_value REAL,
          min_step INTEGER,
          max_value REAL,
          max_step INTEGER,
          PRIMARY KEY (run_id, key_id)
        ) WITHOUT ROWID;
        INSERT INTO run_metric_summary
          (run_id, key_id, count, last_step, last_epoch, last_value, last_t, min_value, min_step, max_value, max_step)
        SELECT g.run_id, g.key_id, g.n, l.step, l.epoch, l.value, l.t,
          g.mn, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mn),
          g.mx, (SELECT min(step) FROM metric_values m WHERE m.run_id = g.run_id AND m.key_id = g.key_id AND m.value = g.mx)
        FROM (SELECT run_id, key_id, count(*) AS n, max(step) AS last, min(value) AS mn, max(value) AS mx
              FROM metric_values GROUP BY run_id, key_id) AS g
        JOIN metric_values AS l ON l.run_id = g.run_id AND l.key_id = g.key_id AND l.step = g.last;
      `);
    },
  },
  {
    version: 3,
    description: 'evaluations of a run: at the end of training and by runner eval',
    up(db) {
      // One row per evaluation of a run's saved model. `kind` says who made it:
      // `training` at the end of a training run, `eval` by `runner eval`.
      // metrics_json: {"loss":..,"accuracy":..} or {"loss":..,"rmse":..,"mae":..};
      // classes_json: class names by index; confusion_json: counts, rows = true
      // class, columns = predicted class (classification only).
      db.exec(`
        CREATE TABLE evaluations (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          run_id INTEGER NOT NULL REFERENCES runs(id),
          kind TEXT NOT NULL CHECK (kind IN ('training','eval')),
          checkpoint TEXT NOT NULL CHECK (checkpoint IN ('final','best')),
          split TEXT NOT NULL,
          data_json TEXT NOT NULL,
          example_count INTEGER NOT NULL,
          metrics_json TEXT NOT NULL,
          classes_json TEXT,
          confusion_json TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX evaluations_by_run ON evaluations (run_id, id);
      `);
    },
  },
  {
    version: 4,
    description: "when a run's process started: a pid reused by another process is not the run's",
    up(db) {
      db.exec('ALTER TABLE runs ADD COLUMN pid_started_at INTEGER');
    },
  },
  {
    version: 5,
    description: 'tags and a note per run',
    up(db) {
      db.exec(`
        CREATE TABLE tags (
          run_id INTEGER NOT NULL REFERENCES runs(id),
          tag TEXT NOT NULL,
          PRIMARY KEY (run_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_tag ON tags (tag, run_id);
        ALTER TABLE runs ADD COLUMN note TEXT;
      `);
    },
  },
  {
    version: 6,
    description:
      "the store's own id: artifact folders are keyed by it, so two stores never share one",
    up(db) {
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)").run(
        newStoreId(),
      );
    },
  },
  {
    version: 7,
    description: "where a pruned trial stopped: its pruner's rung and the epoch, as fields",
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN pruned_rung INTEGER;
        ALTER TABLE runs ADD COLUMN pruned_epoch INTEGER;
      `);
    },
  },
  {
    version: 8,
    description:
      "a sweep's heartbeat: a sweep recorded on another host is alive while it beats (its pid means nothing here)",
    up(db) {
      db.exec(`
        ALTER TABLE sweeps ADD COLUMN updated_at INTEGER;
        UPDATE sweeps SET updated_at = COALESCE(ended_at, started_at);
      `);
    },
  },
];

/** A random id for a new store: 12 hex digits (48 bits) are plenty among one user's stores. */
export function newStoreId(): string {
  return randomBytes(6).toString('hex');
}

/** The schema version this runner writes. */
export const STORE_SCHEMA_VERSION: number = MIGRATIONS.length;

const iso = (ms: string): string => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

const metricColumn = (key: string, column: 'final' | 'best'): string => {
  const value =
    column === 'final'
      ? 's.last_value'
      : `CASE k.goal WHEN 'minimize' THEN s.min_value ELSE s.max_value END`;
  const name = `${column}_${key.replace(/[^a-z0-9]+/gi, '_')}`;
  return `(SELECT ${value} FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id
           WHERE s.run_id = r.id AND k.key = '${key}') AS ${name}`;
};

/**
 * The documented views, dropped and recreated whenever the schema version changes
 * (views hold no data, so this loses nothing). Times are epoch milliseconds;
 * `*_iso` / `started` / `ended` columns give the same instants as ISO-8601 text.
 */
export const VIEWS: readonly { readonly name: string; readonly sql: string }[] = [
  {
    name: 'metrics',
    sql: `SELECT v.run_id AS run_id, k.key AS key, v.step AS step, v.epoch AS epoch, v.value AS value,
            r.started_at + v.t AS time
          FROM metric_values v JOIN metric_keys k ON k.id = v.key_id JOIN runs r ON r.id = v.run_id`,
  },
  {
    name: 'metric_points',
    sql: `SELECT v.run_id AS run_id, r.name AS run_name, r.sweep_id AS sweep_id, k.key AS key,
            v.step AS step, v.epoch AS epoch, v.value AS value,
            r.started_at + v.t AS time, v.t / 1000.0 AS elapsed_s
          FROM metric_values v JOIN metric_keys k ON k.id = v.key_id JOIN runs r ON r.id = v.run_id`,
  },
  {
    name: 'run_params',
    sql: `SELECT p.run_id AS run_id, r.name AS run_name, r.status AS status, r.sweep_id AS sweep_id,
            p.key AS key, p.value AS value
          FROM params p JOIN runs r ON r.id = p.run_id`,
  },
  {
    name: 'run_metrics',
    sql: `SELECT s.run_id AS run_id, r.name AS run_name, k.key AS key, k.goal AS goal, s.count AS count,
            s.last_step AS last_step, s.last_epoch AS last_epoch, s.last_value AS final,
            CASE k.goal WHEN 'minimize' THEN s.min_value ELSE s.max_value END AS best,
            CASE k.goal WHEN 'minimize' THEN s.min_step ELSE s.max_step END AS best_step,
            s.min_value AS min, s.max_value AS max, r.started_at + s.last_t AS last_time
          FROM run_metric_summary s JOIN metric_keys k ON k.id = s.key_id JOIN runs r ON r.id = s.run_id`,
  },
  {
    name: 'run_summary',
    sql: `SELECT r.id AS id, r.name AS name, r.status AS status,
            r.started_at AS started_at, ${iso('r.started_at')} AS started,
            r.ended_at AS ended_at, CASE WHEN r.ended_at IS NULL THEN NULL ELSE ${iso('r.ended_at')} END AS ended,
            (coalesce(r.ended_at, r.updated_at) - r.started_at) / 1000.0 AS duration_s,
            r.sweep_id AS sweep_id, r.trial_index AS trial_index, r.seed AS seed,
            r.backend AS backend, r.dataset AS dataset, r.dataset_source AS dataset_source,
            r.config_hash AS config_hash, r.host AS host, r.error AS error,
            (SELECT group_concat(tag, ',') FROM (SELECT t.tag FROM tags t WHERE t.run_id = r.id ORDER BY t.tag)) AS tags,
            r.note AS note, r.pruned_rung AS pruned_rung, r.pruned_epoch AS pruned_epoch,
            (SELECT max(s.last_step) FROM run_metric_summary s WHERE s.run_id = r.id) AS steps,
            ${metricColumn('train/loss', 'final')}, ${metricColumn('train/accuracy', 'final')},
            ${metricColumn('train/epoch_loss', 'final')}, ${metricColumn('train/epoch_accuracy', 'final')},
            ${metricColumn('test/loss', 'final')}, ${metricColumn('test/accuracy', 'final')},
            ${metricColumn('test/loss', 'best')}, ${metricColumn('test/accuracy', 'best')},
            ${metricColumn('val/loss', 'final')}, ${metricColumn('val/accuracy', 'final')},
            ${metricColumn('val/loss', 'best')}, ${metricColumn('val/accuracy', 'best')}
          FROM runs r`,
  },
];

/** Drop and recreate every view (inside the migration transaction). */
export function recreateViews(db: Database): void {
  for (const view of VIEWS) {
    db.exec(`DROP VIEW IF EXISTS ${view.name}`);
    db.exec(`CREATE VIEW ${view.name} AS ${view.sql}`);
  }
}
