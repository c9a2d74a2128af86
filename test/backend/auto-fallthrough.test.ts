/**
 * `auto` with stand-in modules: a child process whose module resolution maps
 * `@tensorflow/tfjs-node` (and, for the last case, `@tensorflow/tfjs-backend-wasm`)
 * to small files this test writes, so the version check and each fall-through
 * run for real without installing or breaking anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'runner-standin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Selects `auto` in a child whose imports of the named packages load the given files. */
function selectAutoWith(standIns: Readonly<Record<string, string>>): {
  name: string;
  reason: string;
} {
  const hooks = write(
    `hooks-${Object.keys(standIns).length}-${Math.random().toString(36).slice(2)}.mjs`,
    `const map = ${JSON.stringify(Object.fromEntries(Object.entries(standIns).map(([k, v]) => [k, pathToFileURL(v).href])))};
export async function resolve(specifier, context, next) {
  if (specifier in map) return { url: map[specifier], shortCircuit: true };
  return next(specifier, context);
}
`,
  );
  const register = write(
    `register-${Math.random().toString(36).slice(2)}.mjs`,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const main = write(
    `main-${Math.random().toString(36).slice(2)}.mjs`,
    `import { selectBackend } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/backend/select-backend.js')).href)};
const info = await selectBackend('auto');
process.stdout.write(JSON.stringify({ name: info.name, reason: info.reason }));
`,
  );
  const out = execFileSync(process.execPath, ['--import', pathToFileURL(register).href, main], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as { name: string; reason: string };
}

describe('auto backend selection with stand-in modules', () => {
  it('passes over a tfjs-node that brings its own tfjs-core, naming both versions, for wasm', () => {
    // Registers no backend in the runner's tfjs-core: as when npm gives tfjs-node a copy of its own.
    const node = write(
      'tfjs-node-other-core.mjs',
      `export const version = { 'tfjs-core': '3.21.0', 'tfjs-node': '3.21.1' };\n`,
    );
    const info = selectAutoWith({ '@tensorflow/tfjs-node': node });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(
      /^auto: tfjs-node loads a separate @tensorflow\/tfjs-core \(3\.21\.0\) from the runner's \(4\.\d+\.\d+\) \(install the matching version: npm install @tensorflow\/tfjs-node@4\.\d+\.\d+\); so wasm$/,
    );
  });

  it('falls through to cpu when tfjs-node is broken and wasm does not load, saying why for each', () => {
    const node = write(
      'tfjs-node-broken.mjs',
      `throw new Error('libtensorflow.so.2: cannot open shared object file');\n`,
    );
    const wasm = write(
      'tfjs-backend-wasm-broken.mjs',
      `throw new Error('wasm stand-in: no WebAssembly here');\n`,
    );
    const info = selectAutoWith({
      '@tensorflow/tfjs-node': node,
      '@tensorflow/tfjs-backend-wasm': wasm,
    });
    expect(info.name).toBe('cpu');
    expect(info.reason).toMatch(
      /^auto: tfjs-node is installed but does not load \(libtensorflow\.so\.2: cannot open shared object file\)/,
    );
    expect(info.reason).toMatch(/wasm stand-in: no WebAssembly here/);
    expect(info.reason).toMatch(/; so cpu$/);
  });
});
