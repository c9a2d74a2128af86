import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunState, RunSummary } from './types.js';

export type { RunState };

/** How often a training run touches its heartbeat between flushes: well inside the timeout. */
export const HEARTBEAT_INTERVAL_MS = 60_000;

/** RUNNER_HEARTBEAT_MS (at least 100) if set, else HEARTBEAT_INTERVAL_MS; tests make it short. */
export function heartbeatIntervalOf(env: NodeJS.ProcessEnv | undefined): number {
  const value = Number(env?.['RUNNER_HEARTBEAT_MS']);
  return Number.isFinite(value) && value >= 100 ? value : HEARTBEAT_INTERVAL_MS;
}

/** A run on another host, with no heartbeat for this long, is lost. */
export const HEARTBEAT_TIMEOUT_MS = 5 * 60_000;

/** Two readings of one process's start time differ by less than this (clock ticks, rounding). */
const START_TIME_TOLERANCE_MS = 1000;

/** The facts of the world the liveness rule looks at; tests and other hosts supply their own. */
export interface LivenessProbe {
  /** Epoch ms. */
  readonly now: number;
  /** This machine's host name (a pid is only meaningful on the host that recorded it). */
  readonly host: string;
  /**
   * When the process with this pid started (epoch ms); `undefined` when there is no such
   * process, `null` when it exists but its start time cannot be read here.
   */
  processStartedAt(pid: number): number | null | undefined;
}

/** The fields of a run the rule reads. */
export type LivenessFacts = Pick<
  RunSummary,
  'status' | 'host' | 'pid' | 'pidStartedAt' | 'updatedAt'
>;

/**
 * The one liveness rule, used by the CLI, the API and the dashboard. A `running` run is
 * - on this host, with a pid: alive while that pid is a process that started when the run's
 *   process did (a pid reused after a reboot or a crash belongs to another process);
 * - elsewhere (or without a pid): alive while its heartbeat (`updated_at`, touched at each
 *   metric flush) is younger than `HEARTBEAT_TIMEOUT_MS`.
 * Anything else is `lost`. Runs that ended keep their recorded status.
 *
 * @example runState(run, localLivenessProbe()) // 'running' | 'lost' | 'completed' | ...
 */
export function runState(run: LivenessFacts, probe: LivenessProbe): RunState {
  if (run.status !== 'running') return run.status;
  if (run.pid !== null && run.host === probe.host) {
    const started = probe.processStartedAt(run.pid);
    if (started === undefined) return 'lost';
    if (started === null || run.pidStartedAt === null) return 'running';
    return Math.abs(started - run.pidStartedAt) <= START_TIME_TOLERANCE_MS ? 'running' : 'lost';
  }
  return probe.now - run.updatedAt < HEARTBEAT_TIMEOUT_MS ? 'running' : 'lost';
}

/** Whether a run's process still works on it (`runState` is `running`). */
export function isRunAlive(run: LivenessFacts, probe: LivenessProbe): boolean {
  return runState(run, probe) === 'running';
}

/** The probe of this machine, at this moment: its clock, its host name, its processes. */
export function localLivenessProbe(now: number = Date.now()): LivenessProbe {
  return { now, host: hostname(), processStartedAt };
}

/**
 * When process `pid` started, in epoch ms, read the same way whoever asks (the run records
 * its own, readers compare): on Linux from /proc (boot time + start ticks), on macOS and
 * the BSDs from `ps -o lstart=`. `undefined`: no such process; `null`: exists, start unknown.
 */
export function processStartedAt(pid: number): number | null | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  if (process.platform === 'linux') return linuxStartTime(pid);
  if (process.platform === 'darwin' || process.platform.endsWith('bsd')) return psStartTime(pid);
  return null;
}

let bootTimeMs: number | null | undefined;

function linuxStartTime(pid: number): number | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  // Field 22 (starttime, in clock ticks since boot) counts from the `)` that ends the command
  // name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie (exited, not yet reaped by a parent that is frozen or careless) works on nothing.
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const ticks = Number(fields[19]);
  bootTimeMs ??= readBootTime();
  if (!Number.isFinite(ticks) || bootTimeMs === null) return null;
  // USER_HZ is 100 on every Linux ABI Node runs on.
  return bootTimeMs + ticks * 10;
}

function readBootTime(): number | null {
  try {
    const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return match ? Number(match[1]) * 1000 : null;
  } catch {
    return null;
  }
}

function psStartTime(pid: number): number | null | undefined {
  try {
    const text = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    }).trim();
    if (text === '') return undefined;
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

/** The last step any metric of the run recorded (where a lost run stopped); null before the first. */
export function lastRecordedStep(run: Pick<RunSummary, 'metrics'>): number | null {
  let last: number | null = null;
  for (const summary of Object.values(run.metrics)) {
    if (last === null || summary.last.step > last) last = summary.last.step;
  }
  return last;
}
