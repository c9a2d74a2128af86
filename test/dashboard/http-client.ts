import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A request with the path sent exactly as given: `fetch` and `URL` would
 * normalise `/../` and `%2e%2e` on the client side, hiding what the server does.
 */
export function rawRequest(
  port: number,
  path: string,
  options: { readonly method?: string; readonly headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T = Record<string, unknown>>(
  port: number,
  path: string,
): Promise<{ status: number; body: T }> {
  const res = await rawRequest(port, path);
  return { status: res.status, body: JSON.parse(res.body) as T };
}

export interface ServerSentEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
  /** performance.now() when the event was parsed. */
  readonly at: number;
}

/** An open event stream: events as they arrive, and a way to wait for one. */
export interface EventStreamClient {
  readonly events: ServerSentEvent[];
  readonly response: IncomingMessage;
  waitFor(predicate: (e: ServerSentEvent) => boolean, timeoutMs?: number): Promise<ServerSentEvent>;
  /** Drops the connection abruptly, as a closed browser tab does. */
  destroy(): void;
}

export function openEventStream(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { accept: 'text/event-stream', ...headers },
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error);
    });
    req.on('response', (res) => {
      const events: ServerSentEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = {
            event: 'message',
            id: undefined as string | undefined,
            data: [] as string[],
          };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (name === 'event') fields.event = value;
            if (name === 'id') fields.id = value;
            if (name === 'data') {
              fields.data.push(value);
              hasData = true;
            }
          }
          if (hasData)
            events.push({
              event: fields.event,
              id: fields.id,
              data: fields.data.join('\n'),
              at: performance.now(),
            });
        }
        for (const wake of waiters) wake();
      });
      res.on('error', () => undefined);
      resolve({
        events,
        response: res,
        waitFor(predicate, timeoutMs = 5000) {
          return new Promise((done, fail) => {
            const check = (): boolean => {
              const found = events.find(predicate);
              if (found) {
                waiters.delete(wake);
                clearTimeout(timer);
                done(found);
              }
              return found !== undefined;
            };
            const wake = (): void => void check();
            const timer = setTimeout(() => {
              waiters.delete(wake);
              fail(
                new Error(
                  `no matching event within ${timeoutMs} ms; got: ${events.map((e) => e.event).join(', ')}`,
                ),
              );
            }, timeoutMs);
            waiters.add(wake);
            check();
          });
        },
        destroy() {
          req.destroy();
        },
      });
    });
    req.end();
  });
}
