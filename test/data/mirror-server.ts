import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

/** What the local mirror does for one path. */
export type Route =
  | { readonly kind: 'file'; readonly body: Buffer }
  | { readonly kind: 'status'; readonly status: number }
  /** Accepts the request and never answers. */
  | { readonly kind: 'hang' }
  /** Sends the headers and part of the body, then goes silent. */
  | { readonly kind: 'stall'; readonly body: Buffer; readonly after: number }
  /** Announces the full length, sends part, then closes the connection. */
  | { readonly kind: 'cut'; readonly body: Buffer; readonly after: number }
  | { readonly kind: 'redirect'; readonly location: string }
  /** The whole body in `pieces` equal parts, `gapMs` apart (a slow link). */
  | {
      readonly kind: 'paced';
      readonly body: Buffer;
      readonly pieces: number;
      readonly gapMs: number;
    };

export interface MirrorServer {
  readonly base: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  route(path: string, route: Route): void;
}

/** A 127.0.0.1 HTTP server per test that serves good, corrupt and failing responses. */
export function useMirrorServers(): () => Promise<MirrorServer> {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return async () => {
    const routes = new Map<string, Route>();
    const requests: string[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/';
      requests.push(path);
      const route = routes.get(path) ?? { kind: 'status', status: 404 };
      switch (route.kind) {
        case 'file':
          res.writeHead(200, { 'content-length': route.body.length });
          res.end(route.body);
          return;
        case 'status':
          res.writeHead(route.status);
          res.end();
          return;
        case 'hang':
          return;
        case 'stall':
          res.writeHead(200, { 'content-length': route.body.length });
          res.write(route.body.subarray(0, route.after));
          return;
        case 'cut':
          res.writeHead(200, { 'content-length': route.body.length });
          res.write(route.body.subarray(0, route.after), () => res.socket?.destroy());
          return;
        case 'redirect':
          res.writeHead(302, { location: route.location });
          res.end();
          return;
        case 'paced': {
          res.writeHead(200, { 'content-length': route.body.length });
          let piece = 0;
          const next = (): void => {
            const from = Math.floor((route.body.length * piece) / route.pieces);
            piece += 1;
            const to = Math.floor((route.body.length * piece) / route.pieces);
            if (piece >= route.pieces) res.end(route.body.subarray(from));
            else {
              res.write(route.body.subarray(from, to));
              setTimeout(next, route.gapMs);
            }
          };
          next();
          return;
        }
      }
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return {
      base: `http://127.0.0.1:${port}`,
      requests,
      route: (path, route) => routes.set(path, route),
    };
  };
}

/** A base URL on which nothing listens: connection refused at once. */
export async function refusedBase(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}
