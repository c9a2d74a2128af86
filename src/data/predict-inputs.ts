import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { loadCsvTable } from './csv/load-csv-table.js';
import { readCsv, type CsvText } from './csv/read-csv.js';
import type { MissingPolicy, TablePreprocessing } from './csv/table-preprocessing.js';
import type { ImageSplit } from './dataset.js';
import { BadImage, decodeImageInto } from './image-folder/decode-image.js';

/** How many bad files one message lists before "and N more". */
const LISTED = 10;

/**
 * Decodes image files for a prediction, each as the run's images were
 * (resized to [height, width], converted to its channels). Every file that
 * is missing, not a file or not an image is named, one line each, in one
 * DatasetError; nothing is predicted then.
 *
 * @example
 * const split = await loadImageFiles(['cat.jpg'], [64, 64, 3], process.cwd());
 */
export async function loadImageFiles(
  files: readonly string[],
  shape: readonly number[],
  cwd: string,
): Promise<ImageSplit> {
  const [height, width, channels] = shape as [number, number, 1 | 3 | 4];
  const size = height * width * channels;
  const images = new Uint8Array(files.length * size);
  const bad: string[] = [];
  for (const [index, file] of files.entries()) {
    const path = resolve(cwd, file);
    const problem = fileProblem(path);
    if (problem !== undefined) {
      bad.push(`${file}: ${problem}`);
      continue;
    }
    try {
      await decodeImageInto(
        path,
        { height, width, channels, resize: true },
        images.subarray(index * size, (index + 1) * size),
      );
    } catch (error) {
      if (!(error instanceof BadImage)) throw error;
      bad.push(`${file}: ${error.message}`);
    }
  }
  if (bad.length > 0) {
    const listed = bad.slice(0, LISTED);
    const more = bad.length > LISTED ? `\n  and ${bad.length - LISTED} more` : '';
    throw new DatasetError(
      bad.length === 1
        ? `cannot read image ${bad[0]}`
        : `${bad.length} files cannot be read as images:\n  ${listed.join('\n  ')}${more}`,
      { hint: 'give PNG, JPEG, WebP, GIF or TIFF files; nothing was predicted' },
    );
  }
  return {
    images,
    labels: new Uint8Array(files.length),
    count: files.length,
    height,
    width,
    channels,
  };
}

/** How a run encoded its table, for rows to predict. */
export interface TableEncoding {
  readonly target: string;
  readonly task: 'classification' | 'regression';
  readonly missing: MissingPolicy;
  readonly standardize: boolean;
  readonly preprocessing: TablePreprocessing;
}

/** A CSV file to predict: its rows encoded as the run's training table, and the text of every cell. */
export interface PredictTable {
  readonly split: ImageSplit;
  /** The file line of each encoded row (rows dropped for a missing value have none). */
  readonly lines: readonly number[];
  /** Every column of the file, as written, to write back with the predictions. */
  readonly text: CsvText;
  readonly notices: readonly string[];
}

/**
 * Reads a CSV file of rows to predict: the run's feature columns are required
 * (by name, in any order; a missing one is named with the file), the target
 * column may be absent, and values are encoded with the run's statistics and
 * categories (an unseen category is an error at its line and column).
 */
export async function loadCsvRows(
  file: string,
  encoding: TableEncoding,
  cwd: string,
): Promise<PredictTable> {
  const path = resolve(cwd, file);
  const table = await loadCsvTable(path, {
    key: 'data',
    target: encoding.target,
    features: encoding.preprocessing.columns.map((c) => c.name),
    task: encoding.task,
    missing: encoding.missing,
    standardize: encoding.standardize,
    preprocessing: encoding.preprocessing,
    requireTarget: false,
  });
  const text = await readCsv(path, (header) => header);
  return {
    split: {
      images: new Uint8Array(0),
      labels: new Uint8Array(table.count),
      count: table.count,
      height: 1,
      width: 1,
      channels: table.width,
      features: table.features,
      ...(encoding.task === 'regression' ? { targets: new Float32Array(table.count) } : {}),
    },
    lines: table.lines,
    text,
    notices: table.notices,
  };
}

function fileProblem(path: string): string | undefined {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return 'is a folder, not an image file';
    if (!stat.isFile()) return 'is not a regular file';
    return undefined;
  } catch {
    return 'no such file';
  }
}
