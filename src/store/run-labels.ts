import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { selectByIds, unknownRun } from './run-records.js';

/**
 * Tags and notes: what a person says about a run to tell it apart (`baseline`, `bn-fix`,
 * "lr too high, see run 12"). Tags live in the `tags` table (one row per run and tag),
 * the note in `runs.note`. The rules on their text are here, shared by both stores.
 */

/** Longest tag accepted. */
export const MAX_TAG_LENGTH = 64;
/** Longest note accepted (a paragraph, not a file). */
export const MAX_NOTE_LENGTH = 10_000;

const TAG = /^[\p{L}\p{N}_][\p{L}\p{N}_.:/+=@-]*$/u;

/** What is wrong with a tag, or undefined when it is fine. */
export function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return 'a tag cannot be empty';
  if (tag.length > MAX_TAG_LENGTH)
    return `a tag has at most ${MAX_TAG_LENGTH} characters (this one has ${tag.length})`;
  if (!TAG.test(tag))
    return 'a tag is one word: letters, digits and _ . : / + = @ - (no spaces or commas), starting with a letter, digit or _';
  return undefined;
}

/** The tags, checked, deduplicated and sorted; a bad one is a StoreError naming it. */
export function checkTags(tags: readonly string[]): string[] {
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem !== undefined) throw new StoreError(`tag "${tag}": ${problem}`);
  }
  return [...new Set(tags)].sort();
}

/** The note as stored: null for none (an empty or blank text clears it). */
export function checkNote(note: string | null): string | null {
  if (note === null || note.trim() === '') return null;
  if (note.length > MAX_NOTE_LENGTH) {
    throw new StoreError(
      `a note has at most ${MAX_NOTE_LENGTH.toLocaleString('en-US')} characters (this one has ${note.length.toLocaleString('en-US')})`,
    );
  }
  return note;
}

/** The tags of these runs, each list sorted; runs without tags are absent. */
export function loadTags(db: Database, runIds: readonly number[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (runIds.length === 0) return out;
  const rows = selectByIds<{ run_id: number; tag: string }>(
    db,
    'SELECT run_id, tag FROM tags WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, tag',
    runIds,
  );
  for (const row of rows) {
    const list = out.get(row.run_id);
    if (list) list.push(row.tag);
    else out.set(row.run_id, [row.tag]);
  }
  return out;
}

/** Adds tags (already checked) to a run in the open transaction or on its own. */
export function insertTags(db: Database, runId: number, tags: readonly string[]): void {
  const insert = db.prepare('INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)');
  for (const tag of tags) insert.run(runId, tag);
}

/** Adds (or, with `remove`, takes away) tags; returns the run's tags after. Unknown run: StoreError. */
export function changeTags(
  db: Database,
  runId: number,
  tags: readonly string[],
  change: 'add' | 'remove',
): string[] {
  const checked = checkTags(tags);
  const write = db.transaction((): string[] => {
    // Not a heartbeat: `updated_at` stays, so a tagged dead run does not look alive.
    if (!db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId)) throw unknownRun(runId);
    if (change === 'add') insertTags(db, runId, checked);
    else {
      const remove = db.prepare('DELETE FROM tags WHERE run_id = ? AND tag = ?');
      for (const tag of checked) remove.run(runId, tag);
    }
    return loadTags(db, [runId]).get(runId) ?? [];
  });
  return write.immediate();
}

/** Sets (or with null or blank text clears) the run's note. Unknown run: StoreError. */
export function updateNote(db: Database, runId: number, note: string | null): void {
  const result = db.prepare('UPDATE runs SET note = ? WHERE id = ?').run(checkNote(note), runId);
  if (result.changes === 0) throw unknownRun(runId);
}
