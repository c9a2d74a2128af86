import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processStartedAt } from '../../src/store/index.js';

const linux = process.platform === 'linux';
if (!linux) console.warn('skipped: the zombie test reads /proc (Linux)');

describe.skipIf(!linux)('processStartedAt', () => {
  it('gives a live process its start time, and none to a zombie its parent has not reaped', async () => {
    // `sh` starts a short sleep, then becomes a long one (exec) that never waits for it:
    // the short sleep exits and stays a zombie until the long one ends.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 20'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
      );
      expect(processStartedAt(pid)).toBeGreaterThan(Date.now() - 60_000);
      const state = (): string => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
      };
      await expect.poll(state, { timeout: 5000 }).toBe('Z');
      expect(processStartedAt(pid)).toBeUndefined();
      expect(processStartedAt(parent.pid!)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
