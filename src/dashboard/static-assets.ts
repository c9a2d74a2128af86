import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the page may load: where it lives on disk and how it is served. */
export interface StaticAsset {
  readonly file: string;
  readonly contentType: string;
}

/** Page files under src/dashboard/static/, by URL path. Nothing else is ever served. */
const PAGE_FILES: Readonly<Record<string, readonly [file: string, contentType: string]>> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/static/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/static/api.js': ['api.js', 'text/javascript; charset=utf-8'],
  '/static/charts.js': ['charts.js', 'text/javascript; charset=utf-8'],
  '/static/chart-board.js': ['chart-board.js', 'text/javascript; charset=utf-8'],
  '/static/chart-layout.js': ['chart-layout.js', 'text/javascript; charset=utf-8'],
  '/static/views.js': ['views.js', 'text/javascript; charset=utf-8'],
  '/static/evaluation-view.js': ['evaluation-view.js', 'text/javascript; charset=utf-8'],
  '/static/run-labels.js': ['run-labels.js', 'text/javascript; charset=utf-8'],
  '/static/sweep-plot.js': ['sweep-plot.js', 'text/javascript; charset=utf-8'],
  '/static/sweep-charts.js': ['sweep-charts.js', 'text/javascript; charset=utf-8'],
  '/static/dom.js': ['dom.js', 'text/javascript; charset=utf-8'],
  '/static/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/static/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

/**
 * The formatting module the CLI uses (`src/format/`, checked JavaScript), served
 * unchanged so the page formats durations, times, metrics and params exactly as
 * the terminal does. Page files import it as `../../format/x.js`: the path tsc
 * resolves from `src/dashboard/static/`, and in the browser `..` stops at the
 * root, so `/static/` + `../../format/x.js` is `/format/x.js`.
 */
const FORMAT_FILES = [
  'index.js',
  'duration.js',
  'time.js',
  'metric.js',
  'param.js',
  'param-titles.js',
  'bytes.js',
] as const;

/** The chart library, from its npm package (served locally: the page works offline). */
const VENDOR_FILES: Readonly<Record<string, readonly [file: string, contentType: string]>> = {
  '/vendor/uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/vendor/uPlot.min.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
};

/**
 * The folder of the page's files. The build does not copy them, so from
 * `dist/dashboard/` they are found in `../../src/dashboard/static/` (the
 * package ships that folder); from `src/dashboard/` they sit beside.
 */
export function findStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'static'), join(here, '..', '..', 'src', 'dashboard', 'static')];
  for (const dir of candidates) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return candidates[0]!;
}

/**
 * The strict allow-list: a fixed table from URL path to file. The request
 * path is only ever a key into this table, never joined to a folder, so
 * `..`, encoded slashes or absolute paths cannot reach another file.
 */
export function createAssetTable(
  staticDir: string = findStaticDir(),
): ReadonlyMap<string, StaticAsset> {
  const require = createRequire(import.meta.url);
  const table = new Map<string, StaticAsset>();
  for (const [url, [file, contentType]] of Object.entries(PAGE_FILES)) {
    table.set(url, { file: join(staticDir, file), contentType });
  }
  // Beside this module: src/format/ under vitest, dist/format/ (tsc's copy) when built.
  const formatDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'format');
  for (const file of FORMAT_FILES) {
    table.set(`/format/${file}`, {
      file: join(formatDir, file),
      contentType: 'text/javascript; charset=utf-8',
    });
  }
  for (const [url, [specifier, contentType]] of Object.entries(VENDOR_FILES)) {
    table.set(url, { file: require.resolve(specifier), contentType });
  }
  return table;
}

/** Reads an asset; files are small and read per request so edits show on reload. */
export async function readAsset(asset: StaticAsset): Promise<Buffer> {
  return readFile(asset.file);
}
