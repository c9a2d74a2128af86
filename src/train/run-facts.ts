import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import * as tf from '../tf.js';
import { stringify } from 'yaml';
import { RUNNER_VERSION } from '../version.js';

/** What a run records so it can be reproduced and compared later. */
export interface RunFacts {
  readonly configYaml: string;
  readonly configHash: string;
  readonly versions: { readonly runner: string; readonly tfjs: string; readonly node: string };
  readonly gitCommit: string | undefined;
  readonly host: string;
}

export function collectRunFacts(
  document: Readonly<Record<string, unknown>>,
  cwd: string,
): RunFacts {
  return {
    configYaml: stringify(document),
    configHash: hashConfig(document),
    versions: { runner: RUNNER_VERSION, tfjs: tf.version_core, node: process.version },
    gitCommit: gitCommitOf(cwd),
    host: hostname(),
  };
}

/** sha256 of the config as canonical JSON (keys sorted), so key order does not change it. */
export function hashConfig(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The commit checked out in `cwd`, with `-dirty` when there are uncommitted changes; undefined outside git. */
function gitCommitOf(cwd: string): string | undefined {
  try {
    const run = (args: string[]): string =>
      execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim();
    const commit = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    // Not a git checkout, or git is absent: nothing to record.
    return undefined;
  }
}
