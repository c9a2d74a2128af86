import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { runCli, syntheticConfig } from './cli-kit.js';

interface Check {
  area: string;
  item: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint: string | null;
}

describe('runner doctor', () => {
  const ws = makeTempDir('doctor');
  afterAll(() => ws.remove());

  it('reports Node and its ABI, the addon, backends, SIMD, data, the store and the port, as JSON', async () => {
    const file = ws.write('tiny.yaml', syntheticConfig({ train: 32, test: 16, epochs: 1 }));
    expect((await runCli(['exp', file, '--db', ws.db, '--quiet'], ws.dir)).code).toBe(0);
    const other: Server = createServer((_q, r) => r.end('other'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const result = await runCli(
        ['doctor', '--db', ws.db, '--port', String(port), '--json'],
        ws.dir,
        { RUNNER_DATA_DIR: ws.dir },
      );
      expect(result.code, result.stderr).toBe(0);
      const checks = JSON.parse(result.stdout) as Check[];
      const find = (area: string, item: string) =>
        checks.find((c) => c.area === area && c.item === item);
      expect(find('node', 'version')!.detail).toContain(`ABI ${process.versions.modules}`);
      expect(find('addon', 'better-sqlite3')!.status).toBe('ok');
      expect(find('backend', 'wasm')!.status).toBe('ok');
      expect(find('backend', 'cpu')!.status).toBe('ok');
      expect(find('backend', 'wasm SIMD')).toMatchObject({ status: 'ok' });
      const node = find('backend', 'tfjs-node')!;
      if (node.status !== 'ok') expect(node.hint).toMatch(/npm install @tensorflow\/tfjs-node/);
      expect(find('data', 'directory')!.detail).toContain(`${ws.dir} (RUNNER_DATA_DIR`);
      expect(find('data', 'synthetic')!.detail).toMatch(/^generated/);
      expect(find('store', ws.db)!.detail).toMatch(/^sqlite, schema version \d+, 1 run$/);
      expect(find('dashboard', `port ${port}`)).toMatchObject({
        status: 'warn',
        detail: 'taken by another program',
      });
    } finally {
      other.close();
    }
    const table = await runCli(['doctor', '--db', ws.db], ws.dir);
    expect(table.stdout.split('\n')[0]).toMatch(/^area +item +status +detail/);
    expect(table.stderr).toMatch(/^doctor: /m);
  }, 90_000);
});
