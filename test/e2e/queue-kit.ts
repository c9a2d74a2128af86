import pg from 'pg';

/** A tiny synthetic config: ~20 steps an epoch, seconds per trial on cpu. */
export const queueConfig = (epochs: number): string => `name: tiny
seed: 3
data:
  dataset: synthetic
  batchSize: 10
  synthetic: {train: 200, test: 20, classes: 3, shape: [4, 4, 1], noise: 0.1}
model:
  input: [4, 4, 1]
  layers:
    - flatten: {}
    - dense: {units: 3}
train:
  epochs: ${epochs}
  optimizer: {type: adam, learningRate: 0.01}
backend: cpu
`;

export interface QueueRunRow {
  readonly id: number;
  readonly status: string;
  readonly trial_index: number;
  readonly error: string | null;
  readonly pid: number | null;
  /** Rows in metric_points. */
  readonly points: number;
  /** Rows of train/loss, and its last step: equal when no step is missing or doubled. */
  readonly losses: number;
  readonly steps: number;
}

export interface QueueJobRow {
  readonly state: string;
  readonly retry_count: number;
  readonly data: { readonly trialIndex: number; readonly configYaml: string };
}

/** Reads a sweep's runs and jobs the way a user's SQL would, through the documented tables. */
export function queueReader(client: pg.Client) {
  return {
    runs: async (sweepId: number): Promise<QueueRunRow[]> =>
      (
        await client.query<QueueRunRow>(
          `SELECT r.id, r.status, r.trial_index, r.error, r.pid,
             (SELECT count(*)::int FROM runner.metric_points m WHERE m.run_id = r.id) AS points,
             (SELECT count(*)::int FROM runner.metric_points m WHERE m.run_id = r.id AND m.key = 'train/loss') AS losses,
             coalesce((SELECT max(step)::int FROM runner.metric_points m WHERE m.run_id = r.id AND m.key = 'train/loss'), 0) AS steps
           FROM runner.runs r WHERE r.sweep_id = $1 ORDER BY r.trial_index, r.id`,
          [sweepId],
        )
      ).rows,
    jobs: async (sweepId: number): Promise<QueueJobRow[]> =>
      (
        await client.query<QueueJobRow>(
          `SELECT state, retry_count, data FROM runner_queue.job
           WHERE name = 'runner-trials' AND (data->>'sweepId')::int = $1
           ORDER BY (data->>'trialIndex')::int, created_on`,
          [sweepId],
        )
      ).rows,
    sweepStatus: async (sweepId: number): Promise<string> =>
      (
        await client.query<{ status: string }>('SELECT status FROM runner.sweeps WHERE id = $1', [
          sweepId,
        ])
      ).rows[0]!.status,
  };
}

/** Polls `check` every 200 ms until it holds; fails after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether a process is still there. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
