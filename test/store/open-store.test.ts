import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { openStore, STORE_SCHEMA_VERSION } from '../../src/store/index.js';
import { APPLICATION_ID, MIGRATIONS } from '../../src/store/schema.js';
import { makeTempDir, newRun } from '../test-kit.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, remove: cleanup } = makeTempDir('store')));
afterEach(() => cleanup());

/** Writes a store as the first released schema (version 1) would have, with one run and its metrics. */
function writeVersion1Store(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    MIGRATIONS[0]!.up(db, Date.UTC(2026, 0, 1));
    db.pragma('user_version = 1');
  })();
  db.prepare(
    `INSERT INTO runs (id, name, status, started_at, ended_at, updated_at, config_yaml, config_json, config_hash, seed,
       backend, dataset, runner_version, tfjs_version, node_version, host)
     VALUES (7, 'old-run', 'completed', 1000, 9000, 9000, 'name: old-run', '{"name":"old-run"}', 'h', 3,
       'cpu', 'mnist', '0.0.1', '4.22.0', 'v20', 'old-host')`,
  ).run();
  db.prepare(`INSERT INTO params VALUES (7, 'train.optimizer.learningRate', 0.001)`).run();
  db.prepare(
    `INSERT INTO metric_keys (id, key, goal) VALUES (1, 'train/loss', 'minimize'), (2, 'test/accuracy', 'maximize')`,
  ).run();
  const insert = db.prepare('INSERT INTO metric_values VALUES (7, ?, ?, ?, ?, ?)');
  [2.0, 1.5, 0.7, 0.9].forEach((v, i) => insert.run(1, i + 1, 0, v, i * 100));
  insert.run(2, 4, 0, 0.8, 400);
  db.close();
}

describe('openStore', () => {
  it('creates the parent folders and the file, in WAL mode, at the current schema version', async () => {
    const path = join(dir, 'a', 'b', 'runner.db');
    const store = await openStore(path);
    expect(store.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(STORE_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    db.close();
  });

  it('migrates a version-1 store forward without losing its run, params or metrics', async () => {
    const path = join(dir, 'old.db');
    writeVersion1Store(path);
    const store = await openStore(path);
    const run = (await store.getRun(7))!;
    expect(run).toMatchObject({ name: 'old-run', status: 'completed', seed: 3, host: 'old-host' });
    expect(run.params).toEqual({ 'train.optimizer.learningRate': 0.001 });
    expect((await store.getCurve(7, 'train/loss')).map((p) => p.value)).toEqual([
      2.0, 1.5, 0.7, 0.9,
    ]);
    // The summaries added by version 2 are backfilled from the old values.
    expect(run.metrics['train/loss']).toMatchObject({
      count: 4,
      last: { step: 4, value: 0.9 },
      best: { step: 3, value: 0.7 },
      max: { step: 1, value: 2.0 },
    });
    expect((await store.listRuns({ where: 'test/accuracy > 0.5' })).map((r) => r.id)).toEqual([7]);
    // New runs continue after the old ids.
    expect(await store.createRun(newRun())).toBe(8);
    await store.close();
  });

  it('refuses a store written by a newer runner, and leaves it unchanged', async () => {
    const path = join(dir, 'new.db');
    (await openStore(path)).close();
    const db = new Database(path);
    db.pragma(`user_version = ${STORE_SCHEMA_VERSION + 1}`);
    db.pragma('journal_mode = DELETE');
    db.close();
    const before = readFileSync(path);
    await expect(openStore(path)).rejects.toThrow(/newer than this runner understands/);
    await expect(openStore(path, { readonly: true })).rejects.toThrow(StoreError);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses an SQLite file that is not a runner store, and leaves it unchanged', async () => {
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.exec(
      "CREATE TABLE runs (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO runs VALUES (1, 'mine')",
    );
    db.close();
    const before = readFileSync(path);
    await expect(openStore(path)).rejects.toThrow(/other\.db is not a runner store/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file that is not SQLite at all', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    await expect(openStore(path)).rejects.toThrow(/not a runner store: not an SQLite database/);
    expect(readFileSync(path, 'utf8')).toMatch(/^these are my notes/);
  });

  it('names the path when the store cannot be created', async () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    const path = join(blocker, 'runner.db');
    await expect(openStore(path)).rejects.toThrow(StoreError);
    await expect(openStore(path)).rejects.toThrow(path);
    mkdirSync(join(dir, 'folder.db'));
    await expect(openStore(join(dir, 'folder.db'))).rejects.toThrow(/is a directory/);
  });

  it('never creates or migrates when opened read-only', async () => {
    const missing = join(dir, 'missing.db');
    await expect(openStore(missing, { readonly: true })).rejects.toThrow(/no run store at/);
    await expect(openStore(missing, { create: false })).rejects.toThrow(/no run store at/);
    const old = join(dir, 'old.db');
    writeVersion1Store(old);
    await expect(openStore(old, { readonly: true })).rejects.toThrow(/needs upgrading/);
    const db = new Database(old, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses writes through a read-only store', async () => {
    const path = join(dir, 'runner.db');
    (await openStore(path)).close();
    const reader = await openStore(path, { readonly: true });
    await expect(reader.createRun(newRun())).rejects.toThrow(/read-only/);
    await reader.close();
  });
});
