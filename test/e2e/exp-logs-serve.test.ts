import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/index.js';
import { createProgressTicker } from '../../src/cli/progress-ticker.js';
import { makeTempDir } from '../test-kit.js';
import { runCli, syntheticConfig } from './cli-kit.js';

const ws = makeTempDir('exp-logs');
afterAll(() => ws.remove());

describe('runner exp with stderr piped (a CI log)', () => {
  it('prints a plain progress line every tenth of an epoch, and the short backend line', async () => {
    // 40 batches an epoch: lines at 10%, 20% ... 90%, never a redrawn status line.
    const file = ws.write(
      'piped.yaml',
      syntheticConfig({ train: 320, test: 32, batchSize: 8, epochs: 2 }),
    );
    const { code, stderr } = await runCli(['exp', file, '--db', ws.db], ws.dir);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('\r');
    for (const epoch of [1, 2]) {
      const lines = stderr
        .split('\n')
        .filter((l) => l.startsWith(`epoch ${epoch}/2  `) && / \d+% \(\d+\/40\)/.test(l));
      expect(lines.map((l) => /(\d+)% /.exec(l)![1])).toEqual([
        '10',
        '20',
        '30',
        '40',
        '50',
        '60',
        '70',
        '80',
        '90',
      ]);
      // The running mean of the epoch's loss and accuracy, speed and ETA; the run's ETA beside it before the last epoch.
      expect(lines[0]).toMatch(/loss \d\.\d{4} {2}acc \d\.\d{4} {2}[\d,]+ img\/s {2}ETA \S+/);
      if (epoch === 1) expect(lines[0]).toMatch(/ETA \S+ \(run \S+\)$/);
      else expect(lines[0]).not.toMatch(/\(run /);
      // While the test split is evaluated: one line, after the last progress line, before the epoch's.
      const all = stderr.split('\n');
      const evaluating = all.indexOf(`epoch ${epoch}/2  evaluating on 32 test examples`);
      expect(evaluating, stderr).toBeGreaterThan(all.indexOf(lines.at(-1)!));
      expect(all[evaluating + 1]).toMatch(new RegExp(`^epoch ${epoch}/2  train loss `));
    }
    // No install hint when tfjs-node is merely absent (that is for --backend tfjs-node and doctor).
    expect(stderr).toMatch(/^ {2}backend {2}\S+: .*$/m);
    expect(stderr).not.toMatch(/npm install @tensorflow\/tfjs-node/);
  }, 120_000);

  it('times a line every 30 s and every 10%, whichever comes first', () => {
    let t = 0;
    const ticker = createProgressTicker(() => t);
    expect(ticker.due(0.01)).toBe(false);
    t = 29_999;
    expect(ticker.due(0.02)).toBe(false);
    t = 30_000;
    expect(ticker.due(0.03)).toBe(true);
    expect(ticker.due(0.05)).toBe(false);
    expect(ticker.due(0.1)).toBe(true);
    expect(ticker.due(0.15)).toBe(false);
    expect(ticker.due(0.35)).toBe(true);
    expect(ticker.due(0.39)).toBe(false);
    expect(ticker.due(1)).toBe(false);
  });
});

describe('runner exp --serve', () => {
  const config = () => ws.write('serve.yaml', syntheticConfig({ train: 64, test: 32, epochs: 1 }));

  it('trains beside a dashboard already serving the same store, and says so', async () => {
    const db = `${ws.dir}/shared.db`;
    const dashboard = await startDashboard({ dbPath: db, port: 0 });
    try {
      const { code, stdout, stderr } = await runCli(
        ['exp', config(), '--db', db, '--serve', '--port', String(dashboard.port)],
        ws.dir,
      );
      expect(code, stderr).toBe(0);
      expect(stderr).toContain(`dashboard: ${dashboard.url} (already serving this store`);
      expect(stdout).toContain(`${dashboard.url}  live dashboard`);
      // The run is on that dashboard.
      const runs = (await (await fetch(new URL('/api/runs', dashboard.url))).json()) as {
        runs: { status: string }[];
      };
      expect(runs.runs.map((r) => r.status)).toEqual(['completed']);
    } finally {
      await dashboard.close();
    }
  }, 60_000);

  it('takes a free port when another program holds it, says so in one line, and that it stays up', async () => {
    const other: Server = createServer((_req, res) => res.end('not runner'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const { startCli } = await import('./cli-kit.js');
      const child = startCli(
        ['exp', config(), '--db', `${ws.dir}/own.db`, '--serve', '--port', String(port)],
        ws.dir,
      );
      // Serving after training until Ctrl-C: stop it once it says so.
      let stderr = '';
      let stopped = false;
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (!stopped && stderr.includes('still serving')) {
          stopped = true;
          child.kill('SIGINT');
        }
      });
      const result = await child.result;
      expect(result.code, result.stderr).toBe(0);
      const line = result.stderr.split('\n').find((l) => l.startsWith('dashboard: '))!;
      expect(line).toMatch(
        new RegExp(
          `^dashboard: http://127\\.0\\.0\\.1:(\\d+)/ \\(port ${port} is taken by another program\\) \\(--serve keeps this process up after training, until Ctrl-C\\)$`,
        ),
      );
      expect(Number(/:(\d+)\//.exec(line)![1])).not.toBe(port);
      // Said before training starts.
      expect(result.stderr.indexOf(line)).toBeLessThan(result.stderr.indexOf('epoch 1/1'));
      expect(result.stdout).toMatch(/live dashboard \(serving until Ctrl-C\)/);
    } finally {
      other.close();
    }
  }, 60_000);
});
