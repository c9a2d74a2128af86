import { maskedCrc32c } from './crc32c.js';
import { ProtoWriter } from './protobuf-writer.js';

/**
 * TensorBoard event files, written without TensorFlow: a sequence of TFRecord records, each an
 * `Event` message (tensorflow/core/util/event.proto) whose `summary` holds `Summary.Value`s
 * (tensorflow/core/framework/summary.proto).
 *
 * - TFRecord framing (tensorflow/core/lib/io/record_writer.cc): `uint64 length`, `uint32
 *   masked_crc32c(length bytes)`, `data`, `uint32 masked_crc32c(data)`, little-endian.
 * - The first event is `file_version: "brain.Event:2"`, as every TensorFlow writer starts.
 * - Scalars are `simple_value` (a float32: TensorBoard's scalar plugin reads it as such).
 * - The config (and the note, when there is one) is a text summary: a `tensor` of dtype
 *   DT_STRING, scalar shape, with `metadata.plugin_data.plugin_name = "text"`, as
 *   `tf.summary.text` writes it. The text plugin renders Markdown, so the YAML is indented
 *   four spaces (a Markdown code block); strip the indent to get the YAML back.
 * - Events are in step order with one event per step: TensorBoard drops ("purges") every
 *   value after a step that goes backwards in a file, so values of many keys recorded at one
 *   step share an event, timed by the earliest of them.
 */

/** What an event file holds of one run. */
export interface TfEventsRun {
  /** Epoch ms; the file_version and text events are timed by it. */
  readonly startedAt: number;
  readonly configYaml: string;
  readonly note?: string | null;
  readonly curves: readonly {
    readonly key: string;
    /** `value` null (a non-finite value the store kept as null) is written as NaN. */
    readonly points: readonly {
      readonly step: number;
      readonly value: number | null;
      readonly time: number;
    }[];
  }[];
}

/** Field numbers of event.proto / summary.proto / tensor.proto used here. */
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, tensor: 8, metadata: 9 } as const;
const METADATA = { pluginData: 1 } as const;
const PLUGIN_DATA = { pluginName: 1 } as const;
const TENSOR = { dtype: 1, tensorShape: 2, stringVal: 8 } as const;
const DT_STRING = 7;

export const TFEVENTS_FILE_VERSION = 'brain.Event:2';

/** The text tags an export writes beside the scalars. */
export const TFEVENTS_TEXT_TAGS = { config: 'config', note: 'note' } as const;

/** The bytes of one run's event file. */
export function encodeTfEvents(run: TfEventsRun): Uint8Array {
  const records: Uint8Array[] = [];
  const started = run.startedAt / 1000;
  records.push(
    frameRecord(
      new ProtoWriter()
        .double(EVENT.wallTime, started)
        .bytes(EVENT.fileVersion, TFEVENTS_FILE_VERSION)
        .finish(),
    ),
  );
  const texts = [
    { tag: TFEVENTS_TEXT_TAGS.config, text: indentMarkdownCode(run.configYaml) },
    ...(run.note ? [{ tag: TFEVENTS_TEXT_TAGS.note, text: run.note }] : []),
  ];
  const summary = new ProtoWriter();
  for (const { tag, text } of texts) summary.bytes(SUMMARY.value, textValue(tag, text));
  records.push(frameRecord(eventAt(started, 0, summary)));

  for (const { step, time, values } of byStep(run.curves)) {
    const stepSummary = new ProtoWriter();
    for (const { key, value } of values) {
      stepSummary.bytes(
        SUMMARY.value,
        new ProtoWriter().bytes(VALUE.tag, key).float(VALUE.simpleValue, value ?? Number.NaN),
      );
    }
    records.push(frameRecord(eventAt(time / 1000, step, stepSummary)));
  }
  return concat(records);
}

/** The event file's name, as TensorFlow's writers name them (TensorBoard looks for "tfevents"). */
export function tfEventsFileName(startedAt: number, host: string, runId: number): string {
  return `events.out.tfevents.${Math.floor(startedAt / 1000)}.${host.replace(/[^\w.-]/g, '_')}.${runId}`;
}

function eventAt(wallTime: number, step: number, summary: ProtoWriter): Uint8Array {
  return new ProtoWriter()
    .double(EVENT.wallTime, wallTime)
    .varint(EVENT.step, step)
    .bytes(EVENT.summary, summary)
    .finish();
}

function textValue(tag: string, text: string): ProtoWriter {
  const metadata = new ProtoWriter().bytes(
    METADATA.pluginData,
    new ProtoWriter().bytes(PLUGIN_DATA.pluginName, 'text'),
  );
  const tensor = new ProtoWriter()
    .varint(TENSOR.dtype, DT_STRING)
    .bytes(TENSOR.tensorShape, new Uint8Array(0))
    .bytes(TENSOR.stringVal, text);
  return new ProtoWriter()
    .bytes(VALUE.tag, tag)
    .bytes(VALUE.metadata, metadata)
    .bytes(VALUE.tensor, tensor);
}

/** Every value, grouped by step in ascending order; each group timed by its earliest value. */
function byStep(curves: TfEventsRun['curves']): {
  step: number;
  time: number;
  values: { key: string; value: number | null }[];
}[] {
  const steps = new Map<
    number,
    { time: number; values: { key: string; value: number | null }[] }
  >();
  for (const { key, points } of curves) {
    for (const { step, value, time } of points) {
      const group = steps.get(step);
      if (group) {
        group.values.push({ key, value });
        group.time = Math.min(group.time, time);
      } else steps.set(step, { time, values: [{ key, value }] });
    }
  }
  return [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([step, g]) => ({ step, ...g }));
}

function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

function indentMarkdownCode(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
