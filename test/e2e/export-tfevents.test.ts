import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test-kit.js';
import { readStore, runCli, syntheticConfig } from './cli-kit.js';
import { readWithTensorboard, tensorboardPython } from './tensorboard-reader.js';

const tensorboard = tensorboardPython();
if ('missing' in tensorboard) console.warn(tensorboard.missing);

/*
 * An independent reader of TensorBoard event files, written here from the published specs,
 * sharing no code with src/export/:
 * - TFRecord (tensorflow/core/lib/io/record_writer.cc): uint64le length, uint32le
 *   masked_crc32c(length), data, uint32le masked_crc32c(data);
 *   masked = rotate-right-15(crc) + 0xa282ead8.
 * - event.proto: Event { double wall_time = 1; int64 step = 2; string file_version = 3;
 *   Summary summary = 5; }
 * - summary.proto: Summary { repeated Value value = 1; } Value { string tag = 1;
 *   float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
 *   SummaryMetadata { PluginData plugin_data = 1; } PluginData { string plugin_name = 1; }
 * - tensor.proto: TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2;
 *   repeated bytes string_val = 8; }, DT_STRING = 7.
 * - protobuf wire format: tag = field << 3 | wire type; 0 varint, 1 fixed64, 2 length-delimited,
 *   5 fixed32.
 */

/** CRC-32C bit by bit (no table), checked against the standard check value below. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc = (crc ^ byte) >>> 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? ((crc >>> 1) ^ 0x82f63b78) >>> 0 : crc >>> 1;
  }
  return (~crc >>> 0) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** Splits a file into its records, checking both CRCs of each. */
function readRecords(file: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    expect(file.length - at).toBeGreaterThanOrEqual(16);
    const header = file.subarray(at, at + 8);
    const length = Number(file.readBigUInt64LE(at));
    expect(file.readUInt32LE(at + 8), `length CRC of the record at byte ${at}`).toBe(
      masked(crc32cBitwise(header)),
    );
    const data = file.subarray(at + 12, at + 12 + length);
    expect(data.length).toBe(length);
    expect(file.readUInt32LE(at + 12 + length), `data CRC of the record at byte ${at}`).toBe(
      masked(crc32cBitwise(data)),
    );
    records.push(data);
    at += 12 + length + 4;
  }
  return records;
}

type WireValue = { wire: 0; n: bigint } | { wire: 1 | 5 | 2; bytes: Buffer };

/** A message as field number -> values in order, by wire type alone (the spec's decoding). */
function decodeMessage(bytes: Buffer): Map<number, WireValue[]> {
  const fields = new Map<number, WireValue[]>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: WireValue;
    if (wire === 0) value = { wire, n: varint() };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      value = { wire, bytes: bytes.subarray(at, at + size) };
      at += size;
    } else if (wire === 2) {
      const length = Number(varint());
      value = { wire, bytes: bytes.subarray(at, at + length) };
      at += length;
    } else throw new Error(`wire type ${wire} is not used by these messages`);
    expect(at).toBeLessThanOrEqual(bytes.length);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

function one(fields: Map<number, WireValue[]>, field: number): WireValue | undefined {
  const values = fields.get(field) ?? [];
  expect(values.length).toBeLessThanOrEqual(1);
  return values[0];
}
const bytesOf = (v: WireValue | undefined): Buffer => {
  if (v === undefined || v.wire === 0) throw new Error('expected a length-delimited field');
  return v.bytes;
};
const textOf = (v: WireValue | undefined) => bytesOf(v).toString('utf8');

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
  texts: { tag: string; plugin: string; dtype: number; text: string }[];
}

function decodeEvent(data: Buffer): DecodedEvent {
  const event = decodeMessage(data);
  const wall = one(event, 1);
  expect(wall?.wire).toBe(1);
  const step = one(event, 2);
  const version = one(event, 3);
  const decoded: DecodedEvent = {
    wallTime: bytesOf(wall).readDoubleLE(0),
    step: step?.wire === 0 ? Number(step.n) : 0,
    scalars: [],
    texts: [],
  };
  if (version) decoded.fileVersion = textOf(version);
  const summary = one(event, 5);
  if (!summary) return decoded;
  for (const v of decodeMessage(bytesOf(summary)).get(1) ?? []) {
    const value = decodeMessage(bytesOf(v));
    const tag = textOf(one(value, 1));
    const simple = one(value, 2);
    if (simple) {
      expect(simple.wire).toBe(5);
      decoded.scalars.push({ tag, value: bytesOf(simple).readFloatLE(0) });
      continue;
    }
    const metadata = decodeMessage(bytesOf(one(value, 9)));
    const pluginData = decodeMessage(bytesOf(one(metadata, 1)));
    const tensor = decodeMessage(bytesOf(one(value, 8)));
    const dtype = one(tensor, 1);
    decoded.texts.push({
      tag,
      plugin: textOf(one(pluginData, 1)),
      dtype: dtype?.wire === 0 ? Number(dtype.n) : -1,
      text: textOf(one(tensor, 8)),
    });
  }
  return decoded;
}

describe('runner runs export --format tfevents', () => {
  const temp = makeTempDir('tfevents');
  const db = join(temp.dir, 'runs.db');
  const cli = (...args: string[]) => runCli([...args, '--db', db], temp.dir);
  let ids: number[] = [];

  beforeAll(async () => {
    temp.write('tiny.yaml', syntheticConfig({ train: 96, test: 32, batchSize: 16, epochs: 2 }));
    const a = await cli('exp', 'tiny.yaml', '--quiet', '--note', 'first try');
    expect(a.code, a.stderr).toBe(0);
    const b = await cli('exp', 'tiny.yaml', '--quiet', '--set', 'train.epochs=1');
    expect(b.code, b.stderr).toBe(0);
    ids = readStore(db, (sql) =>
      sql.prepare('SELECT id FROM runs ORDER BY id').pluck().all(),
    ) as number[];
    expect(ids).toHaveLength(2);
  }, 120_000);
  afterAll(() => temp.remove());

  it('has a CRC-32C that gives the standard check value', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('writes one event file per run holding every recorded step and value, and the config', async () => {
    const out = await cli('runs', 'export', ...ids.map(String), '--format', 'tfevents', '-o', 'tb');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/TensorBoard event files under .*tb \(view: tensorboard --logdir/);
    const runFolders = readdirSync(join(temp.dir, 'tb')).sort();
    expect(runFolders).toEqual(ids.map((id) => `${id}-synthetic-e2e`));

    for (const id of ids) {
      const folder = join(temp.dir, 'tb', `${id}-synthetic-e2e`);
      const files = readdirSync(folder);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
      const events = readRecords(readFileSync(join(folder, files[0]!))).map(decodeEvent);

      const run = readStore(db, (sql) =>
        sql.prepare('SELECT started_at, config_yaml, note FROM runs WHERE id = ?').get(id),
      ) as { started_at: number; config_yaml: string; note: string | null };
      const stored = readStore(db, (sql) =>
        sql
          .prepare('SELECT key, step, value, time FROM metrics WHERE run_id = ? ORDER BY step, key')
          .all(id),
      ) as { key: string; step: number; value: number | null; time: number }[];
      expect(stored.length).toBeGreaterThan(10);

      // The first event says which format follows, as TensorFlow's writers do.
      expect(events[0]).toMatchObject({
        fileVersion: 'brain.Event:2',
        wallTime: run.started_at / 1000,
      });

      // The config (and the note) as text summaries of the text plugin.
      const texts = events.flatMap((e) => e.texts);
      const config = texts.find((t) => t.tag === 'config');
      expect(config).toMatchObject({ plugin: 'text', dtype: 7 });
      expect(config!.text.replace(/^ {4}/gm, '')).toBe(run.config_yaml.replace(/\n$/, ''));
      expect(texts.find((t) => t.tag === 'note')?.text).toBe(run.note ?? undefined);

      // Steps never go backwards (TensorBoard drops what follows a step that does).
      const steps = events.map((e) => e.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));

      // Every stored value once, at its step, as the float32 TensorBoard shows; nothing more.
      const written = events
        .flatMap((e) => e.scalars.map((s) => ({ key: s.tag, step: e.step, value: s.value })))
        .sort((a, b) => a.step - b.step || a.key.localeCompare(b.key));
      expect(written).toEqual(
        stored.map((p) => ({
          key: p.key,
          step: p.step,
          value: p.value === null ? Number.NaN : Math.fround(p.value),
        })),
      );
      // Each step's event is timed by the earliest value recorded at that step.
      for (const event of events.filter((e) => e.scalars.length > 0)) {
        const earliest = Math.min(
          ...stored.filter((p) => p.step === event.step).map((p) => p.time),
        );
        expect(event.wallTime).toBe(earliest / 1000);
      }
      const keys = new Set(written.map((w) => w.key));
      for (const key of ['train/loss', 'train/accuracy', 'test/loss', 'train/epoch_loss'])
        expect(keys).toContain(key);
    }
  });

  it.skipIf('missing' in tensorboard)(
    "loads in TensorBoard's own EventAccumulator with every tag, step and value, and the config text",
    async () => {
      const python = (tensorboard as { python: string }).python;
      const out = await cli(
        'runs',
        'export',
        ...ids.map(String),
        '--format',
        'tfevents',
        '-o',
        'tb-real',
      );
      expect(out.code, out.stderr).toBe(0);
      const folders = ids.map((id) => join(temp.dir, 'tb-real', `${id}-synthetic-e2e`));
      const loaded = readWithTensorboard(python, folders);
      for (const [i, id] of ids.entries()) {
        const run = loaded[folders[i]!]!;
        const meta = readStore(db, (sql) =>
          sql.prepare('SELECT started_at, config_yaml, note FROM runs WHERE id = ?').get(id),
        ) as { started_at: number; config_yaml: string; note: string | null };
        const stored = readStore(db, (sql) =>
          sql
            .prepare(
              'SELECT key, step, value, time FROM metrics WHERE run_id = ? ORDER BY key, step',
            )
            .all(id),
        ) as { key: string; step: number; value: number | null; time: number }[];
        expect(run.fileVersion).toBe(2);
        expect(run.firstEventTime).toBe(meta.started_at / 1000);
        // Every stored key is a scalar tag, with every step and its value (float32) in order:
        // TensorBoard purged nothing (steps never went backwards) and dropped nothing.
        const keys = [...new Set(stored.map((p) => p.key))].sort();
        expect(run.tags.scalars).toEqual(keys);
        for (const key of keys) {
          const points = stored.filter((p) => p.key === key);
          expect(
            run.scalars[key]!.map(([step, value]) => [step, value]),
            key,
          ).toEqual(points.map((p) => [p.step, p.value === null ? null : Math.fround(p.value)]));
          // Each value is timed by its step's event: the earliest value stored at that step.
          for (const [step, , wall] of run.scalars[key]!) {
            const earliest = Math.min(...stored.filter((p) => p.step === step).map((p) => p.time));
            expect(wall).toBeCloseTo(earliest / 1000, 6);
          }
        }
        // The config (and the note) through the text plugin, as TensorBoard's Text tab reads it.
        expect(run.tags.tensors).toEqual(meta.note === null ? ['config'] : ['config', 'note']);
        expect(run.texts['config']!.plugin).toBe('text');
        expect(run.texts['config']!.text.replace(/^ {4}/gm, '')).toBe(
          meta.config_yaml.replace(/\n$/, ''),
        );
        if (meta.note !== null) expect(run.texts['note']!.text).toBe(meta.note);
      }
    },
    120_000,
  );

  it('exports only the metrics asked for with --key', async () => {
    const out = await cli(
      'runs',
      'export',
      String(ids[0]),
      '--format',
      'tfevents',
      '-o',
      'tb-key',
      '--key',
      'test/loss',
    );
    expect(out.code, out.stderr).toBe(0);
    const folder = join(temp.dir, 'tb-key', `${ids[0]}-synthetic-e2e`);
    const events = readRecords(readFileSync(join(folder, readdirSync(folder)[0]!))).map(
      decodeEvent,
    );
    const tags = new Set(events.flatMap((e) => e.scalars.map((s) => s.tag)));
    expect([...tags]).toEqual(['test/loss']);
  });

  it('asks for the folder in one line when -o is missing', async () => {
    const out = await cli('runs', 'export', String(ids[0]), '--format', 'tfevents');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--format tfevents writes event files: give the folder with -o DIR/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});
