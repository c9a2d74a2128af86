import { UsageError } from '../errors.js';
import { RUN_STATUSES, type RunState, type RunStatus } from '../store/index.js';

const RUN_STATES: readonly RunState[] = [...RUN_STATUSES, 'lost'];

/**
 * Parsers of the API's query parameters. A bad value is a `UsageError`,
 * answered with 400 and a message that names the parameter.
 */

/** `runs=3,4,7` → [3, 4, 7]; positive integers, no duplicates kept. */
export function parseIdList(
  query: URLSearchParams,
  name: string,
  limits: { readonly min: number; readonly max: number },
): number[] {
  const raw = query.get(name) ?? '';
  const parts = raw.split(',').filter((p) => p.trim() !== '');
  const ids: number[] = [];
  for (const part of parts) {
    const id = parsePositiveInt(part.trim());
    if (id === undefined)
      throw new UsageError(`${name}: "${part}" is not a run id (a positive integer)`);
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length < limits.min) {
    throw new UsageError(`${name}: expected at least ${limits.min} id(s), found ${ids.length}`);
  }
  if (ids.length > limits.max) {
    throw new UsageError(`${name}: at most ${limits.max} ids at once, found ${ids.length}`);
  }
  return ids;
}

/**
 * `states=10:running,11:lost`: the state the page last saw of each watched run, so a run that
 * changed between the page's read and its stream's first poll is still announced.
 */
export function parseKnownStates(query: URLSearchParams): Map<number, RunState> {
  const known = new Map<number, RunState>();
  const raw = query.get('states') ?? '';
  for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
    const [idText = '', state = ''] = part.trim().split(':');
    const id = parsePositiveInt(idText);
    if (id === undefined || !RUN_STATES.includes(state as RunState))
      throw new UsageError(
        `states: "${part}" is not <run id>:<state> (a state is one of ${RUN_STATES.join(', ')})`,
      );
    known.set(id, state as RunState);
  }
  return known;
}

/** `keys=train/loss,test/loss`, or the defaults when absent. */
export function parseKeyList(
  query: URLSearchParams,
  defaults: readonly string[],
  max: number,
): string[] {
  const raw = query.get('keys');
  if (raw === null || raw.trim() === '') return [...defaults];
  const keys = [
    ...new Set(
      raw
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== ''),
    ),
  ];
  if (keys.length > max)
    throw new UsageError(`keys: at most ${max} metric keys at once, found ${keys.length}`);
  for (const key of keys) {
    if (key.length > 200) throw new UsageError('keys: a metric key is longer than 200 characters');
  }
  return keys;
}

/** An optional integer parameter, clamped to [min, max]. */
export function parseIntParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  range: { readonly min: number; readonly max: number },
): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = parsePositiveInt(raw);
  if (value === undefined) throw new UsageError(`${name}: "${raw}" is not a positive integer`);
  return Math.min(range.max, Math.max(range.min, value));
}

/** `status=running,failed` → statuses; unknown names are refused. */
export function parseStatuses(query: URLSearchParams): RunStatus[] | undefined {
  const raw = query.get('status');
  if (raw === null || raw.trim() === '') return undefined;
  const statuses: RunStatus[] = [];
  for (const part of raw.split(',').map((s) => s.trim())) {
    const status = RUN_STATUSES.find((s) => s === part);
    if (status === undefined) {
      throw new UsageError(
        `status: unknown status "${part}" (expected one of ${RUN_STATUSES.join(', ')})`,
      );
    }
    statuses.push(status);
  }
  return statuses;
}

export function parsePositiveInt(text: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 1 ? value : undefined;
}
