// @ts-check
// The page's side of the JSON API and the live event stream. The response types are the routes' own
// (src/dashboard/api-types.ts), so a field renamed on one side fails typecheck on the other.

/** @typedef {import('../api-types.js').ApiErrorBody} ApiErrorBody */
/** @typedef {import('../api-types.js').CompareResponse} CompareResponse */
/** @typedef {import('../api-types.js').CurvesResponse} CurvesResponse */
/** @typedef {import('../api-types.js').RunDetailResponse} RunDetailResponse */
/** @typedef {import('../api-types.js').RunListResponse} RunListResponse */
/** @typedef {import('../api-types.js').NoteResponse} NoteResponse */
/** @typedef {import('../api-types.js').TagsResponse} TagsResponse */
/** @typedef {import('../api-types.js').RunEvaluationsResponse} RunEvaluationsResponse */
/** @typedef {import('../api-types.js').MisclassifiedGridResponse} MisclassifiedGridResponse */
/** @typedef {import('../api-types.js').StatusResponse} StatusResponse */
/** @typedef {import('../api-types.js').StreamCursor} StreamCursor */
/** @typedef {import('../api-types.js').StreamEvents} StreamEvents */
/** @typedef {import('../api-types.js').SweepDetailResponse} SweepDetailResponse */
/** @typedef {import('../api-types.js').SweepListResponse} SweepListResponse */

/** @typedef {string | number | readonly (string | number)[] | null | undefined} QueryValue */

/** An API error with the server's message (404 of an unknown run, 400 of a bad parameter). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * GET a JSON route. The body is trusted to be `T`: the server builds it from the same type.
 *
 * @template T
 * @param {string} path
 * @param {Record<string, QueryValue>} [params] empty values are left out, lists joined by commas
 * @returns {Promise<T>}
 */
export async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '')
      query.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const text = query.toString();
  const url = text ? `${path}?${text}` : path;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = /** @type {Partial<ApiErrorBody>} */ (body).error;
    throw new ApiError(
      response.status,
      error?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return body;
}

/**
 * A write (the run page's note and tags): JSON in, JSON out, errors as `ApiError` with the
 * server's one line (405 when the dashboard is read-only).
 *
 * @template T
 * @param {'PUT' | 'POST'} method
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export async function sendJson(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = /** @type {Partial<ApiErrorBody>} */ (answer).error;
    throw new ApiError(
      response.status,
      error?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return answer;
}

/** @typedef {{ name?: string, status?: string, sweep?: string, tag?: string, limit?: number }} RunFilters */

export const api = {
  /** @returns {Promise<StatusResponse>} */
  status: () => getJson('/api/status'),
  /**
   * @param {RunFilters} filters
   * @returns {Promise<RunListResponse>}
   */
  runs: (filters) => getJson('/api/runs', filters),
  /**
   * @param {number} id
   * @returns {Promise<RunDetailResponse>}
   */
  run: (id) => getJson(`/api/runs/${id}`),
  /**
   * @param {number} id
   * @returns {Promise<RunEvaluationsResponse>}
   */
  evaluations: (id) => getJson(`/api/runs/${id}/evaluations`),
  /**
   * @param {number} id
   * @param {number} evaluationId
   * @returns {Promise<MisclassifiedGridResponse>}
   */
  misclassified: (id, evaluationId) =>
    getJson(`/api/runs/${id}/evaluations/${evaluationId}/misclassified`),
  /**
   * @param {readonly number[]} runIds
   * @param {readonly string[]} keys
   * @param {number} maxPoints
   * @returns {Promise<CurvesResponse>}
   */
  curves: (runIds, keys, maxPoints) => getJson('/api/curves', { runs: runIds, keys, maxPoints }),
  /**
   * @param {number} id
   * @param {string | null} note null or blank clears it
   * @returns {Promise<NoteResponse>}
   */
  setNote: (id, note) => sendJson('PUT', `/api/runs/${id}/note`, { note }),
  /**
   * @param {number} id
   * @param {{ add?: readonly string[], remove?: readonly string[] }} change
   * @returns {Promise<TagsResponse>}
   */
  changeTags: (id, change) => sendJson('POST', `/api/runs/${id}/tags`, change),
  /** @returns {Promise<SweepListResponse>} */
  sweeps: () => getJson('/api/sweeps'),
  /**
   * @param {number} id
   * @returns {Promise<SweepDetailResponse>}
   */
  sweep: (id) => getJson(`/api/sweeps/${id}`),
  /**
   * @param {readonly number[]} runIds
   * @returns {Promise<CompareResponse>}
   */
  compare: (runIds) => getJson('/api/compare', { runs: runIds }),
  /**
   * @param {readonly number[]} runIds
   * @param {readonly string[]} keys
   */
  csvUrl: (runIds, keys) =>
    `/api/curves.csv?${new URLSearchParams({ runs: runIds.join(','), keys: keys.join(',') })}`,
};

/**
 * What the page does with the stream's events.
 *
 * @typedef {object} StreamHandlers
 * @property {(data: StreamEvents['points']) => void} points
 * @property {(data: StreamEvents['run']) => void} run
 * @property {() => void} runs the list of runs changed, or the store appeared
 * @property {(connected: boolean) => void} connection
 */

/**
 * One EventSource for the page: new points of the watched runs, their status
 * changes, and changes to the list of runs. Reopened when the watched runs
 * change; the cursor (last step per run and key) makes sure no point is lost
 * or repeated across reconnects.
 */
export class LiveStream {
  /** @param {StreamHandlers} handlers */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {EventSource | null} */
    this.source = null;
    this.connected = false;
  }

  /**
   * @param {readonly number[]} runIds
   * @param {readonly string[]} keys
   * @param {StreamCursor} cursor
   * @param {Record<number, string>} [shown] the state the page shows of each run
   */
  watch(runIds, keys, cursor, shown = {}) {
    this.close();
    const params = new URLSearchParams({ keys: keys.join(','), cursor: JSON.stringify(cursor) });
    if (runIds.length > 0) params.set('runs', runIds.join(','));
    const states = Object.entries(shown).map(([id, status]) => `${id}:${status}`);
    if (states.length > 0) params.set('states', states.join(','));
    const source = new EventSource(`/api/events?${params}`);
    this.source = source;
    /**
     * @template {keyof StreamEvents} E
     * @param {E} event
     * @param {(data: StreamEvents[E]) => void} handler
     */
    const on = (event, handler) =>
      source.addEventListener(event, (e) => {
        if (this.source === source)
          handler(JSON.parse(/** @type {MessageEvent<string>} */ (e).data));
      });
    on('points', (data) => this.handlers.points(data));
    on('run', (data) => this.handlers.run(data));
    on('runs', () => this.handlers.runs());
    on('store', () => this.handlers.runs());
    source.addEventListener('open', () => this.setConnected(true));
    source.addEventListener('error', () =>
      this.setConnected(source.readyState === EventSource.OPEN),
    );
  }

  /** @param {boolean} connected */
  setConnected(connected) {
    if (connected === this.connected) return;
    this.connected = connected;
    this.handlers.connection(connected);
  }

  close() {
    this.source?.close();
    this.source = null;
  }
}
