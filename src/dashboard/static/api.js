// The page's side of the JSON API and the live event stream.

/** An API error with the server's message (404 of an unknown run, 400 of a bad parameter). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

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
  if (!response.ok)
    throw new ApiError(
      response.status,
      body?.error?.message ?? `${response.status} ${response.statusText}`,
    );
  return body;
}

export const api = {
  status: () => getJson('/api/status'),
  runs: (filters) => getJson('/api/runs', filters),
  run: (id) => getJson(`/api/runs/${id}`),
  curves: (runIds, keys, maxPoints) => getJson('/api/curves', { runs: runIds, keys, maxPoints }),
  sweeps: () => getJson('/api/sweeps'),
  sweep: (id) => getJson(`/api/sweeps/${id}`),
  compare: (runIds) => getJson('/api/compare', { runs: runIds }),
  csvUrl: (runIds, keys) =>
    `/api/curves.csv?${new URLSearchParams({ runs: runIds.join(','), keys: keys.join(',') })}`,
};

/**
 * One EventSource for the page: new points of the watched runs, their status
 * changes, and changes to the list of runs. Reopened when the watched runs
 * change; the cursor (last step per run and key) makes sure no point is lost
 * or repeated across reconnects.
 */
export class LiveStream {
  constructor(handlers) {
    this.handlers = handlers;
    this.source = null;
    this.connected = false;
  }

  watch(runIds, keys, cursor) {
    this.close();
    const params = new URLSearchParams({ keys: keys.join(','), cursor: JSON.stringify(cursor) });
    if (runIds.length > 0) params.set('runs', runIds.join(','));
    const source = new EventSource(`/api/events?${params}`);
    this.source = source;
    const on = (event, handler) =>
      source.addEventListener(event, (e) => {
        if (this.source === source) handler(JSON.parse(e.data));
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
