import type { ParamValue } from '../store/index.js';
import { formatDuration, formatMetric, formatParam, formatTime } from '../format/index.js';

/** Rows from a cursor: a SQLite iterator or a PostgreSQL stream. */
type Rows = Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>;

/**
 * The only writer to the terminal. Commands hand it data; it prints plain,
 * human text (or JSON/CSV when asked).
 */
export interface Renderer {
  /** One line to stdout. */
  line(text?: string): void;
  /** One line to stderr: progress, notices, warnings. */
  note(text: string): void;
  /** Replace the current stderr line (progress bars); a no-op when stderr is not a TTY. */
  status(text: string): void;
  /** Whether `status` draws (stderr is a terminal); when not, progress goes out as plain `note` lines. */
  readonly liveStatus: boolean;
  json(value: unknown): void;
  table(rows: readonly Readonly<Record<string, unknown>>[], columns?: readonly TableColumn[]): void;
  csv(rows: readonly Readonly<Record<string, unknown>>[], columns?: readonly string[]): void;
  /** CSV of rows of any number, written as they come (never all held), waiting when stdout is full. */
  csvRows(columns: readonly string[], rows: Rows): Promise<void>;
  /** A JSON array of objects, written row by row as `csvRows`. */
  jsonRows(columns: readonly string[], rows: Rows): Promise<void>;
  /** A view in the format the user asked for (see `renderView`); an empty table is a note. */
  view<R>(view: View<R>, format: OutputFormat): void;
  readonly isTTY: boolean;
}

export type OutputFormat = 'table' | 'csv' | 'json';

/**
 * What a column holds, which decides how each format shows it: the table
 * formats for people (`2026-11-28 00:41`, `3m 07s`, `0.9700`), CSV and JSON
 * keep the value as it is (ISO time, seconds, the full number).
 */
export type ValueKind =
  | 'text'
  | 'id'
  | 'count'
  | 'time'
  | 'duration'
  | 'metric'
  | 'param'
  /** A value as SQLite returned it (`NULL`, `<3 bytes>`; numbers without separators). */
  | 'sql';

export interface ViewColumn<R> {
  /** The CSV header, and the record field read when there is no `value`. */
  readonly key: string;
  /** The table header (default: `key`). */
  readonly title?: string;
  readonly kind?: ValueKind;
  /** Table alignment, when not the kind's own (numbers right, text left). */
  readonly align?: 'left' | 'right';
  /** The raw value of this column for a record; time is an ISO string or epoch ms, duration seconds. */
  readonly value?: (record: R) => unknown;
  /** How a table cell shows the value, when not as its kind does (e.g. a long note cut short). */
  readonly table?: (value: unknown) => string;
}

/**
 * A command's output as data, built once: the records (what JSON prints unless
 * `json` says otherwise) and the columns a table or CSV shows of them.
 */
export interface View<R> {
  readonly records: readonly R[];
  readonly columns: readonly ViewColumn<R>[];
  /** What `--json` prints, when it is more than the records (a comparison, one record). */
  readonly json?: unknown;
  /** Said on stderr instead of a table with no rows. */
  readonly empty?: string;
}

export interface TableColumn {
  readonly key: string;
  readonly title?: string;
  readonly align?: 'left' | 'right';
  readonly format?: (value: unknown) => string;
}

export interface RendererStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export function createRenderer(
  streams: RendererStreams = { stdout: process.stdout, stderr: process.stderr },
): Renderer {
  const { stdout, stderr } = streams;
  const stderrTTY = Boolean(stderr.isTTY);
  let statusShown = false;
  const clearStatus = (): void => {
    if (statusShown) {
      stderr.write('\r\x1b[2K');
      statusShown = false;
    }
  };
  return {
    isTTY: Boolean(stdout.isTTY),
    liveStatus: stderrTTY,
    line(text = '') {
      clearStatus();
      stdout.write(`${text}\n`);
    },
    note(text) {
      clearStatus();
      stderr.write(`${text}\n`);
    },
    status(text) {
      if (!stderrTTY) return;
      const width = stderr.columns ?? 100;
      stderr.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
      statusShown = true;
    },
    json(value) {
      clearStatus();
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    table(rows, columns) {
      clearStatus();
      stdout.write(formatTable(rows, columns));
    },
    csv(rows, columns) {
      clearStatus();
      stdout.write(formatCsv(rows, columns));
    },
    async csvRows(columns, rows) {
      clearStatus();
      const line = (values: readonly unknown[]) => `${values.map(csvCell).join(',')}\n`;
      await writeChunked(stdout, line(columns), rows, line, '');
    },
    async jsonRows(columns, rows) {
      clearStatus();
      let first = true;
      const item = (values: readonly unknown[]) => {
        const object = Object.fromEntries(columns.map((c, i) => [c, values[i] ?? null]));
        const text = `${first ? '' : ',\n'}  ${JSON.stringify(object)}`;
        first = false;
        return text;
      };
      await writeChunked(stdout, '[\n', rows, item, '');
      stdout.write(first ? ']\n' : '\n]\n');
    },
    view(view, format) {
      clearStatus();
      if (format === 'table' && view.records.length === 0 && view.empty !== undefined) {
        stderr.write(`${view.empty}\n`);
        return;
      }
      stdout.write(renderView(view, format));
    },
  };
}

/** Output is gathered into chunks of about this many characters before each write. */
const CHUNK_CHARS = 1 << 16;

/** Writes `head`, each row's text, then `tail`, in chunks, waiting for 'drain' when the stream is full. */
async function writeChunked(
  stream: NodeJS.WritableStream,
  head: string,
  rows: Rows,
  text: (row: readonly unknown[]) => string,
  tail: string,
): Promise<void> {
  let chunk = head;
  const flush = async () => {
    const room = stream.write(chunk);
    chunk = '';
    if (!room) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  };
  for await (const row of rows) {
    chunk += text(row);
    if (chunk.length >= CHUNK_CHARS) await flush();
  }
  chunk += tail;
  if (chunk !== '') await flush();
}

const TABLE_FORMAT: Record<ValueKind, (value: unknown) => string> = {
  text: (v) => (v === null || v === undefined ? '' : String(v)),
  id: (v) => (v === null || v === undefined ? '' : String(v)),
  count: (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : formatValue(v)),
  time: (v) =>
    typeof v === 'number' || typeof v === 'string' ? formatTime(new Date(v).getTime()) : '',
  duration: (v) => (typeof v === 'number' ? formatDuration(v * 1000) : ''),
  metric: (v) => (typeof v === 'number' ? formatMetric(v) : formatMetric(null)),
  param: (v) => formatParam(v as ParamValue | undefined),
  sql: (v) =>
    v === null || v === undefined
      ? 'NULL'
      : v instanceof Uint8Array
        ? `<${v.length} bytes>`
        : String(v),
};

const RIGHT_ALIGNED: ReadonlySet<ValueKind> = new Set([
  'id',
  'count',
  'duration',
  'metric',
  'param',
]);

/** A view as the text of one format: an aligned table, CSV with a header, or indented JSON. */
export function renderView<R>(view: View<R>, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(view.json ?? view.records, null, 2)}\n`;
  const read = (column: ViewColumn<R>, record: R): unknown =>
    column.value ? column.value(record) : (record as Record<string, unknown>)[column.key];
  const rows = view.records.map((record) =>
    Object.fromEntries(view.columns.map((c) => [c.key, read(c, record)])),
  );
  if (format === 'csv')
    return formatCsv(
      rows,
      view.columns.map((c) => c.key),
    );
  return formatTable(
    rows,
    view.columns.map((c) => {
      const kind = c.kind ?? 'text';
      return {
        key: c.key,
        ...(c.title === undefined ? {} : { title: c.title }),
        // SQL values keep the table's own rule: right-aligned when the column has numbers.
        ...(c.align !== undefined
          ? { align: c.align }
          : kind === 'sql'
            ? {}
            : { align: RIGHT_ALIGNED.has(kind) ? 'right' : 'left' }),
        format: c.table ?? TABLE_FORMAT[kind],
      } satisfies TableColumn;
    }),
  );
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : value.toFixed(4);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatTable(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns?: readonly TableColumn[],
): string {
  const cols: readonly TableColumn[] =
    columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))].map((key) => ({ key }));
  const cells = rows.map((row) => cols.map((c) => (c.format ?? formatValue)(row[c.key])));
  const titles = cols.map((c) => c.title ?? c.key);
  // A loop, not Math.max(...cells): spreading 150,000 rows overflows the call stack.
  const widths = titles.map((t) => t.length);
  for (const row of cells)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  const isRight = cols.map(
    (c) =>
      c.align === 'right' ||
      (c.align === undefined && rows.some((r) => typeof r[c.key] === 'number')),
  );
  const fmt = (values: readonly string[]): string =>
    values
      .map((v, i) => (isRight[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(titles), ...cells.map(fmt)].map((l) => `${l}\n`).join('');
}

export function formatCsv(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns?: readonly string[],
): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [cols.map(csvCell).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))]
    .map((l) => `${l}\n`)
    .join('');
}

function csvCell(v: unknown): string {
  const s =
    v === null || v === undefined
      ? ''
      : v instanceof Uint8Array
        ? Buffer.from(v).toString('base64')
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
