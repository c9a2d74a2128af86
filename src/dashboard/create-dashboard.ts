import { evaluationMisclassifiedRoute, runEvaluationsRoute } from './evaluations-route.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import { RunnerError } from '../errors.js';
import type { Store } from '../store/index.js';
import {
  compareRoute,
  curveCsv,
  curvesRoute,
  DEFAULT_CURVE_KEYS,
  listRunsRoute,
  listSweepsRoute,
  runDetailRoute,
  sweepDetailRoute,
  type ApiRequest,
  type ApiResult,
} from './api-routes.js';
import type { StatusResponse } from './api-types.js';
import {
  createStorePoller,
  openEventStream,
  parseStreamCursor,
  type EventStream,
  type StorePoller,
} from './event-stream.js';
import { parseIdList, parseKeyList, parseKnownStates, parsePositiveInt } from './query-params.js';
import { sendApiError, sendBody, sendErrorPage, sendJson } from './responses.js';
import { createAssetTable, readAsset } from './static-assets.js';
import type { StoreProvider } from './store-source.js';
import { RUNNER_VERSION } from '../version.js';
import { handleWrite, isWriteRoute } from './write-routes.js';

export interface DashboardOptions {
  /** The store, opened read-only; or a provider returning undefined while there is none yet. */
  readonly store: Store | StoreProvider;
  /** Shown on the page and in `/api/status`. */
  readonly storePath?: string;
  /** Why the store is not available yet (e.g. the file is not a runner store), for the empty state. */
  readonly storeProblem?: () => string | undefined;
  readonly logger?: Logger;
  /** How often an event stream reads the store for new points. Default 300 ms. */
  readonly pollIntervalMs?: number;
  /** Comment lines that keep an idle event stream open. Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Host names the page may be reached by (`Host` header). Set when bound to
   * loopback, so a web page elsewhere cannot read runs through DNS rebinding.
   * Undefined: any host.
   */
  readonly allowedHosts?: readonly string[];
  /** Event streams open at once; past this, `/api/stream` answers 503. Default `MAX_EVENT_STREAMS`. */
  readonly maxStreams?: number;
  /**
   * Opens the store for writing, for the page's note and tag edits (write-routes.ts); closed
   * after each. Undefined: the dashboard is read-only and every write is 405.
   */
  readonly openWriter?: () => Promise<Store>;
}

/**
 * Event streams one dashboard keeps open at once: each polls the store, so
 * thousands of them would take a core and starve `/api/runs`. A page opens one.
 */
export const MAX_EVENT_STREAMS = 100;

/** The dashboard's request handler; `close` ends its open event streams. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

type Handler = (request: RouteRequest) => void | Promise<void>;

interface RouteRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly params: readonly string[];
  readonly store: Store | undefined;
}

/**
 * The dashboard as a `node:http` request handler: JSON API, server-sent
 * events, the page and its allow-listed assets. Only GET (and HEAD) are
 * answered, and with `openWriter` the note and tag edits of write-routes.ts; everything else is 405. Unknown paths, runs and sweeps are 404.
 *
 * @example
 * const handler = createDashboard({ store: openStore(path, { readonly: true }) });
 * http.createServer(handler).listen(6006, '127.0.0.1');
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  const getStore: StoreProvider =
    typeof options.store === 'function' ? options.store : constant(options.store);
  const logger = options.logger ?? pino({ enabled: false });
  const assets = createAssetTable();
  const streams = new Set<EventStream>();
  const allowedHosts = options.allowedHosts
    ? new Set(options.allowedHosts.map((h) => h.toLowerCase()))
    : undefined;

  const api = <T>(route: (request: ApiRequest) => Promise<ApiResult<T>>): Handler => {
    return async ({ res, query, params, store }) => {
      const result = await route({ store, query, params });
      sendJson(res, result.status, result.body);
    };
  };

  const page = (
    exists?: (store: Store | undefined, params: readonly string[]) => Promise<string | undefined>,
  ): Handler => {
    return async ({ res, store, params }) => {
      const missing = await exists?.(store, params);
      if (missing !== undefined) {
        sendErrorPage(res, 404, 'Not found', missing);
        return;
      }
      await sendAsset(res, '/');
    };
  };

  const sendAsset = async (res: ServerResponse, path: string): Promise<void> => {
    const asset = assets.get(path);
    if (!asset) {
      sendErrorPage(res, 404, 'Not found', `There is no page at ${path}.`);
      return;
    }
    sendBody(res, 200, asset.contentType, await readAsset(asset));
  };

  const routes: readonly (readonly [RegExp, Handler])[] = [
    [/^\/api\/status$/, ({ res, store }) => sendJson(res, 200, statusBody(store))],
    [/^\/api\/runs$/, api(listRunsRoute)],
    [/^\/api\/runs\/([^/]+)$/, api(runDetailRoute)],
    [/^\/api\/runs\/([^/]+)\/evaluations$/, api(runEvaluationsRoute)],
    [
      /^\/api\/runs\/([^/]+)\/evaluations\/([^/]+)\/misclassified$/,
      api(evaluationMisclassifiedRoute),
    ],
    [/^\/api\/curves$/, api(curvesRoute)],
    [/^\/api\/curves\.csv$/, curvesCsv],
    [/^\/api\/sweeps$/, api(listSweepsRoute)],
    [/^\/api\/sweeps\/([^/]+)$/, api(sweepDetailRoute)],
    [/^\/api\/compare$/, api(compareRoute)],
    [/^\/api\/events$/, eventStream],
    [/^\/$/, page()],
    [
      /^\/runs\/([^/]+)$/,
      page(async (store, [id]) =>
        (await findRun(store, id)) ? undefined : `There is no run ${id} in this store.`,
      ),
    ],
    [/^\/sweeps$/, page()],
    [
      /^\/sweeps\/([^/]+)$/,
      page(async (store, [id]) =>
        (await findSweep(store, id)) ? undefined : `There is no sweep ${id} in this store.`,
      ),
    ],
    [/^\/compare$/, page()],
    [
      /^\/(?:static|vendor|format)\/[A-Za-z0-9._-]+$/,
      ({ req, res }) => sendAsset(res, pathOf(req.url)),
    ],
  ];

  function statusBody(store: Store | undefined): StatusResponse {
    return {
      version: RUNNER_VERSION,
      storePath: options.storePath ?? store?.path ?? null,
      storeReady: store !== undefined,
      storeProblem: options.storeProblem?.() ?? null,
      editable: options.openWriter !== undefined,
    };
  }

  async function curvesCsv({ res, query, store }: RouteRequest): Promise<void> {
    const runIds = parseIdList(query, 'runs', { min: 1, max: 50 });
    const keys = parseKeyList(query, DEFAULT_CURVE_KEYS, 20);
    const missing = store ? await store.missingRuns(runIds) : runIds;
    if (!store || missing.length > 0) {
      sendApiError(res, 404, `no run ${missing.join(', ')} in this store`);
      return;
    }
    const name = `runner-runs-${runIds.join('-')}.csv`;
    sendBody(res, 200, 'text/csv; charset=utf-8', await curveCsv(store, runIds, keys), {
      'content-disposition': `attachment; filename="${name}"`,
    });
  }

  /** One poll of the store for every open stream, made with the first one. */
  let poller: StorePoller | undefined;

  function eventStream({ req, res, query }: RouteRequest): void {
    if (req.method === 'HEAD') {
      sendBody(res, 200, 'text/event-stream; charset=utf-8', '');
      return;
    }
    const maxStreams = options.maxStreams ?? MAX_EVENT_STREAMS;
    if (streams.size >= maxStreams) {
      res.setHeader('retry-after', '5');
      sendApiError(
        res,
        503,
        `too many live streams open (${maxStreams}); close other dashboard tabs or try again`,
      );
      return;
    }
    const runIds = query.get('runs') ? parseIdList(query, 'runs', { min: 0, max: 50 }) : [];
    const keys = parseKeyList(query, DEFAULT_CURVE_KEYS, 20);
    const cursor = parseStreamCursor(headerOf(req, 'last-event-id'), query.get('cursor'));
    const stream = openEventStream(req, res, {
      runIds,
      keys,
      cursor,
      knownStates: parseKnownStates(query),
      poller: (poller ??= createStorePoller({
        getStore,
        pollIntervalMs: options.pollIntervalMs ?? 300,
        logger,
      })),
      heartbeatMs: options.heartbeatMs ?? 15_000,
      maxBurstPoints: 2_000,
    });
    streams.add(stream);
    res.on('close', () => streams.delete(stream));
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      // A route that throws must not take the server down: answer 500 (or 503 for a busy store).
      logger.error({ err: error, url: req.url }, 'dashboard: request failed');
      const status = error instanceof RunnerError && error.kind === 'store' ? 503 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendApiError(res, status, message);
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (allowedHosts && !allowedHosts.has(hostnameOf(req))) {
      sendBody(res, 403, 'text/plain; charset=utf-8', 'Forbidden: unexpected Host header\n');
      return;
    }
    if (options.openWriter && isWriteRoute(req.method, pathOf(req.url))) {
      await handleWrite(req, res, pathOf(req.url), options.openWriter);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendBody(
        res,
        405,
        'text/plain; charset=utf-8',
        'Method not allowed: the dashboard is read-only\n',
        {
          allow: 'GET, HEAD',
        },
      );
      return;
    }
    const url = req.url ?? '/';
    const path = pathOf(url);
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const isApi = path.startsWith('/api/');
    if (!isSafePath(path)) {
      notFound(res, isApi, path);
      return;
    }
    for (const [pattern, route] of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      try {
        await route({ req, res, query, params: match.slice(1), store: getStore() });
      } catch (error) {
        if (error instanceof RunnerError && error.kind === 'usage') {
          sendApiError(res, 400, error.message);
          return;
        }
        throw error;
      }
      return;
    }
    notFound(res, isApi, path);
  }

  return Object.assign(handler, {
    close() {
      for (const stream of streams) stream.close();
      poller?.close();
      streams.clear();
    },
  });
}

function notFound(res: ServerResponse, isApi: boolean, path: string): void {
  if (isApi) sendApiError(res, 404, `no API route ${path}`);
  else sendErrorPage(res, 404, 'Not found', 'There is no page at this address.');
}

/** The raw path, undecoded: `%2e%2e` and `%2f` stay as they are and match no route. */
function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const end = raw.search(/[?#]/);
  return end < 0 ? raw : raw.slice(0, end);
}

/** Paths are matched literally against the routes; anything that looks like traversal is refused early. */
function isSafePath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !/%|\\|\/\.\.?(?:\/|$)|\0/.test(path);
}

async function findRun(store: Store | undefined, id: string | undefined): Promise<boolean> {
  const runId = parsePositiveInt(id ?? '');
  return (
    store !== undefined && runId !== undefined && (await store.missingRuns([runId])).length === 0
  );
}

async function findSweep(store: Store | undefined, id: string | undefined): Promise<boolean> {
  const sweepId = parsePositiveInt(id ?? '');
  return (
    store !== undefined && sweepId !== undefined && (await store.getSweep(sweepId)) !== undefined
  );
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `localhost:6006` → `localhost`, `[::1]:6006` → `[::1]`. */
function hostnameOf(req: IncomingMessage): string {
  const host = (headerOf(req, 'host') ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function constant(store: Store): StoreProvider {
  return () => store;
}
