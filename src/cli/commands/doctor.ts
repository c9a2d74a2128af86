import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { outputFormat, parsePort } from '../parse-flags.js';
import type { View } from '../render.js';
import { DB_HELP } from '../store-access.js';
import type { CliContext, CommandDefinition } from './command.js';

/** One finding of `runner doctor`. */
interface Check {
  readonly area: string;
  readonly item: string;
  /** `ok`, `warn` (works, but slower or partial) or `fail`. */
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do, when something is wrong. */
  readonly hint: string | null;
}

interface DoctorFlags {
  readonly db?: string;
  readonly port: string;
  readonly json?: boolean;
  readonly csv?: boolean;
}

/**
 * `runner doctor`: what this machine gives the runner. Node and the native addon's ABI,
 * which backends load (and why not, with what to do), SIMD, the data directory and what
 * each dataset would use, the store and its schema version, the dashboard port.
 */
export const doctorCommand: CommandDefinition = {
  name: 'doctor',
  register(program, context) {
    program
      .command('doctor')
      .description('check Node, native addon, backends, SIMD, data, store and dashboard port')
      .option('--db <path>', DB_HELP)
      .option('--port <n>', 'dashboard port to check', '6006')
      .option('--json', 'print JSON')
      .option('--csv', 'print CSV')
      .action(context.action((flags: DoctorFlags) => doctor(context, flags)));
  },
};

async function doctor(context: CliContext, flags: DoctorFlags): Promise<void> {
  const format = outputFormat(flags);
  const port = parsePort(flags.port);
  const checks: Check[] = [
    ...nodeChecks(),
    ...(await addonChecks()),
    ...(await backendChecks()),
    ...(await dataChecks(context)),
    ...(await storeChecks(context, flags.db)),
    await portCheck(port),
  ];
  const view: View<Check> = {
    records: checks,
    columns: [
      { key: 'area' },
      { key: 'item' },
      { key: 'status' },
      { key: 'detail' },
      { key: 'hint', table: (v) => (typeof v === 'string' ? `(${v})` : '') },
    ],
  };
  context.out.view(view, format);
  if (format === 'table') {
    const failed = checks.filter((c) => c.status === 'fail').length;
    context.out.note(
      failed === 0
        ? 'doctor: nothing stops the runner here'
        : `doctor: ${failed} problem${failed === 1 ? '' : 's'} found (see the hints)`,
    );
  }
}

function nodeChecks(): Check[] {
  const major = Number(process.versions.node.split('.')[0]);
  return [
    {
      area: 'node',
      item: 'version',
      status: major >= 22 ? 'ok' : 'fail',
      detail: `Node ${process.versions.node}, ABI ${process.versions.modules}, ${process.platform}-${process.arch}`,
      hint: major >= 22 ? null : 'the runner needs Node 22.12 or newer',
    },
  ];
}

async function addonChecks(): Promise<Check[]> {
  const require = createRequire(import.meta.url);
  let version = '?';
  try {
    version = (require('better-sqlite3/package.json') as { version: string }).version;
  } catch {
    // reported below
  }
  try {
    const { default: Database } = await import('better-sqlite3');
    new Database(':memory:').close();
    return [
      {
        area: 'addon',
        item: 'better-sqlite3',
        status: 'ok',
        detail: `${version}, loads into this Node (ABI ${process.versions.modules})`,
        hint: null,
      },
    ];
  } catch (error) {
    const { nativeAddonError } = await import('../../store/native-addon.js');
    const known = nativeAddonError(error, 'better-sqlite3');
    return [
      {
        area: 'addon',
        item: 'better-sqlite3',
        status: 'fail',
        detail: known?.message ?? (error instanceof Error ? error.message : String(error)),
        hint: known?.hint ?? 'run `npm rebuild better-sqlite3` with the Node that runs runner',
      },
    ];
  }
}

async function backendChecks(): Promise<Check[]> {
  const [{ BACKENDS }, { selectBackend }] = await Promise.all([
    import('../../backend/backends.js'),
    import('../../backend/index.js'),
  ]);
  const checks: Check[] = [];
  let auto: string | undefined;
  for (const backend of BACKENDS) {
    try {
      const info = await selectBackend(backend.name);
      auto ??= backend.name;
      checks.push({
        area: 'backend',
        item: backend.name,
        status: 'ok',
        detail: `loads: ${info.kernels}`,
        hint: null,
      });
      if (backend.name === 'wasm') {
        const simd =
          /SIMD/i.test(info.kernels) &&
          !/without SIMD|no SIMD|JavaScript loops/i.test(info.kernels);
        checks.push({
          area: 'backend',
          item: 'wasm SIMD',
          status: simd ? 'ok' : 'warn',
          detail: simd ? 'the SIMD kernel loops load' : info.kernels,
          hint: simd ? null : 'a Node built with WebAssembly SIMD (Node 22 has it) trains faster',
        });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const hint = (error as { hint?: unknown }).hint;
      checks.push({
        area: 'backend',
        item: backend.name,
        status: backend.name === 'cpu' ? 'fail' : 'warn',
        detail: `does not load: ${message.replace(/^backend \S+ was asked for, but /, '')}`,
        hint: typeof hint === 'string' ? hint : null,
      });
    }
  }
  checks.push({
    area: 'backend',
    item: 'auto',
    status: auto === undefined ? 'fail' : 'ok',
    detail: auto === undefined ? 'no backend loads' : `backend: auto trains on ${auto}`,
    hint: auto === undefined ? 'reinstall the dependencies with `npm install`' : null,
  });
  return checks;
}

async function dataChecks(context: CliContext): Promise<Check[]> {
  const [{ datasetStatus, resolveDataDir }] = await Promise.all([import('../../data/index.js')]);
  const dir = resolveDataDir(undefined, context.env, context.cwd);
  const rows = await datasetStatus({ env: context.env, cwd: context.cwd });
  return [
    {
      area: 'data',
      item: 'directory',
      status: 'ok',
      detail: `${dir.path} (${dir.origin === 'env' ? 'RUNNER_DATA_DIR' : dir.origin === 'root' ? 'data.root' : 'the user cache'}${existsSync(dir.path) ? '' : ', not made yet'})`,
      hint: null,
    },
    ...rows.map((row): Check => ({
      area: 'data',
      item: row.dataset,
      status: row.status === 'missing' ? 'warn' : 'ok',
      detail: `${row.status}: ${row.location}${row.detail ? ` (${row.detail})` : ''}`,
      hint: row.status === 'downloadable' ? `runner data fetch ${row.dataset}` : null,
    })),
  ];
}

async function storeChecks(context: CliContext, db: string | undefined): Promise<Check[]> {
  const { openStore, resolveStorePath, redactStoreTarget, isPostgresUrl, STORE_SCHEMA_VERSION } =
    await import('../../store/index.js');
  const target = resolveStorePath(db, context.env, context.cwd);
  const shown = redactStoreTarget(target);
  if (!isPostgresUrl(target) && !existsSync(target)) {
    return [
      {
        area: 'store',
        item: shown,
        status: 'ok',
        detail: `not made yet (the first runner exp creates it, schema version ${STORE_SCHEMA_VERSION})`,
        hint: null,
      },
    ];
  }
  try {
    const store = await openStore(target, { readonly: true });
    try {
      const runs = await store.countRuns();
      return [
        {
          area: 'store',
          item: shown,
          status: 'ok',
          detail: `${store.kind}, schema version ${store.schemaVersion}, ${runs.toLocaleString('en-US')} run${runs === 1 ? '' : 's'}`,
          hint: null,
        },
      ];
    } finally {
      await store.close();
    }
  } catch (error) {
    const older = error instanceof Error && /needs upgrading/.test(error.message);
    return [
      {
        area: 'store',
        item: shown,
        status: older ? 'warn' : 'fail',
        detail: error instanceof Error ? error.message : String(error),
        hint: (error as { hint?: string }).hint ?? null,
      },
    ];
  }
}

async function portCheck(port: number): Promise<Check> {
  const { createServer } = await import('node:net');
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (free) {
    return { area: 'dashboard', item: `port ${port}`, status: 'ok', detail: 'free', hint: null };
  }
  const status = await fetch(`http://127.0.0.1:${port}/api/status`, {
    signal: AbortSignal.timeout(2000),
  })
    .then((r) =>
      r.ok ? (r.json() as Promise<{ version?: string; storePath?: string }>) : undefined,
    )
    .catch(() => undefined);
  if (status?.version !== undefined) {
    return {
      area: 'dashboard',
      item: `port ${port}`,
      status: 'ok',
      detail: `a runner dashboard (runner ${status.version}) serves ${status.storePath ?? 'no store'} here`,
      hint: null,
    };
  }
  return {
    area: 'dashboard',
    item: `port ${port}`,
    status: 'warn',
    detail: 'taken by another program',
    hint: `runner serve --port ${port + 1}; runner exp --serve picks a free port itself`,
  };
}
