import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import type { CurvePoint, LivenessProbe, RunState, RunSummary, Store } from '../store/index.js';
import { curveColumns, runListItem } from './api-routes.js';
import { downsample, localLivenessProbe, runState } from '../store/index.js';
import type { StreamCursor, StreamEvents } from './api-types.js';
import type { StoreProvider } from './store-source.js';

export type { StreamCursor };

export interface EventStreamOptions {
  readonly runIds: readonly number[];
  readonly keys: readonly string[];
  /** Where the client's curves end; points after it are sent. Keys absent here are sent from their start. */
  readonly cursor: StreamCursor;
  /** The state the client last saw of each watched run: a different one is sent at once. */
  readonly knownStates?: ReadonlyMap<number, RunState>;
  /** The dashboard's one poller of its store, shared by every open stream. */
  readonly poller: StorePoller;
  readonly heartbeatMs: number;
  /** A burst bigger than this (a client far behind) is downsampled before it is sent. */
  readonly maxBurstPoints: number;
}

/** An open server-sent-events stream; `close` ends it from the server side. */
export interface EventStream {
  close(): void;
}

/** What one poll of the store read, handed to every stream. */
interface PollResult {
  readonly store: Store;
  /** Changes when a run starts, ends, is deleted or is found lost. */
  readonly listSignature: string;
  readonly summaries: ReadonlyMap<number, RunSummary>;
  readonly probe: LivenessProbe;
  /** Points of a watched curve after the smallest cursor any stream had for it. */
  readonly points: ReadonlyMap<string, readonly CurvePoint[]>;
}

interface Subscriber {
  /** False while its client is not reading (it is skipped, its cursor stays behind). */
  ready(): boolean;
  /** The curves it still follows, with where each ends for it. */
  wanted(): Iterable<{ runId: number; key: string; after: number | undefined }>;
  readonly runIds: readonly number[];
  deliver(result: PollResult): void;
}

/** One poll of a store for all the dashboard's event streams (3,000 streams used to poll 3,000 times). */
export interface StorePoller {
  subscribe(subscriber: Subscriber): () => void;
  /** Whether the store is open (the page is out of its empty state). */
  hasStore(): boolean;
  /** Stops polling (the dashboard closed). */
  close(): void;
}

const curveKey = (runId: number, key: string): string => `${runId}\u0000${key}`;

/**
 * Polls the store every `pollIntervalMs` while at least one stream is open, and hands what it
 * read to every stream: one read of the run list, one of the watched runs' summaries, and one
 * read per watched curve (from the oldest cursor among the streams that watch it), however many
 * clients are connected. One poll at a time: a slow store skips ticks instead of piling up reads.
 */
export function createStorePoller(options: {
  readonly getStore: StoreProvider;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
}): StorePoller {
  const subscribers = new Set<Subscriber>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  /** A change was announced while a poll ran: poll again after it. */
  let pollAgain = false;
  /** The store being watched for changes (PostgreSQL's NOTIFY) and how to stop. */
  let watched: { store: Store; stop: Promise<(() => Promise<void>) | undefined> } | undefined;

  const unwatch = (): void => {
    const stop = watched?.stop;
    watched = undefined;
    void stop?.then((fn) => fn?.()).catch(() => undefined);
  };
  /** A store that announces changes is read at once when one comes, not at the next tick. */
  const watch = (store: Store): void => {
    if (watched?.store === store || !store.watchChanges) return;
    unwatch();
    watched = {
      store,
      stop: store
        .watchChanges(() => {
          if (polling) pollAgain = true;
          else void poll();
        })
        .catch((error: unknown) => {
          options.logger.warn({ err: error }, 'dashboard: cannot listen for store changes');
          return undefined;
        }),
    };
  };

  const poll = async (): Promise<void> => {
    if (polling || subscribers.size === 0) return;
    const store = options.getStore();
    if (!store) return;
    watch(store);
    polling = true;
    pollAgain = false;
    try {
      const active = [...subscribers].filter((s) => s.ready());
      if (active.length === 0) return;
      const row = (
        await store.query(
          "select count(*), coalesce(max(id), 0), coalesce(sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) from runs",
        )
      ).rows[0];
      // A run found lost changes the list too, though nothing in the store changed.
      const probe = localLivenessProbe();
      const running = await store.listRuns({ status: 'running' });
      const lost = running.filter((run) => runState(run, probe) === 'lost').map((run) => run.id);
      const ids = [...new Set(active.flatMap((s) => s.runIds))];
      const summaries = new Map(
        (ids.length > 0 ? await store.listRuns({ ids }) : []).map((run) => [run.id, run]),
      );
      // Summaries are read before points: a run that just ended has its last points read below.
      const wanted = new Map<string, { runId: number; key: string; after: number | undefined }>();
      for (const subscriber of active) {
        for (const curve of subscriber.wanted()) {
          const id = curveKey(curve.runId, curve.key);
          const seen = wanted.get(id);
          if (!seen) wanted.set(id, { ...curve });
          else if (
            seen.after !== undefined &&
            (curve.after === undefined || curve.after < seen.after)
          )
            seen.after = curve.after;
        }
      }
      const points = new Map<string, readonly CurvePoint[]>();
      for (const [id, { runId, key, after }] of wanted) {
        points.set(
          id,
          await store.getCurve(runId, key, after === undefined ? {} : { afterStep: after }),
        );
      }
      const result = {
        store,
        listSignature: JSON.stringify([row ?? [], lost]),
        summaries,
        probe,
        points,
      };
      for (const subscriber of active) subscriber.deliver(result);
    } catch (error) {
      // A store busy beyond its timeout, or a file replaced under us: try again at the next tick.
      options.logger.warn({ err: error }, 'dashboard: event stream poll failed');
    } finally {
      polling = false;
    }
    if (pollAgain) void poll();
  };

  return {
    hasStore: () => options.getStore() !== undefined,
    subscribe(subscriber) {
      subscribers.add(subscriber);
      timer ??= setInterval(() => void poll(), options.pollIntervalMs);
      void poll();
      return () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          unwatch();
        }
      };
    },
    close() {
      subscribers.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
      unwatch();
    },
  };
}

/**
 * Server-sent events for the live page, fed by the dashboard's shared `StorePoller`:
 * - `points`: new values of a watched curve (`{runId, key, step[], epoch[], time[], value[]}`),
 *   with the new cursor as the event id, so a reconnecting EventSource resumes where it was;
 * - `run`: a watched run's summary when its status (or liveness) changes;
 * - `runs`: a hint that the list of runs changed (a run started, ended, was deleted or lost);
 * - `store`: the store file appeared (the page leaves its empty state).
 * A comment line is sent as a heartbeat so proxies and the browser keep it open.
 * The stream leaves the poller and its timers are cleared when the client goes away.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: EventStreamOptions,
): EventStream {
  const { runIds, keys } = options;
  const cursor: StreamCursor = structuredClone(options.cursor);
  const states = new Map<number, RunState>(options.knownStates);
  /** Runs whose points are still followed: all watched runs until they end (then one last read). */
  const live = new Set(runIds);
  let listSignature: string | undefined;
  let hadStore = options.poller.hasStore();
  let closed = false;
  let waitingForDrain = false;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  write('retry: 1000\n: connected\n\n');

  const deliver = (result: PollResult): void => {
    if (!hadStore) {
      hadStore = true;
      send('store', { ready: true });
    }
    if (listSignature !== undefined && result.listSignature !== listSignature)
      send('runs', { changed: true });
    listSignature = result.listSignature;
    for (const runId of runIds) {
      const run = result.summaries.get(runId);
      if (!run) continue;
      const before = states.get(runId);
      const state = runState(run, result.probe);
      states.set(runId, state);
      if (!live.has(runId)) continue;
      for (const key of keys) sendNewPoints(runId, key, result.points.get(curveKey(runId, key)));
      if (before !== undefined && before !== state) send('run', runListItem(run, result.probe));
      // A lost run is still followed: its process may be on a host whose heartbeats come late.
      if (run.status !== 'running') live.delete(runId);
    }
  };

  const sendNewPoints = (
    runId: number,
    key: string,
    read: readonly CurvePoint[] | undefined,
  ): void => {
    const runCursor = (cursor[runId] ??= {});
    const after = runCursor[key];
    const points = after === undefined ? (read ?? []) : (read ?? []).filter((p) => p.step > after);
    if (points.length === 0) return;
    runCursor[key] = points[points.length - 1]!.step;
    const sent =
      points.length > options.maxBurstPoints ? downsample(points, options.maxBurstPoints) : points;
    send(
      'points',
      { runId, key, total: points.length, ...curveColumns(sent) },
      JSON.stringify(cursor),
    );
  };

  function send<E extends keyof StreamEvents>(event: E, data: StreamEvents[E], id?: string): void {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  function write(chunk: string): void {
    if (closed || res.destroyed || res.writableEnded) return;
    if (!res.write(chunk)) {
      // The client is not reading: it is skipped until its buffer drains, so memory stays flat.
      waitingForDrain = true;
      res.once('drain', () => {
        waitingForDrain = false;
      });
    }
  }

  const unsubscribe = options.poller.subscribe({
    runIds,
    ready: () => !closed && !waitingForDrain,
    *wanted() {
      for (const runId of live)
        for (const key of keys) yield { runId, key, after: cursor[runId]?.[key] };
    },
    deliver,
  });
  const heartbeatTimer = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeatTimer);
    if (!res.writableEnded) res.end();
  };
  req.on('close', close);
  res.on('close', close);
  res.on('error', close);
  return { close };
}

/**
 * The client's cursor: the `Last-Event-ID` header of a reconnecting
 * EventSource wins over the `cursor` query parameter of the first connect.
 */
export function parseStreamCursor(header: string | undefined, query: string | null): StreamCursor {
  const raw = header ?? query;
  if (raw === null || raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError(
      'cursor: not valid JSON (expected {"<run id>": {"<metric key>": <last step>}})',
    );
  }
  const cursor: StreamCursor = {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('cursor: expected an object {"<run id>": {"<metric key>": <last step>}}');
  }
  for (const [runId, steps] of Object.entries(parsed)) {
    if (typeof steps !== 'object' || steps === null || Array.isArray(steps)) {
      throw new UsageError(`cursor: run ${runId} should map metric keys to steps`);
    }
    const keys: Record<string, number> = {};
    for (const [key, step] of Object.entries(steps as Record<string, unknown>)) {
      if (typeof step !== 'number' || !Number.isFinite(step)) {
        throw new UsageError(`cursor: step of ${runId}/${key} should be a number`);
      }
      keys[key] = step;
    }
    cursor[runId] = keys;
  }
  return cursor;
}
