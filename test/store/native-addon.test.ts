import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { nativeAddonError } from '../../src/store/native-addon.js';
import { makeTempDir } from '../test-kit.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'dist/cli/main.js');

/** What Node 22 says when it loads a better-sqlite3 built for Node 20 (copied from a real run). */
function dlopenError(): Error {
  const error = new Error(
    `The module '${ROOT}/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\n` +
      'was compiled against a different Node.js version using\n' +
      'NODE_MODULE_VERSION 115. This version of Node.js requires\n' +
      'NODE_MODULE_VERSION 127. Please try re-compiling or re-installing\n' +
      'the module (for instance, using `npm rebuild` or `npm install`).',
  );
  return Object.assign(error, { code: 'ERR_DLOPEN_FAILED' });
}

describe('a native addon built for another Node', () => {
  it('says which Node it was built for, which one runs, and the rebuild command, in one line', () => {
    const error = nativeAddonError(dlopenError(), 'better-sqlite3', {
      version: '22.12.0',
      abi: '127',
    });
    expect(error).toBeDefined();
    const text = formatError(error!);
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toBe(
      'error: the native addon better-sqlite3 was built for Node 20 (ABI 115), but this is Node 22.12.0 (ABI 127): run `npm rebuild better-sqlite3` with the Node that runs runner',
    );
    expect(text).not.toMatch(/writable/);
  });

  it('names an addon that cannot load for another reason, with the same command', () => {
    const error = Object.assign(new Error('libfoo.so: cannot open shared object file'), {
      code: 'ERR_DLOPEN_FAILED',
    });
    const text = formatError(nativeAddonError(error, 'better-sqlite3')!);
    expect(text).toMatch(/cannot load into Node .*libfoo\.so.*npm rebuild better-sqlite3/);
  });

  it('leaves other errors to the caller', () => {
    expect(nativeAddonError(new Error('SQLITE_CANTOPEN'), 'better-sqlite3')).toBeUndefined();
    expect(nativeAddonError(undefined, 'better-sqlite3')).toBeUndefined();
  });
});

/** A Node on PATH (or the machine's) whose ABI differs from the one running the tests. */
function otherNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate) || candidate === process.execPath) continue;
    const abi = spawnSync(candidate, ['-p', 'process.versions.modules'], { encoding: 'utf8' });
    if (abi.status === 0 && abi.stdout.trim() !== process.versions.modules) return candidate;
  }
  return undefined;
}

const other = otherNode();
if (!other) console.log('skipped: no second Node with another ABI on this machine');

describe.skipIf(!other || !existsSync(BIN))('runner under another Node (the real addon)', () => {
  const temp = makeTempDir('addon');
  afterAll(() => temp.remove());

  it('prints the one line with the rebuild command, exit code 1, no stack', async () => {
    const store = await openStore(temp.db);
    await store.close();
    const result = spawnSync(other!, [BIN, 'runs', 'ls', '--db', temp.db], { encoding: 'utf8' });
    const version = execFileSync(other!, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
    }).trim();
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `error: the native addon better-sqlite3 was built for Node ${process.versions.node.split('.')[0]} (ABI ${process.versions.modules}), but this is Node ${version} (ABI ${spawnSync(other!, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim()}): run \`npm rebuild better-sqlite3\` with the Node that runs runner`,
    ]);
  });
});
