import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  license: string;
  exports: Record<string, unknown>;
};

/** What `npm pack` would put in the tarball (no build: `--ignore-scripts`). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return report!.files.map((f) => f.path);
}

describe('the published package', () => {
  const built = existsSync(path.join(ROOT, 'dist/cli/main.js'));

  it.skipIf(!built && process.env['CI'] !== 'true')(
    'ships a LICENSE, the bin, the schema and no source map without its source',
    () => {
      const files = packedFiles();
      const set = new Set(files);
      expect(set.has('LICENSE')).toBe(true);
      expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      expect(pkg.license).toBe('MIT');
      expect(set.has(pkg.bin['runner']!.replace(/^\.\//, ''))).toBe(true);
      expect(set.has('schema/experiment.schema.json')).toBe(true);
      expect(set.has('src/format/index.js') || set.has('dist/format/index.js')).toBe(true);
      for (const map of files.filter((f) => f.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(path.join(ROOT, map), 'utf8')) as {
          sources: string[];
        };
        for (const source of sources) {
          const shipped = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
          expect(set.has(shipped), `${map} points at ${source}`).toBe(true);
        }
      }
      expect(files.some((f) => f.startsWith('test/') || f.startsWith('bench/'))).toBe(false);
    },
  );

  it('keeps the bin named runner under a name of its own (not the registry\'s "runner")', () => {
    expect(pkg.name).not.toBe('runner');
    expect(Object.keys(pkg.bin)).toEqual(['runner']);
  });

  it.skipIf(!built && process.env['CI'] !== 'true')(
    'resolves the library, the schema and package.json through its exports',
    async () => {
      // Self-reference: the package resolves its own name through `exports`, as a user's would.
      const require = createRequire(path.join(ROOT, 'package.json'));
      expect(require.resolve(`${pkg.name}/schema/experiment.schema.json`)).toBe(
        path.join(ROOT, 'schema/experiment.schema.json'),
      );
      expect(require.resolve(`${pkg.name}/package.json`)).toBe(path.join(ROOT, 'package.json'));
      const library = (await import(pkg.name)) as Record<string, unknown>;
      expect(typeof library['loadExperiment']).toBe('function');
      expect(() => require.resolve(`${pkg.name}/dist/cli/main.js`)).toThrow(
        /not defined by "exports"/,
      );
    },
  );
});
