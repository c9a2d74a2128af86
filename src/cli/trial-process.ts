import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunStatus, TakenTrial } from '../store/index.js';
import type { TrialExit, TrialProcess, TrialProcessLauncher } from '../train/index.js';

const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));

/** The `{runId, status}` a trial's `runner exp --json` prints last, if it got that far. */
export function parseTrialResult(
  stdout: string,
): { readonly runId: number; readonly status: RunStatus } | undefined {
  try {
    const value = JSON.parse(stdout) as { runId?: unknown; status?: unknown };
    return typeof value.runId === 'number' && typeof value.status === 'string'
      ? { runId: value.runId, status: value.status as RunStatus }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface QueuedTrialLaunch {
  /** The store, passed through the environment (a URL's password never shows in `ps`). */
  readonly db: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Cores for each trial: the machine's, shared among the trials that run at once. */
  readonly cores: number;
  /** `--artifacts DIR`: every trial's artifacts there (`RUNNER_ARTIFACTS`). */
  readonly artifactsDir: string | undefined;
}

/**
 * Launches a queued trial as `runner exp` in a child process: the job's resolved config is
 * written to a file of its own (nothing of the enqueuing machine's disk is needed). The
 * child holds an IPC channel to the worker, so it learns when the worker dies (`kill -9`)
 * and records its run lost instead of training on unsupervised.
 */
export function queuedTrialLauncher(options: QueuedTrialLaunch): TrialProcessLauncher {
  return (taken: TakenTrial): TrialProcess => {
    const { job } = taken;
    const dir = mkdtempSync(join(tmpdir(), 'runner-trial-'));
    const file = join(dir, `sweep${job.sweepId}-trial${job.trialIndex + 1}.yaml`);
    writeFileSync(file, job.configYaml);
    const child = spawn(
      process.execPath,
      [
        MAIN_JS,
        'exp',
        file,
        '--name',
        job.runName,
        ...(job.tags ?? []).flatMap((tag) => ['--tag', tag]),
        '--json',
        '--sweep-trial',
        `${job.sweepId}:${job.trialIndex}`,
      ],
      {
        cwd: options.cwd,
        env: {
          ...options.env,
          RUNNER_DB: options.db,
          RUNNER_CORES: String(options.cores),
          RUNNER_TRIAL_PARENT: 'worker', // exp.ts: watchParent
          ...(options.artifactsDir ? { RUNNER_ARTIFACTS: options.artifactsDir } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Only the last lines matter (the error of a failed trial): memory stays bounded.
      if (stderr.length > 64_000) stderr = stderr.slice(-16_000);
    });
    const done = new Promise<TrialExit>((resolve) => {
      child.on('error', (error) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({ result: undefined, code: 1, signal: null, lastLine: error.message });
      });
      child.on('close', (code, signal) => {
        rmSync(dir, { recursive: true, force: true });
        resolve({
          result: parseTrialResult(stdout),
          code,
          signal,
          lastLine: stderr.trim().split('\n').filter(Boolean).pop(),
        });
      });
    });
    return {
      pid: child.pid,
      done,
      stop: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  };
}
