import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL server for tests: `initdb` in a temporary folder, `pg_ctl start` on a free
 * loopback port, trust authentication for loopback only, fsync off (about a second on this
 * machine). As root it runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
export interface PgServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: superuser, no password (trust on loopback). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** A URL to another database of this server, created on first use. */
  database(name: string): string;
  /** Stop (fast shutdown: connections are cut) and start again on the same port. */
  restart(options?: { readonly downMs?: number }): Promise<void>;
  stop(): void;
}

const BIN_DIRS = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
];

/** The folder holding initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env['RUNNER_PG_BIN'];
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const found = BIN_DIRS.find((dir) => existsSync(join(dir, 'initdb')));
  if (found) return found;
  if (existsSync('/usr/lib/postgresql')) {
    for (const version of readdirSync('/usr/lib/postgresql').sort().reverse()) {
      const dir = join('/usr/lib/postgresql', version, 'bin');
      if (existsSync(join(dir, 'initdb'))) return dir;
    }
  }
  return undefined;
}

/**
 * Whether PostgreSQL tests run here: a one-line reason to skip when they cannot, and an
 * error under CI=true (CI installs PostgreSQL; a missing server there is a failure).
 */
export function postgresAvailability(): { readonly available: boolean; readonly reason: string } {
  const bin = findPostgresBin();
  if (bin) return { available: true, reason: '' };
  const reason =
    'PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin; apt-get install postgresql): skipping the PostgreSQL tests';
  if (process.env['CI'] === 'true') throw new Error(`CI=true but ${reason}`);
  return { available: false, reason };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PgServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresAvailability().reason);
  const dir = mkdtempSync(join(tmpdir(), 'runner-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let uid = 0;
  let gid = 0;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (tool: string, args: readonly string[]): void => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : [...args];
    const result = spawnSync(command, argv, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
    }
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-k ${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const start = (): void =>
    run('pg_ctl', [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  const stopServer = (): void => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const created = new Set<string>();
  let stopped = false;
  return {
    url,
    port,
    dir,
    database(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      if (!created.has(name)) {
        run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
        created.add(name);
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart({ downMs = 0 } = {}) {
      stopServer();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        stopServer();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
