import type { IncomingMessage, ServerResponse } from 'node:http';
import { RunnerError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { NoteResponse, TagsResponse } from './api-types.js';
import { parsePositiveInt } from './query-params.js';
import { sendApiError, sendJson } from './responses.js';

/**
 * The dashboard's only writes: a run's note and tags, edited on the run page.
 *
 *   PUT  /api/runs/:id/note   {"note": "text"}                   → {"runId", "note"}
 *   POST /api/runs/:id/tags   {"add": ["a"], "remove": ["b"]}     → {"runId", "tags"}
 *
 * A write must come from the page itself: JSON only (a cross-site form or a "simple"
 * request cannot send `application/json` without a preflight, which is never allowed) and,
 * when the browser says where it comes from, an `Origin` of this very host. Bodies are at most
 * `MAX_WRITE_BYTES`. The store is opened for writing per request and closed after.
 */
export const MAX_WRITE_BYTES = 64 * 1024;

export const WRITE_ROUTES: readonly { readonly method: string; readonly pattern: RegExp }[] = [
  { method: 'PUT', pattern: /^\/api\/runs\/([^/]+)\/note$/ },
  { method: 'POST', pattern: /^\/api\/runs\/([^/]+)\/tags$/ },
];

/** Whether this request is one of the write routes (by method and path). */
export function isWriteRoute(method: string | undefined, path: string): boolean {
  return WRITE_ROUTES.some((r) => r.method === method && r.pattern.test(path));
}

export async function handleWrite(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  openWriter: () => Promise<Store>,
): Promise<void> {
  const problem = refuseForeign(req);
  if (problem !== undefined) {
    sendApiError(res, problem.status, problem.message);
    return;
  }
  const id = parsePositiveInt(/^\/api\/runs\/([^/]+)\//.exec(path)?.[1] ?? '');
  if (id === undefined) {
    sendApiError(res, 404, `no run ${path.split('/')[3] ?? ''}`);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    sendApiError(
      res,
      error instanceof BodyTooLarge ? 413 : 400,
      error instanceof BodyTooLarge ? error.message : 'the body is not JSON',
    );
    return;
  }
  const store = await openWriter();
  try {
    if ((await store.missingRuns([id])).length > 0) {
      sendApiError(res, 404, `no run ${id} in this store`);
      return;
    }
    if (path.endsWith('/note')) {
      const note = (body as { note?: unknown } | null)?.note;
      if (typeof note !== 'string' && note !== null) {
        sendApiError(res, 400, 'note: expected {"note": "text"} (null or "" clears it)');
        return;
      }
      await store.setRunNote(id, note);
      const answer: NoteResponse = { runId: id, note: (await store.getRun(id))!.note };
      sendJson(res, 200, answer);
      return;
    }
    const { add = [], remove = [] } = (body ?? {}) as { add?: unknown; remove?: unknown };
    if (!isStringList(add) || !isStringList(remove)) {
      sendApiError(res, 400, 'tags: expected {"add": ["tag"], "remove": ["tag"]}');
      return;
    }
    if (remove.length > 0) await store.untagRun(id, remove);
    const tags = add.length > 0 ? await store.tagRun(id, add) : (await store.getRun(id))!.tags;
    const answer: TagsResponse = { runId: id, tags };
    sendJson(res, 200, answer);
  } catch (error) {
    // A bad tag or a too long note is the user's: 400 with the store's one line.
    if (error instanceof RunnerError && error.kind === 'store') {
      sendApiError(res, 400, error.message);
      return;
    }
    throw error;
  } finally {
    await store.close();
  }
}

function refuseForeign(req: IncomingMessage): { status: number; message: string } | undefined {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, message: 'send the body as application/json' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host.toLowerCase();
    } catch {
      return { status: 403, message: 'Forbidden: unreadable Origin header' };
    }
    if (host !== String(req.headers.host ?? '').toLowerCase()) {
      return { status: 403, message: 'Forbidden: a write from another site' };
    }
  } else if (origin === 'null') {
    return { status: 403, message: 'Forbidden: a write from an opaque origin' };
  }
  return undefined;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WRITE_BYTES) {
        reject(new BodyTooLarge(`the body is larger than ${MAX_WRITE_BYTES / 1024} KiB`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 100 && value.every((v) => typeof v === 'string');
}
