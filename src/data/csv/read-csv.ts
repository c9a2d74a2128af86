import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { DatasetError } from '../../errors.js';

/** A CSV file's header and the columns asked for, as text, with each row's line number. */
export interface CsvText {
  readonly file: string;
  readonly header: readonly string[];
  /** Per wanted column (in the order asked), its cells top to bottom. */
  readonly columns: ReadonlyMap<string, string[]>;
  /** The file line each row starts on (1-based; the header is line 1). */
  readonly lines: readonly number[];
}

/**
 * Streams a CSV file (UTF-8, optional BOM, `,` separated, RFC 4180 quotes)
 * through csv-parse, keeping only the columns `wanted` picks from the header.
 * The first row must be a header: unique, non-empty names that are not all
 * numbers. Ragged rows and bad quotes are a DatasetError naming the line.
 */
export async function readCsv(
  file: string,
  wanted: (header: readonly string[]) => readonly string[],
): Promise<CsvText> {
  const stream = createReadStream(file);
  const parser = stream.pipe(parse({ bom: true, trim: true, skip_empty_lines: true, info: true }));
  // pipe() does not pass the file's errors on (a missing file or a folder would
  // crash the process as an unhandled 'error'): end the parse with them instead.
  stream.on('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  let picks: { name: string; index: number; cells: string[] }[] = [];
  const lines: number[] = [];
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const { record, info } = item;
      if (header === undefined) {
        header = record;
        checkHeader(file, header);
        picks = wanted(header).map((name) => ({ name, index: header!.indexOf(name), cells: [] }));
        continue;
      }
      // info.lines is the line the record ends on; a quoted newline spans more.
      lines.push(info.lines);
      for (const pick of picks) pick.cells.push(record[pick.index]!);
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DatasetError(`${file}: no such file`, {
        hint: 'check the path; relative paths are taken from the current directory',
      });
    }
    if (code === 'EISDIR') throw new DatasetError(`${file}: is a folder, not a CSV file`);
    const message = error instanceof Error ? error.message : String(error);
    // csv-parse's errors carry the line they stopped at.
    const line = (error as { lines?: unknown }).lines;
    const at = typeof line === 'number' && line > 0 ? `${file}:${line}` : file;
    throw new DatasetError(`${at}: not valid CSV: ${message}`, {
      hint: 'every row needs as many cells as the header; quote cells that hold commas',
      cause: error,
    });
  } finally {
    stream.destroy();
  }
  if (header === undefined) {
    throw new DatasetError(`${file}: the file is empty`, {
      hint: 'a CSV file needs a header row naming the columns, then one row per example',
    });
  }
  if (lines.length === 0) {
    throw new DatasetError(`${file}: a header row and no data rows`, {
      hint: 'add one row per example under the header',
    });
  }
  return { file, header, columns: new Map(picks.map((p) => [p.name, p.cells])), lines };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number as written in a CSV cell (not hex, not `Infinity`). */
export function isNumberText(text: string): boolean {
  return NUMBER.test(text);
}

function checkHeader(file: string, header: readonly string[]): void {
  const empty = header.findIndex((name) => name === '');
  if (empty >= 0) {
    throw new DatasetError(`${file}:1: column ${empty + 1} of the header has no name`, {
      hint: 'the first row must name every column',
    });
  }
  if (header.every(isNumberText)) {
    throw new DatasetError(`${file}:1: the first row is numbers, not a header`, {
      hint: 'add a header row naming the columns (e.g. `x1,x2,label`) above the data',
    });
  }
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new DatasetError(`${file}:1: the header names column "${name}" twice`, {
        hint: 'give every column its own name',
      });
    }
    seen.add(name);
  }
}
