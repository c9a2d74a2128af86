import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'dist/cli/main.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the built CLI as a user would. */
export function startCli(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  /** `detached`: in a process group of its own, as a terminal's foreground job. */
  options: { readonly detached?: boolean } = {},
): ChildProcess & { result: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, RUNNER_DB: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
  return Object.assign(child, { result });
}

export function runCli(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return startCli(args, cwd, env).result;
}

/** Reads the store the way a user's SQL would: through the public tables, read-only. */
export function readStore<T>(db: string, read: (sql: Database.Database) => T): T {
  const sql = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return read(sql);
  } finally {
    sql.close();
  }
}

/** A small, fast config on generated data. */
export function syntheticConfig(
  options: {
    readonly name?: string;
    readonly train?: number;
    readonly test?: number;
    readonly batchSize?: number;
    readonly epochs?: number;
    readonly learningRate?: number;
    readonly extra?: string;
  } = {},
): string {
  return `name: ${options.name ?? 'synthetic-e2e'}
seed: 3
data:
  dataset: synthetic
  batchSize: ${options.batchSize ?? 32}
  synthetic: {train: ${options.train ?? 256}, test: ${options.test ?? 100}, classes: 4, shape: [12, 12, 1], noise: 0.1}
model:
  input: [12, 12, 1]
  layers:
    - conv2d: {filters: 4, kernelSize: 3, padding: same, activation: relu}
    - maxPool2d: {poolSize: 2}
    - flatten: {}
    - dense: {units: 16, activation: relu}
    - dropout: {rate: 0.2}
    - dense: {units: 4}
train:
  epochs: ${options.epochs ?? 2}
  optimizer: {type: adam, learningRate: ${options.learningRate ?? 0.01}}
${options.extra ?? ''}`;
}

/** The artifacts folder a run recorded (`<artifacts>/<store id>/<run id>/`). */
export function artifactsDirOf(db: string, runId: number): string {
  const dir = readStore(db, (sql) =>
    sql.prepare('select artifacts_dir from runs where id = ?').pluck().get(runId),
  );
  if (typeof dir !== 'string') throw new Error(`run ${runId} recorded no artifacts folder`);
  return dir;
}

/** One training step, then one evaluation over 24,000 images: seconds without a metric flush. */
export const SLOW_EVAL_CONFIG = `name: slow-eval
seed: 3
data:
  dataset: synthetic
  batchSize: 32
  synthetic: {train: 32, test: 24000, classes: 4, shape: [16, 16, 1], noise: 0.1}
model:
  input: [16, 16, 1]
  layers:
    - conv2d: {filters: 32, kernelSize: 3, padding: same, activation: relu}
    - conv2d: {filters: 32, kernelSize: 3, padding: same, activation: relu}
    - flatten: {}
    - dense: {units: 4}
train:
  epochs: 1
  optimizer: {type: adam, learningRate: 0.01}
`;

/** A run's row as a heartbeat watcher reads it. */
export interface HeartbeatRow {
  readonly status: string;
  readonly updatedAt: number;
  readonly points: number;
}

/**
 * Reads the run's row every 100 ms until `child` ends; from its first recorded step on, how
 * long it was seen running (`busyMs`) and how far its heartbeat fell behind at most (`stalestMs`).
 */
export async function watchHeartbeat(
  child: ReturnType<typeof startCli>,
  read: () => Promise<HeartbeatRow | undefined> | HeartbeatRow | undefined,
): Promise<{ busyMs: number; stalestMs: number; result: CliResult }> {
  let ended = false;
  child.on('close', () => (ended = true));
  let firstStep: number | undefined;
  let lastSeen = 0;
  let stalestMs = 0;
  while (!ended) {
    await new Promise((r) => setTimeout(r, 100));
    const row = await read();
    if (row?.status !== 'running' || row.points === 0) continue;
    const now = Date.now();
    firstStep ??= now;
    lastSeen = now;
    stalestMs = Math.max(stalestMs, now - row.updatedAt);
  }
  return {
    busyMs: firstStep === undefined ? 0 : lastSeen - firstStep,
    stalestMs,
    result: await child.result,
  };
}

/** The TPE sweep of the CLI tests (4 trials, 2 of them startup) and the space it searches. */
export const TPE_SPACE = {
  'train.optimizer.learningRate': { logUniform: [1e-4, 1e-1] as [number, number] },
  'model.layers[3].dense.units': { intUniform: [4, 24] as [number, number] },
};

export function tpeSweepConfig(name: string): string {
  return syntheticConfig({
    name,
    train: 128,
    test: 64,
    epochs: 1,
    extra: `sweep:
  sampler: tpe
  trials: 4
  tpe: {startupTrials: 2, candidates: 12}
  space:
    train.optimizer.learningRate: {logUniform: [1.0e-4, 1.0e-1]}
    model.layers[3].dense.units: {intUniform: [4, 24]}
  metric: test/accuracy
  goal: maximize
`,
  });
}

/** The last recorded value of a run's metric, read from the store as a user's SQL would. */
export function lastMetric(db: string, runId: number, key: string): number {
  return readStore(
    db,
    (sql) =>
      (
        sql
          .prepare('select value from metrics where run_id = ? and key = ? order by step desc')
          .get(runId, key) as { value: number }
      ).value,
  );
}
