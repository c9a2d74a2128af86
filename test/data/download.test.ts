import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadFile } from '../../src/data/download.js';
import { useMirrorServers, refusedBase } from './mirror-server.js';
import { gzip, idxLabelsBytes } from './helpers.js';
import { useTempDir } from '../test-kit.js';

const makeTemp = useTempDir('data').fresh;
const makeServer = useMirrorServers();
const FAST = { connectMs: 2_000, idleMs: 2_000 };
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

describe('downloadFile', () => {
  it('writes the file under its final name only once it is complete and verified, reporting progress', async () => {
    const body = gzip(idxLabelsBytes(Array.from({ length: 5000 }, (_, i) => (i * 7) % 10)));
    const expected = md5(body);
    const server = await makeServer();
    server.route('/f.gz', { kind: 'file', body });
    const dir = makeTemp();
    const progress: [number, number | undefined, boolean][] = [];
    const result = await downloadFile({
      url: `${server.base}/f.gz`,
      dest: join(dir, 'sub', 'f.gz'),
      expectedMd5: expected,
      timeouts: FAST,
      onProgress: (received, total, done) => progress.push([received, total, done]),
    });
    expect(result).toEqual({ ok: true, bytes: body.length });
    expect(md5(await readFile(join(dir, 'sub', 'f.gz')))).toBe(expected);
    expect(await readdir(join(dir, 'sub'))).toEqual(['f.gz']);
    expect(progress[0]).toEqual([0, body.length, false]);
    expect(progress.at(-1)).toEqual([body.length, body.length, true]);
  });

  it('rejects a body whose checksum differs and leaves nothing behind', async () => {
    const server = await makeServer();
    server.route('/f.gz', { kind: 'file', body: Buffer.from('not the file') });
    const dir = makeTemp();
    const result = await downloadFile({
      url: `${server.base}/f.gz`,
      dest: join(dir, 'f.gz'),
      expectedMd5: 'ec29112dd5afa0611ce80d1b7f02629c',
      timeouts: FAST,
    });
    expect(result).toMatchObject({ ok: false, network: false });
    expect(result.ok ? '' : result.reason).toMatch(
      /^checksum mismatch: MD5 [0-9a-f]{32}, expected ec29/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['an HTTP error', { kind: 'status', status: 404 } as const, /^HTTP 404$/, false],
    [
      'a server that never answers',
      { kind: 'hang' } as const,
      /^timed out: no response within 0.3 s$/,
      true,
    ],
    [
      'a body that stops mid-way',
      { kind: 'stall', body: Buffer.alloc(5000, 1), after: 1000 } as const,
      /^timed out: no data for 0.3 s after 1,000 bytes$/,
      true,
    ],
    [
      'a connection closed before the announced length',
      { kind: 'cut', body: Buffer.alloc(5000, 1), after: 1000 } as const,
      /connection|truncated/,
      true,
    ],
  ])('fails clearly on %s, without a partial file', async (_name, route, reason, network) => {
    const server = await makeServer();
    server.route('/f.gz', route);
    const dir = makeTemp();
    const result = await downloadFile({
      url: `${server.base}/f.gz`,
      dest: join(dir, 'f.gz'),
      expectedMd5: md5(Buffer.alloc(5000, 1)),
      timeouts: { connectMs: 300, idleMs: 300 },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.network).toBe(network);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('follows redirects', async () => {
    const body = Buffer.from('hello');
    const server = await makeServer();
    server.route('/old', { kind: 'redirect', location: '/new' });
    server.route('/new', { kind: 'file', body });
    const dir = makeTemp();
    const result = await downloadFile({
      url: `${server.base}/old`,
      dest: join(dir, 'x'),
      expectedMd5: md5(body),
      timeouts: FAST,
    });
    expect(result.ok).toBe(true);
    expect(server.requests).toEqual(['/old', '/new']);
  });

  it('reports a refused connection at once as a network failure', async () => {
    const dir = makeTemp();
    const result = await downloadFile({
      url: `${await refusedBase()}f.gz`,
      dest: join(dir, 'f.gz'),
      expectedMd5: md5(Buffer.from('x')),
      timeouts: { connectMs: 30_000, idleMs: 30_000 },
    });
    // Not 'timed out': a refused connection does not wait for the 30 s connect timeout.
    expect(result).toEqual({ ok: false, reason: 'connection refused', network: true });
  });
});

describe('downloadFile after an interrupted download', () => {
  it('removes the part files of dead processes and keeps those of running ones', async () => {
    const body = Buffer.from('payload');
    const server = await makeServer();
    server.route('/f.gz', { kind: 'file', body });
    const dir = makeTemp();
    const deadPid = 2 ** 22 + 12345; // above Linux's default pid_max: never a running process
    await writeFile(join(dir, `f.gz.part-${deadPid}-0a0b0c0d`), 'half');
    await writeFile(join(dir, `f.gz.part-${process.pid}-01020304`), 'another download of ours');
    await writeFile(join(dir, `other.gz.part-${deadPid}-0a0b0c0d`), 'not this file');
    const result = await downloadFile({
      url: `${server.base}/f.gz`,
      dest: join(dir, 'f.gz'),
      expectedMd5: md5(body),
      timeouts: FAST,
    });
    expect(result.ok).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(
      ['f.gz', `f.gz.part-${process.pid}-01020304`, `other.gz.part-${deadPid}-0a0b0c0d`].sort(),
    );
  });
});

describe('downloadFile into a place it cannot write', () => {
  it('returns the reason instead of throwing', async () => {
    const dir = makeTemp();
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const result = await downloadFile({
      url: 'http://127.0.0.1:9/never-used',
      dest: join(blocker, 'sub', 'f.gz'),
      expectedMd5: md5(Buffer.from('x')),
      timeouts: FAST,
    });
    expect(result).toEqual({
      ok: false,
      reason: `cannot create ${join(blocker, 'sub')} (ENOTDIR)`,
      network: false,
    });
  });
});
