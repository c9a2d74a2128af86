import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';
import type { RunState, Store } from '../store/index.js';
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
  readonly getStore: StoreProvider;
  readonly pollIntervalMs: number;
  readonly heartbeatMs: number;
  /** A burst bigger than this (a client far behind) is downsampled before it is sent. */
  readonly maxBurstPoints: number;
  readonly logger: Logger;
}

/** An open server-sent-events stream; `close` ends it from the server side. */
export interface EventStream {
  close(): void;
}

/**
 * Server-sent events for the live page. Every `pollIntervalMs` it reads the
 * store from the client's cursor and sends:
 * - `points`: new values of a watched curve (`{runId, key, step[], epoch[], time[], value[]}`),
 *   with the new cursor as the event id, so a reconnecting EventSource resumes where it was;
 * - `run`: a watched run's summary when its status changes;
 * - `runs`: a hint that the list of runs changed (a run started, ended or was deleted);
 * - `store`: the store file appeared (the page leaves its empty state).
 * A comment line is sent as a heartbeat so proxies and the browser keep it open.
 * Polling stops and timers are cleared when the client goes away.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: EventStreamOptions,
): EventStream {
  const { runIds, keys, getStore, logger } = options;
  const cursor: StreamCursor = structuredClone(options.cursor);
  const statuses = new Map<number, RunState>();
  /** Runs whose points are still polled: all watched runs until they end (then one last read). */
  const live = new Set(runIds);
  let listSignature: string | undefined;
  let hadStore = getStore() !== undefined;
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

  let polling = false;
  const poll = async (): Promise<void> => {
    if (closed || waitingForDrain || polling) return;
    const store = getStore();
    if (!store) return;
    // One poll at a time: a slow store skips ticks instead of piling up reads.
    polling = true;
    try {
      if (!hadStore) {
        hadStore = true;
        send('store', { ready: true });
      }
      await pollRunList(store);
      await pollRuns(store);
    } catch (error) {
      // A store busy beyond its timeout, or a file replaced under us: try again at the next tick.
      logger.warn({ err: error }, 'dashboard: event stream poll failed');
    } finally {
      polling = false;
    }
  };

  const pollRunList = async (store: Store): Promise<void> => {
    const row = (
      await store.query(
        "select count(*), coalesce(max(id), 0), coalesce(sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) from runs",
      )
    ).rows[0];
    // A run found lost changes the list too, though nothing in the store changed.
    const running = await store.listRuns({ status: 'running' });
    const probe = localLivenessProbe();
    const lost = running.filter((run) => runState(run, probe) === 'lost').map((run) => run.id);
    const signature = JSON.stringify([row ?? [], lost]);
    if (listSignature !== undefined && signature !== listSignature) send('runs', { changed: true });
    listSignature = signature;
  };

  const pollRuns = async (store: Store): Promise<void> => {
    if (runIds.length === 0) return;
    const summaries = await store.listRuns({ ids: runIds });
    const probe = localLivenessProbe();
    for (const run of summaries) {
      const before = statuses.get(run.id);
      const state = runState(run, probe);
      statuses.set(run.id, state);
      if (!live.has(run.id)) continue;
      await sendNewPoints(store, run.id);
      if (before !== undefined && before !== state) send('run', runListItem(run, probe));
      // Points are read before the status: a run that just ended had its last points read above.
      // A lost run is still read: its process may be on a host whose heartbeats come late.
      if (run.status !== 'running') live.delete(run.id);
    }
  };

  const sendNewPoints = async (store: Store, runId: number): Promise<void> => {
    const runCursor = (cursor[runId] ??= {});
    for (const key of keys) {
      const after = runCursor[key];
      const points = await store.getCurve(
        runId,
        key,
        after === undefined ? {} : { afterStep: after },
      );
      if (points.length === 0) continue;
      runCursor[key] = points[points.length - 1]!.step;
      const sent =
        points.length > options.maxBurstPoints
          ? downsample(points, options.maxBurstPoints)
          : points;
      send(
        'points',
        { runId, key, total: points.length, ...curveColumns(sent) },
        JSON.stringify(cursor),
      );
    }
  };

  function send<E extends keyof StreamEvents>(event: E, data: StreamEvents[E], id?: string): void {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  function write(chunk: string): void {
    if (closed || res.destroyed || res.writableEnded) return;
    if (!res.write(chunk)) {
      // The client is not reading: stop polling until its buffer drains, so memory stays flat.
      waitingForDrain = true;
      res.once('drain', () => {
        waitingForDrain = false;
      });
    }
  }

  const pollTimer = setInterval(() => void poll(), options.pollIntervalMs);
  const heartbeatTimer = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(pollTimer);
    clearInterval(heartbeatTimer);
    if (!res.writableEnded) res.end();
  };
  req.on('close', close);
  res.on('close', close);
  res.on('error', close);
  void poll();
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
