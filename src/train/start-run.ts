import { UsageError } from '../errors.js';
import {
  flattenConfig,
  openStore,
  processStartedAt,
  resolveStorePath,
  type MetricWriter,
  type RunOutcome,
  type Store,
} from '../store/index.js';
import { collectRunFacts } from './run-facts.js';

/** What `startRun` records about a run trained by your own loop. */
export interface StartRunOptions {
  /** The store: a path, a `postgres://` URL, or an open `Store`. Default `$RUNNER_DB`, else `runs/runner.db`. */
  readonly db?: string | Store;
  readonly name: string;
  /** Your hyperparameters, any plain JSON; flattened into `params` (`optimizer.lr` → 0.01) for `--where`. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly tags?: readonly string[];
  readonly note?: string;
  readonly seed?: number;
  /** What trains (e.g. `tensorflow`, `webgl`); default `custom`. */
  readonly backend?: string;
  readonly dataset?: string;
  /** Where a relative `db` and the git commit are looked up. Default `process.cwd()`. */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A run being recorded from your own loop; see `startRun`. */
export interface LoggedRun {
  readonly id: number;
  /** The store's printable path (a URL's password as `***`). */
  readonly storePath: string;
  /**
   * Record values at a step (synchronous: buffered, written in batched transactions at
   * least once a second, so the dashboard shows them live). `epoch` defaults to the last one given, else 0.
   */
  log(step: number, values: Readonly<Record<string, number>>, options?: { epoch?: number }): void;
  /** Flush everything and record how the run ended; closes the store if `startRun` opened it. */
  finish(status?: RunOutcome['status'], error?: string): Promise<void>;
}

/**
 * Record a run from your own training loop into the runner's store: the same tables as
 * `runner exp` (so `runs ls`, `--where`, `query` and the live dashboard show it).
 *
 * @example
 * const run = await startRun({ name: 'my-loop', config: { lr: 0.01 }, tags: ['custom'] });
 * for (let step = 1; step <= 100; step++) run.log(step, { 'train/loss': 1 / step });
 * await run.finish('completed');
 */
export async function startRun(options: StartRunOptions): Promise<LoggedRun> {
  if (typeof options.name !== 'string' || options.name.trim() === '') {
    throw new UsageError('startRun: name must be a non-empty string');
  }
  const cwd = options.cwd ?? process.cwd();
  const ownStore = typeof options.db !== 'object';
  const store =
    typeof options.db === 'object'
      ? options.db
      : await openStore(resolveStorePath(options.db, options.env ?? process.env, cwd));
  let writer: MetricWriter;
  let id: number;
  try {
    const config = options.config ?? {};
    const facts = collectRunFacts(config, cwd);
    const started = processStartedAt(process.pid);
    id = await store.createRun({
      name: options.name,
      configYaml: facts.configYaml,
      config,
      configHash: facts.configHash,
      params: flattenConfig(config),
      seed: options.seed ?? 0,
      backend: options.backend ?? 'custom',
      dataset: options.dataset ?? 'custom',
      versions: facts.versions,
      ...(facts.gitCommit ? { gitCommit: facts.gitCommit } : {}),
      host: facts.host,
      pid: process.pid,
      ...(typeof started === 'number' ? { pidStartedAt: started } : {}),
      ...(options.tags && options.tags.length > 0 ? { tags: options.tags } : {}),
      ...(options.note ? { note: options.note } : {}),
      notices: ['recorded by startRun (the library API) from its own training loop'],
    });
    writer = await store.createMetricWriter(id);
  } catch (error) {
    if (ownStore) await store.close();
    throw error;
  }
  let epoch = 0;
  let finished = false;
  return {
    id,
    storePath: store.path,
    log(step, values, logOptions = {}) {
      if (finished) throw new UsageError(`run ${id}: log after finish`);
      if (!Number.isSafeInteger(step) || step < 0) {
        throw new UsageError(`run ${id}: log step must be a whole number >= 0, found ${step}`);
      }
      if (logOptions.epoch !== undefined) {
        if (!Number.isSafeInteger(logOptions.epoch) || logOptions.epoch < 0) {
          throw new UsageError(
            `run ${id}: log epoch must be a whole number >= 0, found ${logOptions.epoch}`,
          );
        }
        epoch = logOptions.epoch;
      }
      for (const [key, value] of Object.entries(values)) {
        if (key === '' || typeof value !== 'number') {
          throw new UsageError(
            `run ${id}: log values are numbers by metric name (e.g. {"train/loss": 0.3}), found ${JSON.stringify(key)}: ${typeof value}`,
          );
        }
        writer.add(key, step, epoch, value);
      }
    },
    async finish(status = 'completed', error) {
      if (finished) return;
      finished = true;
      try {
        await writer.close();
        await store.finishRun(id, { status, ...(error !== undefined ? { error } : {}) });
      } finally {
        if (ownStore) await store.close();
      }
    },
  };
}
