import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDashboard,
  startDashboard,
  type RunningDashboard,
} from '../../src/dashboard/index.js';
import { StoreError, UsageError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { makeStore, makeTempDir, newRun, recordRun } from '../test-kit.js';
import type {
  ApiErrorBody,
  CompareResponse,
  CurvesResponse as CurvesBody,
  RunDetailResponse,
  RunListResponse as RunsBody,
  StatusResponse,
  SweepDetailResponse,
  SweepListResponse,
} from '../../src/dashboard/api-types.js';
import { getJson, openEventStream, rawRequest } from './http-client.js';

describe('dashboard routes', () => {
  const temp = makeTempDir('dashboard');
  let store: Store;
  let dashboard: RunningDashboard;
  let port: number;
  const ids = { small: 0, long: 0, other: 0, trials: [] as number[], sweep: 0, live: 0 };

  beforeAll(async () => {
    const made = await makeStore(temp.dir);
    store = made.store;
    ids.small = await recordRun(store, { name: 'lenet-small', steps: 30 });
    ids.long = await recordRun(store, { name: 'lenet-long', steps: 100_000, epochs: 10 });
    ids.other = await recordRun(store, { name: 'mycnn', steps: 12, learningRate: 0.01 });
    ids.sweep = await store.createSweep({
      name: 'lr-sweep',
      configYaml: 'name: lr-sweep\n',
      definition: {
        grid: { 'train.optimizer.learningRate': [0.1, 0.01, 0.001] },
        metric: 'test/accuracy',
        goal: 'maximize',
      },
      metric: 'test/accuracy',
      goal: 'maximize',
      trialCount: 3,
      host: 'test-host',
    });
    for (const [i, lr] of [0.1, 0.01, 0.001].entries()) {
      ids.trials.push(
        await recordRun(store, {
          name: `lr-sweep-${i}`,
          steps: 9,
          learningRate: lr,
          sweepId: ids.sweep,
          trialIndex: i,
          finalAccuracy: [0.5, 0.95, 0.8][i]!,
        }),
      );
    }
    ids.live = await store.createRun(newRun({ name: 'live-run' }));
    dashboard = await startDashboard({ dbPath: made.path, port: 0 });
    port = dashboard.port;
  });

  afterAll(async () => {
    await dashboard?.close();
    store?.close();
    temp.remove();
  });

  describe('JSON API', () => {
    it('lists runs newest first', async () => {
      const { status, body } = await getJson<RunsBody>(port, '/api/runs');
      expect(status).toBe(200);
      expect(body.storeReady).toBe(true);
      expect(body.runs.map((r) => r.id)).toEqual([
        ids.live,
        ...[...ids.trials].reverse(),
        ids.other,
        ids.long,
        ids.small,
      ]);
      // What tells the listed runs apart, with the titles runs ls gives them.
      expect(body.varied).toContainEqual({
        key: 'train.optimizer.learningRate',
        title: 'learningRate',
      });
      expect(body.varied.map((v) => v.key)).not.toContain('name');
      expect(body.params[String(ids.other)]?.['train.optimizer.learningRate']).toBe(0.01);
      expect(body.params[String(ids.small)]?.['train.optimizer.learningRate']).toBe(0.001);
      const statusAnswer = await getJson<StatusResponse>(port, '/api/status');
      expect(statusAnswer.body.editable).toBe(true);
    });

    it('filters runs by name, status and sweep', async () => {
      const byName = await getJson<RunsBody>(port, '/api/runs?name=LENET');
      expect(byName.body.runs.map((r) => r.name).sort()).toEqual(['lenet-long', 'lenet-small']);
      const running = await getJson<RunsBody>(port, '/api/runs?status=running');
      expect(running.body.runs.map((r) => r.id)).toEqual([ids.live]);
      const sweep = await getJson<RunsBody>(port, `/api/runs?sweep=${ids.sweep}`);
      expect(sweep.body.runs.map((r) => r.id).sort()).toEqual([...ids.trials].sort());
      const limited = await getJson<RunsBody>(port, '/api/runs?limit=2');
      expect(limited.body.runs).toHaveLength(2);
      expect(limited.body.total).toBe(7);
    });

    it('answers 400 with the parameter named for a bad filter', async () => {
      const { status, body } = await getJson<ApiErrorBody>(port, '/api/runs?status=sleeping');
      expect(status).toBe(400);
      expect(body.error.message).toMatch(/status: unknown status "sleeping"/);
      expect((await rawRequest(port, '/api/curves?runs=1,abc')).status).toBe(400);
      expect((await rawRequest(port, '/api/events?runs=1&cursor=%7Bnot-json')).status).toBe(400);
    });

    it('gives a run its config YAML, facts and metric summaries', async () => {
      const { status, body } = await getJson<RunDetailResponse>(port, `/api/runs/${ids.small}`);
      expect(status).toBe(200);
      expect(body.run.configYaml).toContain('name: lenet-small');
      expect(body.run.backend).toBe('cpu');
      expect(body.run.datasetSource).toBe('generated in memory');
      expect(body.run.versions.node).toBe(process.versions.node);
      expect(body.metricKeys).toEqual([
        'test/accuracy',
        'test/loss',
        'train/accuracy',
        'train/loss',
      ]);
      expect(body.run.metrics['test/accuracy']!.last.value).toBeCloseTo(0.9, 6);
      expect(body.run.trial).toBeNull();
      expect(body.sweep).toBeNull();
    });

    it("names a trial run's sweep and its trial number, from 1 as the CLI counts", async () => {
      const { body } = await getJson<RunDetailResponse>(port, `/api/runs/${ids.trials[2]}`);
      expect(body.run.trial).toBe(3);
      expect(body.sweep).toEqual({
        id: ids.sweep,
        name: 'lr-sweep',
        metric: 'test/accuracy',
        goal: 'maximize',
      });
    });

    it('answers 404 for an unknown run, as JSON on the API and as a page in the browser', async () => {
      const api = await getJson<{ error: { message: string } }>(port, '/api/runs/9999');
      expect(api.status).toBe(404);
      expect(api.body.error.message).toMatch(/no run 9999/);
      const page = await rawRequest(port, '/runs/9999');
      expect(page.status).toBe(404);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.body).toContain('There is no run 9999');
      expect((await rawRequest(port, '/runs/abc')).status).toBe(404);
      expect((await rawRequest(port, '/sweeps/77')).status).toBe(404);
      expect((await rawRequest(port, '/api/curves?runs=9999')).status).toBe(404);
      expect((await rawRequest(port, '/api/nothing-here')).status).toBe(404);
      expect((await rawRequest(port, '/no/such/page')).status).toBe(404);
      // The page of a run that exists is the app itself.
      const ok = await rawRequest(port, `/runs/${ids.small}`);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('<script type="module" src="/static/app.js">');
    });

    it('downsamples a 100,000-point curve on the server, keeping its ends', async () => {
      const { body } = await getJson<CurvesBody>(
        port,
        `/api/curves?runs=${ids.long}&keys=train/loss,test/loss&maxPoints=1500`,
      );
      const train = body.curves.find((c) => c.key === 'train/loss')!;
      expect(train.total).toBe(100_000);
      expect(train.step.length).toBeLessThanOrEqual(1500);
      expect(train.step.length).toBeGreaterThan(1000);
      expect(train.step[0]).toBe(1);
      expect(train.step.at(-1)).toBe(100_000);
      const full = (await store.getCurve(ids.long, 'train/loss')).map((p) => p.value!);
      expect(Math.max(...(train.value as number[]))).toBe(Math.max(...full));
      expect(Math.min(...(train.value as number[]))).toBe(Math.min(...full));
      const test = body.curves.find((c) => c.key === 'test/loss')!;
      expect(test.total).toBe(10);
      expect(test.step).toHaveLength(10);
      expect(body.cursor[ids.long]).toEqual({ 'train/loss': 100_000, 'test/loss': 100_000 });
      expect(body.stepsPerEpoch[ids.long]).toBe(10_000);
    });

    it('estimates the epoch length of a run still in its first epoch from its data and batch sizes', async () => {
      const runId = await store.createRun({
        ...newRun({ name: 'first-epoch', batchSize: 64 }),
        dataInfo: { trainCount: 1000 },
      });
      const writer = await store.createMetricWriter(runId);
      writer.add('train/loss', 1, 1, 2.3);
      await writer.close();
      const { body } = await getJson<CurvesBody>(port, `/api/curves?runs=${runId}&keys=train/loss`);
      expect(body.stepsPerEpoch[runId]).toBe(16);
      await store.deleteRuns([runId]);
    });

    it('serves the full-resolution curves as CSV', async () => {
      const res = await rawRequest(
        port,
        `/api/curves.csv?runs=${ids.small},${ids.other}&keys=train/loss`,
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/attachment; filename="runner-runs-/);
      const lines = res.body.trim().split('\n');
      expect(lines[0]).toBe('run_id,run_name,key,step,epoch,time_ms,value');
      expect(lines).toHaveLength(1 + 30 + 12);
      expect(lines[1]).toMatch(new RegExp(`^${ids.small},lenet-small,train/loss,1,1,\\d+,`));
    });

    it('shows a sweep: varied params against the metric per trial, best highlighted', async () => {
      const { status, body } = await getJson<SweepDetailResponse>(port, `/api/sweeps/${ids.sweep}`);
      expect(status).toBe(200);
      expect(body.sweep.metric).toBe('test/accuracy');
      expect(body.varied).toEqual(['train.optimizer.learningRate']);
      expect(body.trials.map((t) => t.params['train.optimizer.learningRate'])).toEqual([
        0.1, 0.01, 0.001,
      ]);
      expect(body.bestRunId).toBe(ids.trials[1]);
      // One attempt each, with the machine that trained it.
      expect(body.trials.map((t) => [t.attempt, typeof t.host])).toEqual([
        [1, 'string'],
        [1, 'string'],
        [1, 'string'],
      ]);
      const list = await getJson<SweepListResponse>(port, '/api/sweeps');
      expect(list.body.sweeps).toEqual([
        expect.objectContaining({ id: ids.sweep, trialsRecorded: 3 }),
      ]);
    });

    it('compares runs: the config values that differ and each metric with its winner', async () => {
      const { status, body } = await getJson<CompareResponse>(
        port,
        `/api/compare?runs=${ids.small},${ids.other}`,
      );
      expect(status).toBe(200);
      const keys = body.params.map((p) => p.key);
      expect(keys).toContain('train.optimizer.learningRate');
      expect(keys).not.toContain('data.batchSize');
      expect(body.params.find((p) => p.key === 'train.optimizer.learningRate')!.values).toEqual([
        0.001, 0.01,
      ]);
      expect(body.metrics.find((m) => m.key === 'train/loss')).toBeDefined();
      expect((await rawRequest(port, `/api/compare?runs=${ids.small}`)).status).toBe(400);
    });
  });

  describe('page and assets', () => {
    it('serves the page, its scripts and the chart library from local routes', async () => {
      const page = await rawRequest(port, '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(page.body).toContain('/vendor/uPlot.iife.min.js');
      expect(page.body).not.toMatch(/https?:\/\//);
      const uplot = await rawRequest(port, '/vendor/uPlot.iife.min.js');
      expect(uplot.status).toBe(200);
      expect(uplot.headers['content-type']).toMatch(/javascript/);
      expect(uplot.body).toContain('uPlot');
      for (const asset of ['/static/app.js', '/static/app.css', '/vendor/uPlot.min.css']) {
        expect((await rawRequest(port, asset)).status, asset).toBe(200);
      }
    });

    it('allow-lists every file of the page folder (and the folder holds nothing else)', async () => {
      const folder = join(process.cwd(), 'src/dashboard/static');
      for (const file of readdirSync(folder)) {
        const res = await rawRequest(port, file === 'index.html' ? '/' : `/static/${file}`);
        expect(res.status, file).toBe(200);
        expect(res.body, file).toBe(readFileSync(join(folder, file), 'utf8'));
      }
    });

    it('serves every file of the formatting module the page imports (src/format/)', async () => {
      const folder = join(process.cwd(), 'src/format');
      for (const file of readdirSync(folder).filter((f) => f.endsWith('.js'))) {
        const res = await rawRequest(port, `/format/${file}`);
        expect(res.status, file).toBe(200);
        expect(res.body, file).toBe(readFileSync(join(folder, file), 'utf8'));
      }
    });

    it('answers only GET and HEAD: anything else is 405', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        for (const path of ['/', '/api/runs', `/api/runs/${ids.small}`]) {
          const res = await rawRequest(port, path, { method });
          expect(res.status, `${method} ${path}`).toBe(405);
          expect(res.headers.allow).toBe('GET, HEAD');
        }
      }
      const head = await rawRequest(port, '/api/runs', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(await store.listRuns()).toHaveLength(7);
    });

    it('serves no file outside its allow-list, however the path is spelled', async () => {
      const secret = readFileSync(join(process.cwd(), 'package.json'), 'utf8').slice(0, 40);
      const attempts = [
        '/static/../../../package.json',
        '/../package.json',
        '/static/..%2f..%2f..%2fpackage.json',
        '/static/%2e%2e/%2e%2e/%2e%2e/package.json',
        '/static/%2E%2E%2F%2E%2E%2Fpackage.json',
        '/static/..%5c..%5cpackage.json',
        '/static/..\\..\\package.json',
        '/vendor/../package.json',
        '/vendor/..%2f..%2fpackage.json',
        '//etc/passwd',
        '/etc/passwd',
        '/static//etc/passwd',
        '/static/%2fetc%2fpasswd',
        `/static/${encodeURIComponent(join(process.cwd(), 'package.json'))}`,
        '/static/index.html%00.js',
        '/static/dom.js/../../package.json',
        '/static/.',
        '/static/..',
        '/package.json',
        '/src/dashboard/static/app.js',
        '/node_modules/uplot/package.json',
        '/static/start-dashboard.ts',
      ];
      for (const path of attempts) {
        const res = await rawRequest(port, path);
        expect(res.status, path).toBe(404);
        expect(res.body, path).not.toContain(secret);
        expect(res.body, path).not.toContain('root:');
      }
    });

    it('refuses a Host header other than this machine (DNS rebinding)', async () => {
      const res = await rawRequest(port, '/api/runs', {
        headers: { host: 'attacker.example:6006' },
      });
      expect(res.status).toBe(403);
      expect(
        (await rawRequest(port, '/api/runs', { headers: { host: `localhost:${port}` } })).status,
      ).toBe(200);
    });
  });

  describe('live event stream', () => {
    it('delivers a point written after connect within a second, and the status change at the end', async () => {
      const writer = await store.createMetricWriter(ids.live, { flushIntervalMs: 60_000 });
      writer.add('train/loss', 1, 1, 2.5);
      await writer.flush();
      const cursor = encodeURIComponent(JSON.stringify({ [ids.live]: { 'train/loss': 1 } }));
      const stream = await openEventStream(
        port,
        `/api/events?runs=${ids.live}&keys=train/loss,test/loss&cursor=${cursor}`,
      );
      try {
        expect(stream.response.headers['content-type']).toMatch(/^text\/event-stream/);
        // Let the stream take its first look at the store, then write.
        await new Promise((resolve) => setImmediate(resolve));
        writer.add('train/loss', 2, 1, 2.25);
        await writer.flush();
        const written = performance.now();
        const event = await stream.waitFor((e) => e.event === 'points');
        const data = JSON.parse(event.data) as {
          runId: number;
          key: string;
          step: number[];
          value: number[];
        };
        expect(data).toMatchObject({
          runId: ids.live,
          key: 'train/loss',
          step: [2],
          value: [2.25],
        });
        expect(event.at - written).toBeLessThan(1000);
        expect(JSON.parse(event.id!)).toEqual({ [ids.live]: { 'train/loss': 2 } });

        writer.add('train/loss', 3, 1, 2.0);
        writer.add('test/loss', 3, 1, 2.1);
        await writer.close();
        await store.finishRun(ids.live, { status: 'completed' });
        const done = await stream.waitFor((e) => e.event === 'run');
        expect(JSON.parse(done.data)).toMatchObject({ id: ids.live, status: 'completed' });
        const pointEvents = stream.events
          .filter((e) => e.event === 'points')
          .map((e) => JSON.parse(e.data) as { key: string; step: number[] });
        // Every point exactly once, none before the cursor.
        expect(pointEvents.flatMap((p) => p.step.map((s) => `${p.key}@${s}`)).sort()).toEqual([
          'test/loss@3',
          'train/loss@2',
          'train/loss@3',
        ]);
        await stream.waitFor((e) => e.event === 'runs');
      } finally {
        stream.destroy();
      }
    });

    it('sends at once a run that ended before the stream opened, when the page saw it running', async () => {
      // The page read the list (running), then reopened its stream after the run had ended: without
      // the state it shows, the new stream would take "completed" as its start and never say so.
      const stream = await openEventStream(
        port,
        `/api/events?runs=${ids.small}&keys=train/loss&states=${ids.small}:running`,
      );
      try {
        const event = await stream.waitFor((e) => e.event === 'run');
        expect(JSON.parse(event.data)).toMatchObject({ id: ids.small, status: 'completed' });
      } finally {
        stream.destroy();
      }
      expect((await rawRequest(port, `/api/events?states=${ids.small}:asleep`)).status).toBe(400);
    });

    it('resumes from Last-Event-ID after a reconnect', async () => {
      const lastEventId = JSON.stringify({ [ids.small]: { 'train/loss': 25 } });
      const stream = await openEventStream(port, `/api/events?runs=${ids.small}&keys=train/loss`, {
        'last-event-id': lastEventId,
      });
      try {
        const event = await stream.waitFor((e) => e.event === 'points');
        expect((JSON.parse(event.data) as { step: number[] }).step).toEqual([26, 27, 28, 29, 30]);
      } finally {
        stream.destroy();
      }
    });
  });
});

describe('dashboard server life cycle', () => {
  it('survives a client that disconnects mid-stream, and stops reading for it', async () => {
    const temp = makeTempDir('dashboard');
    const { store, path } = await makeStore(temp.dir);
    const runId = await store.createRun(newRun({ name: 'streaming' }));
    const reader = await openStore(path, { readonly: true });
    let reads = 0;
    const handler = createDashboard({
      store: () => {
        reads += 1;
        return reader;
      },
      pollIntervalMs: 20,
    });
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 0 });
    try {
      const stream = await openEventStream(port, `/api/events?runs=${runId}&keys=train/loss`);
      writer.add('train/loss', 1, 1, 1.5);
      await writer.flush();
      await stream.waitFor((e) => e.event === 'points');
      stream.destroy();
      // The server notices the closed socket; its connections drop to zero.
      await expect
        .poll(() => new Promise((resolve) => server.getConnections((_, n) => resolve(n))), {
          timeout: 5000,
        })
        .toBe(0);
      // Keep writing: nobody is listening, nothing may crash, and polling has stopped.
      const readsAfterClose = reads;
      for (let step = 2; step < 50; step++) writer.add('train/loss', step, 1, 1 / step);
      await writer.flush();
      const status = await getJson<{ storeReady: boolean }>(port, '/api/status');
      expect(status.body.storeReady).toBe(true);
      const runs = await getJson<RunsBody>(port, '/api/runs');
      expect(runs.body.runs).toHaveLength(1);
      // Two requests above read the store twice; the closed stream's 20 ms poll added nothing.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reads - readsAfterClose).toBe(2);
    } finally {
      await writer.close();
      handler.close();
      await new Promise((resolve) => server.close(resolve));
      await reader.close();
      await store.close();
      temp.remove();
    }
  });

  it('polls the store once for all open event streams, however many clients watch', async () => {
    const temp = makeTempDir('dashboard');
    const { store, path } = await makeStore(temp.dir);
    const runId = await store.createRun(newRun({ name: 'watched' }));
    const reader = await openStore(path, { readonly: true });
    let reads = 0;
    // Every call the dashboard makes on the store is counted.
    const counted = new Proxy(reader, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          reads += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const handler = createDashboard({ store: counted, pollIntervalMs: 50 });
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const writer = await store.createMetricWriter(runId, { flushIntervalMs: 0 });
    const path1 = `/api/events?runs=${runId}&keys=train/loss,test/loss`;
    const readsOver = async (ms: number): Promise<number> => {
      const before = reads;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return reads - before;
    };
    const open = [];
    try {
      open.push(await openEventStream(port, path1));
      const one = await readsOver(1000);
      for (let i = 0; i < 39; i++) open.push(await openEventStream(port, path1));
      const forty = await readsOver(1000);
      expect(one).toBeGreaterThan(0);
      // 40 clients cost what one does (per-stream polling made it 40 times as many).
      expect(forty).toBeLessThan(one * 2 + 10);
      // And every one of them gets the new points.
      writer.add('train/loss', 1, 1, 0.75);
      await writer.flush();
      const got = await Promise.all(
        open.map((stream) => stream.waitFor((e) => e.event === 'points')),
      );
      for (const event of got)
        expect(JSON.parse(event.data)).toMatchObject({ runId, key: 'train/loss', value: [0.75] });
    } finally {
      for (const stream of open) stream.destroy();
      await writer.close();
      handler.close();
      await new Promise((resolve) => server.close(resolve));
      await reader.close();
      await store.close();
      temp.remove();
    }
  });

  it('caps open event streams: past the cap it answers 503 with Retry-After, and a closed stream frees its place', async () => {
    const temp = makeTempDir('dashboard');
    const { store, path } = await makeStore(temp.dir);
    const reader = await openStore(path, { readonly: true });
    const handler = createDashboard({ store: reader, pollIntervalMs: 50, maxStreams: 3 });
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const open = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await openEventStream(port, '/api/events'));
      const refused = await rawRequest(port, '/api/events');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(JSON.parse(refused.body)).toEqual({
        error: {
          status: 503,
          message: 'too many live streams open (3); close other dashboard tabs or try again',
        },
      });
      // The rest of the API still answers.
      expect((await getJson(port, '/api/runs')).status).toBe(200);
      open.shift()!.destroy();
      await expect
        .poll(
          async () => {
            const stream = await openEventStream(port, '/api/events');
            open.push(stream);
            return stream.response.statusCode;
          },
          { timeout: 5000 },
        )
        .toBe(200);
    } finally {
      for (const stream of open) stream.destroy();
      handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await reader.close();
      await store.close();
      temp.remove();
    }
  });

  it('shows an empty state until the store file appears, then the runs', async () => {
    const temp = makeTempDir('dashboard');
    const path = join(temp.dir, 'later', 'runner.db');
    const dashboard = await startDashboard({ dbPath: path, port: 0 });
    try {
      expect(dashboard.storeExists).toBe(false);
      const empty = await getJson<RunsBody>(dashboard.port, '/api/runs');
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({ storeReady: false, runs: [] });
      expect((await rawRequest(dashboard.port, '/')).status).toBe(200);
      expect((await rawRequest(dashboard.port, '/api/runs/1')).status).toBe(404);
      const store = await openStore(path);
      await recordRun(store, { name: 'first', steps: 5 });
      await expect
        .poll(
          async () =>
            (await getJson<RunsBody>(dashboard.port, '/api/runs')).body.runs.map((r) => r.name),
          { timeout: 5000, interval: 100 },
        )
        .toEqual(['first']);
      await store.close();
    } finally {
      await dashboard.close();
      temp.remove();
    }
  });

  it('refuses a file that is not a runner store, before listening', async () => {
    const temp = makeTempDir('dashboard');
    const path = join(temp.dir, 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    try {
      await expect(startDashboard({ dbPath: path, port: 0 })).rejects.toThrow(StoreError);
      await expect(startDashboard({ dbPath: path, port: 0 })).rejects.toThrow(/notes\.db/);
    } finally {
      temp.remove();
    }
  });

  it('says the port is taken and suggests --port', async () => {
    const temp = makeTempDir('dashboard');
    const first = await startDashboard({ dbPath: join(temp.dir, 'runner.db'), port: 0 });
    try {
      const second = startDashboard({ dbPath: join(temp.dir, 'runner.db'), port: first.port });
      await expect(second).rejects.toThrow(UsageError);
      await expect(
        startDashboard({ dbPath: join(temp.dir, 'runner.db'), port: first.port }),
      ).rejects.toMatchObject({
        message: `port ${first.port} on 127.0.0.1 is already in use`,
        hint: expect.stringMatching(/--port/),
      });
    } finally {
      await first.close();
      temp.remove();
    }
  });
});
