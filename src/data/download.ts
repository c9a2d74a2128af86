import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, join } from 'node:path';
import type { DownloadTimeouts } from './dataset.js';

/** Connect within 10 s (an offline machine fails at once: refused or DNS); then 30 s per silence. */
export const DEFAULT_TIMEOUTS: DownloadTimeouts = { connectMs: 10_000, idleMs: 30_000 };

const MAX_REDIRECTS = 5;
const PROGRESS_INTERVAL_MS = 100;

export interface DownloadRequest {
  readonly url: string;
  /** The final path; the file appears there only when complete and verified. */
  readonly dest: string;
  readonly expectedMd5: string;
  readonly timeouts: DownloadTimeouts;
  readonly onProgress?: (
    receivedBytes: number,
    totalBytes: number | undefined,
    done: boolean,
  ) => void;
}

/**
 * Why a download failed. `network` failures (refused, DNS, timeout) mean the
 * host is unreachable, so the caller skips it for the remaining files.
 */
export type DownloadResult =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly reason: string; readonly network: boolean };

/**
 * Downloads `url` to a temporary name beside `dest`, checks its MD5 while it
 * streams, and renames it to `dest` only when it is complete and verified.
 */
export async function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  const dir = dirname(request.dest);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot create ${dir} (${describeError(error)})`, network: false };
  }
  await removeStaleParts(dir, basename(request.dest));
  const temp = `${request.dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const result = await streamToFile(request, temp);
    if (!result.ok) return result;
    try {
      await rename(temp, request.dest);
    } catch (error) {
      return {
        ok: false,
        reason: `cannot write ${request.dest} (${describeError(error)})`,
        network: false,
      };
    }
    return result;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Removes `<name>.part-<pid>-<hex>` files left by downloads whose process is
 * gone (killed mid-download); parts of a running process are left alone.
 */
async function removeStaleParts(dir: string, name: string): Promise<void> {
  const prefix = `${name}.part-`;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isRunning(pid))
      await rm(join(dir, entry), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function streamToFile(request: DownloadRequest, temp: string): Promise<DownloadResult> {
  const opened = await openResponse(request.url, request.timeouts.connectMs, MAX_REDIRECTS);
  if (!opened.ok) return opened;
  const response = opened.response;
  const lengthHeader = response.headers['content-length'];
  const total = lengthHeader === undefined ? undefined : Number(lengthHeader);
  const hash = createHash('md5');
  const out = createWriteStream(temp);
  let received = 0;
  let lastReport = 0;
  request.onProgress?.(0, total, false);
  return new Promise<DownloadResult>((resolvePromise) => {
    let settled = false;
    const finish = (result: DownloadResult): void => {
      if (settled) return;
      settled = true;
      response.destroy();
      if (result.ok) {
        out.end(() => resolvePromise(result));
      } else {
        // Settle only once the file is closed: a stream still opening creates the file after a
        // caller's rm, which left a .part file behind when the body failed at once.
        if (out.closed) resolvePromise(result);
        else {
          out.once('close', () => resolvePromise(result));
          out.destroy();
        }
      }
    };
    response.setTimeout(request.timeouts.idleMs, () => {
      finish({
        ok: false,
        reason: `timed out: no data for ${request.timeouts.idleMs / 1000} s after ${received.toLocaleString('en-US')} bytes`,
        network: true,
      });
    });
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
      if (!out.write(chunk)) {
        response.pause();
        out.once('drain', () => response.resume());
      }
      const now = Date.now();
      if (now - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now;
        request.onProgress?.(received, total, false);
      }
    });
    response.on('error', (error) => {
      finish({
        ok: false,
        reason: `connection lost after ${received} bytes (${describeError(error)})`,
        network: true,
      });
    });
    response.on('aborted', () => {
      finish({ ok: false, reason: `connection closed after ${received} bytes`, network: true });
    });
    out.on('error', (error) => {
      finish({
        ok: false,
        reason: `cannot write ${temp} (${describeError(error)})`,
        network: false,
      });
    });
    response.on('end', () => {
      if (total !== undefined && received !== total) {
        finish({
          ok: false,
          reason: `truncated: received ${received} of ${total} bytes`,
          network: true,
        });
        return;
      }
      const md5 = hash.digest('hex');
      if (md5 !== request.expectedMd5) {
        finish({
          ok: false,
          reason: `checksum mismatch: MD5 ${md5}, expected ${request.expectedMd5} (${received.toLocaleString('en-US')} bytes)`,
          network: false,
        });
        return;
      }
      request.onProgress?.(received, total ?? received, true);
      finish({ ok: true, bytes: received });
    });
  });
}

type Opened =
  { ok: true; response: IncomingMessage } | { ok: false; reason: string; network: boolean };

/** GET with redirects; the connect timeout covers everything up to the response headers. */
function openResponse(url: string, connectMs: number, redirectsLeft: number): Promise<Opened> {
  return new Promise<Opened>((resolvePromise) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolvePromise({ ok: false, reason: `not a valid URL`, network: false });
      return;
    }
    const get =
      parsed.protocol === 'https:' ? httpsGet : parsed.protocol === 'http:' ? httpGet : undefined;
    if (get === undefined) {
      resolvePromise({
        ok: false,
        reason: `unsupported protocol ${parsed.protocol}`,
        network: false,
      });
      return;
    }
    let settled = false;
    const request = get(parsed, { headers: { 'user-agent': 'runner (dataset download)' } });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      request.destroy();
      resolvePromise({
        ok: false,
        reason: `timed out: no response within ${connectMs / 1000} s`,
        network: true,
      });
    }, connectMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolvePromise({ ok: false, reason: describeError(error), network: true });
    });
    request.on('response', (response) => {
      clearTimeout(timer);
      if (settled) {
        response.destroy();
        return;
      }
      settled = true;
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        if (redirectsLeft === 0) {
          resolvePromise({ ok: false, reason: 'too many redirects', network: false });
          return;
        }
        resolvePromise(
          openResponse(new URL(location, parsed).toString(), connectMs, redirectsLeft - 1),
        );
        return;
      }
      if (status !== 200) {
        response.resume();
        resolvePromise({ ok: false, reason: `HTTP ${status}`, network: false });
        return;
      }
      resolvePromise({ ok: true, response });
    });
  });
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { hostname?: string };
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found${e.hostname ? ` (${e.hostname})` : ''}: no network or DNS`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'network unreachable';
    default:
      return e.code ?? (error instanceof Error ? error.message : String(error));
  }
}
