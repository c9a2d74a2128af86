import { DatasetError } from '../../errors.js';
import { compareNames } from '../image-folder/list-image-folder.js';
import { isNumberText, readCsv, type CsvText } from './read-csv.js';
import type {
  ColumnEncoding,
  MissingPolicy,
  TablePreprocessing,
  TargetEncoding,
} from './table-preprocessing.js';

export interface CsvTableOptions {
  /** `train` or `test` (or `data` for eval/predict input): the config key, for messages. */
  readonly key: string;
  readonly target: string;
  /** Feature columns; undefined: every column but the target. */
  readonly features: readonly string[] | undefined;
  readonly task: 'classification' | 'regression';
  readonly missing: MissingPolicy;
  /** Standardise numeric features with the training mean and std. */
  readonly standardize: boolean;
  /** Learnt from the training split; undefined when this is the training split. */
  readonly preprocessing: TablePreprocessing | undefined;
  /** False for predict: rows need no target cell (and the target column may be absent). */
  readonly requireTarget: boolean;
  /**
   * The training file's rows that `data.limit.train` and `data.validationSplit`
   * later hold out as `val`: statistics and categories are learnt without them.
   */
  readonly holdOut?: { readonly limit: number | undefined; readonly fraction: number };
}

/** A CSV table, encoded: float32 features row by row, and class indices or target values. */
export interface CsvTable {
  readonly features: Float32Array;
  readonly width: number;
  readonly count: number;
  /** Classification: one class index per row. */
  readonly labels: Uint8Array | Uint16Array | undefined;
  /** Regression: one target value per row. */
  readonly targets: Float32Array | undefined;
  readonly preprocessing: TablePreprocessing;
  /** The file line of each row kept. */
  readonly lines: readonly number[];
  /** Rows dropped for a missing value (data.missing: drop). */
  readonly dropped: number;
  readonly notices: readonly string[];
}

/**
 * Reads and encodes one CSV split. The training split (no `preprocessing`)
 * decides which columns are numeric (every present cell a number) or
 * categorical, the means, standard deviations and categories; other splits
 * are encoded with those, and a value the training split never had is an
 * error naming the file, line and column.
 *
 * @example
 * const train = await loadCsvTable('data/cancer-train.csv', { key: 'train', target: 'diagnosis',
 *   features: undefined, task: 'classification', missing: 'error', standardize: true,
 *   preprocessing: undefined, requireTarget: true });
 * const test = await loadCsvTable('data/cancer-test.csv', { ...same, key: 'test', preprocessing: train.preprocessing });
 */
export async function loadCsvTable(file: string, options: CsvTableOptions): Promise<CsvTable> {
  const known = options.preprocessing;
  const text = await readCsv(file, (header) => pickColumns(file, header, options));
  const targetCells = text.columns.get(options.target);
  const featureNames = known?.columns.map((c) => c.name) ?? featureColumns(text.header, options);
  // Which rows are kept: a row with an empty cell is dropped, imputed or an error.
  const keep = keptRows(text, featureNames, targetCells, options);
  const notices: string[] = [];
  const learnt = learningRows(keep, options.holdOut);
  const columns =
    known?.columns ??
    featureNames.map((name) =>
      learnColumn(text.columns.get(name)!, { learnt, keep }, name, options, file, notices),
    );
  const target = known?.target ?? learnTarget(targetCells!, keep, options, file);
  const preprocessing: TablePreprocessing = {
    target,
    columns,
    width: columns.reduce((w, c) => w + (c.kind === 'numeric' ? 1 : c.categories.length), 0),
  };
  const count = keep.length;
  const features = new Float32Array(count * preprocessing.width);
  let offset = 0;
  for (const column of columns) {
    encodeColumn(
      column,
      text.columns.get(column.name)!,
      keep,
      text,
      features,
      offset,
      preprocessing.width,
    );
    offset += column.kind === 'numeric' ? 1 : column.categories.length;
  }
  const encoded =
    targetCells === undefined
      ? { labels: undefined, targets: undefined }
      : encodeTarget(target, targetCells, keep, text);
  const dropped = text.lines.length - count;
  if (dropped > 0) {
    notices.push(
      `${file}: dropped ${dropped.toLocaleString('en-US')} of ${text.lines.length.toLocaleString('en-US')} rows with a missing value (data.missing: drop)`,
    );
  }
  return {
    features,
    width: preprocessing.width,
    count,
    ...encoded,
    preprocessing,
    lines: keep.map((r) => text.lines[r]!),
    dropped,
    notices,
  };
}

/** The rows that stay training rows once the val split is held out (as `loadData` does). */
function learningRows(
  keep: readonly number[],
  holdOut: CsvTableOptions['holdOut'],
): readonly number[] {
  if (holdOut === undefined || !(holdOut.fraction > 0)) return keep;
  const count = Math.min(holdOut.limit ?? keep.length, keep.length);
  const train = count - Math.round(count * holdOut.fraction);
  // Too few rows for a split: loadData says so; learn from every row meanwhile.
  return train >= 1 ? keep.slice(0, train) : keep;
}

function pickColumns(file: string, header: readonly string[], options: CsvTableOptions): string[] {
  const known = options.preprocessing;
  const names = known?.columns.map((c) => c.name) ?? featureColumns(header, options);
  for (const name of names) {
    if (!header.includes(name)) {
      throw new DatasetError(
        `${file}:1: no column "${name}" in the header${closest(name, header)}`,
        {
          hint: `${known ? 'the model was trained on' : 'data.features names'} ${names.join(', ')}; the file has ${header.join(', ')}`,
        },
      );
    }
  }
  const hasTarget = header.includes(options.target);
  if (!hasTarget && options.requireTarget) {
    throw new DatasetError(
      `${file}:1: no column "${options.target}" (data.target) in the header${closest(options.target, header)}`,
      { hint: `the file has ${header.join(', ')}` },
    );
  }
  return hasTarget && !names.includes(options.target) ? [...names, options.target] : names;
}

function featureColumns(header: readonly string[], options: CsvTableOptions): string[] {
  if (options.features === undefined) return header.filter((name) => name !== options.target);
  if (options.features.includes(options.target)) {
    throw new DatasetError(
      `data.features: "${options.target}" is the target (data.target); a model cannot take its answer as input`,
      { hint: 'remove it from data.features' },
    );
  }
  return [...options.features];
}

function keptRows(
  text: CsvText,
  features: readonly string[],
  targetCells: readonly string[] | undefined,
  options: CsvTableOptions,
): number[] {
  const keep: number[] = [];
  const rows = text.lines.length;
  const featureCells = features.map((name) => [name, text.columns.get(name)!] as const);
  for (let r = 0; r < rows; r++) {
    let missing: string | undefined;
    if (targetCells !== undefined && targetCells[r] === '' && options.requireTarget)
      missing = options.target;
    if (missing === undefined && options.missing !== 'impute') {
      missing = featureCells.find(([, cells]) => cells[r] === '')?.[0];
    }
    if (missing === undefined) {
      keep.push(r);
      continue;
    }
    if (options.missing === 'drop') continue;
    const isTarget = missing === options.target;
    throw new DatasetError(
      `${text.file}:${text.lines[r]}: column "${missing}" is empty (a missing value)`,
      {
        hint: isTarget
          ? 'give every row its target, or set data.missing: drop to skip rows with a missing value'
          : 'fill it in, or set data.missing: drop (skip such rows) or impute (training mean, or the most frequent category)',
      },
    );
  }
  return keep;
}

/**
 * A column's encoding: numeric when every present cell is a number, its mean
 * and std from the training rows (`learnt`); otherwise categorical, with the
 * categories of every row of the file (`keep`), so that a held-out row whose
 * category is rare still encodes (its slot simply never fires in training).
 */
function learnColumn(
  cells: readonly string[],
  rows: { readonly learnt: readonly number[]; readonly keep: readonly number[] },
  name: string,
  options: CsvTableOptions,
  file: string,
  notices: string[],
): ColumnEncoding {
  const all = rows.keep.map((r) => cells[r]!).filter((c) => c !== '');
  const numeric = all.length > 0 && all.every(isNumberText);
  const present = (numeric ? rows.learnt : rows.keep).map((r) => cells[r]!).filter((c) => c !== '');
  if (present.length === 0) {
    throw new DatasetError(`${file}: column "${name}" has no values in the training split`, {
      hint: 'fill it in, or leave it out of data.features',
    });
  }
  if (numeric) {
    let sum = 0;
    for (const c of present) sum += Number(c);
    const mean = sum / present.length;
    let squares = 0;
    for (const c of present) squares += (Number(c) - mean) ** 2;
    const std = Math.sqrt(squares / present.length);
    if (options.standardize && !(std > 0)) {
      notices.push(
        `${file}: column "${name}" has one value (${present[0]}) in every training row; it carries no information (left unscaled)`,
      );
    }
    return options.standardize
      ? { name, kind: 'numeric', mean, std: std > 0 ? std : 1, fill: mean }
      : { name, kind: 'numeric', mean: 0, std: 1, fill: mean };
  }
  const counts = new Map<string, number>();
  for (const c of present) counts.set(c, (counts.get(c) ?? 0) + 1);
  const categories = [...counts.keys()].sort(compareNames);
  let fill = categories[0]!;
  for (const category of categories) if (counts.get(category)! > counts.get(fill)!) fill = category;
  return { name, kind: 'categorical', categories, fill };
}

function learnTarget(
  cells: readonly string[],
  keep: readonly number[],
  options: CsvTableOptions,
  file: string,
): TargetEncoding {
  const name = options.target;
  const values = keep.map((r) => cells[r]!);
  if (options.task === 'regression') {
    const bad = keep.find((r) => !isNumberText(cells[r]!));
    if (bad !== undefined) {
      throw new DatasetError(
        `${file}: column "${name}" (data.target) holds "${cells[bad]}", not a number, so it cannot be a regression target`,
        {
          hint: 'a regression loss (mse, mae, huber) needs a numeric target; for class labels use train.loss: crossEntropy',
        },
      );
    }
    return { name, kind: 'value' };
  }
  const distinct = [...new Set(values)];
  const numeric = distinct.every(isNumberText);
  const classes = numeric
    ? distinct.sort((a, b) => Number(a) - Number(b))
    : distinct.sort(compareNames);
  if (classes.length < 2) {
    throw new DatasetError(
      `${file}: column "${name}" (data.target) has one class (${classes[0] ?? 'none'}) in the training split`,
      {
        hint: 'classification needs at least two classes; for a numeric target use train.loss: mse',
      },
    );
  }
  if (classes.length > 65_536) {
    throw new DatasetError(
      `${file}: column "${name}" (data.target) has ${classes.length} classes, more than 65,536`,
      {
        hint: 'is it a numeric target? use train.loss: mse for regression',
      },
    );
  }
  return { name, kind: 'class', classes };
}

function encodeColumn(
  column: ColumnEncoding,
  cells: readonly string[],
  keep: readonly number[],
  text: CsvText,
  out: Float32Array,
  offset: number,
  width: number,
): void {
  if (column.kind === 'numeric') {
    keep.forEach((r, i) => {
      const cell = cells[r]!;
      if (cell !== '' && !isNumberText(cell)) {
        throw new DatasetError(
          `${text.file}:${text.lines[r]}: column "${column.name}" holds "${cell}", but it is numeric in the training split`,
          { hint: 'make it a number (or empty, with data.missing)' },
        );
      }
      const value = cell === '' ? column.fill : Number(cell);
      out[i * width + offset] = (value - column.mean) / column.std;
    });
    return;
  }
  const slot = new Map(column.categories.map((c, i) => [c, i]));
  keep.forEach((r, i) => {
    const cell = cells[r]! === '' ? column.fill : cells[r]!;
    const index = slot.get(cell);
    if (index === undefined) {
      throw new DatasetError(
        `${text.file}:${text.lines[r]}: column "${column.name}" holds "${cell}", a category the training split does not have`,
        { hint: `the training categories are: ${shortList(column.categories)}` },
      );
    }
    out[i * width + offset + index] = 1;
  });
}

function encodeTarget(
  target: TargetEncoding,
  cells: readonly string[],
  keep: readonly number[],
  text: CsvText,
): { labels: Uint8Array | Uint16Array | undefined; targets: Float32Array | undefined } {
  if (target.kind === 'value') {
    const targets = new Float32Array(keep.length);
    keep.forEach((r, i) => {
      const cell = cells[r]!;
      if (!isNumberText(cell)) {
        throw new DatasetError(
          `${text.file}:${text.lines[r]}: column "${target.name}" (data.target) holds "${cell}", not a number`,
          { hint: 'a regression target must be a number in every row' },
        );
      }
      targets[i] = Number(cell);
    });
    return { labels: undefined, targets };
  }
  const index = new Map(target.classes.map((c, i) => [c, i]));
  const numeric = target.classes.every(isNumberText);
  const labels =
    target.classes.length <= 256 ? new Uint8Array(keep.length) : new Uint16Array(keep.length);
  keep.forEach((r, i) => {
    const cell = cells[r]!;
    // "1" and "1.0" are one class when the classes are numbers.
    const found =
      index.get(cell) ??
      (numeric ? target.classes.findIndex((c) => Number(c) === Number(cell)) : -1);
    if (found === undefined || found < 0) {
      throw new DatasetError(
        `${text.file}:${text.lines[r]}: column "${target.name}" (data.target) holds class "${cell}", which the training split does not have`,
        { hint: `the training classes are: ${shortList(target.classes)}` },
      );
    }
    labels[i] = found;
  });
  return { labels, targets: undefined };
}

function shortList(values: readonly string[]): string {
  return values.length <= 12
    ? values.join(', ')
    : `${values.slice(0, 12).join(', ')}, ... (${values.length} in all)`;
}

function closest(name: string, header: readonly string[]): string {
  const lower = name.toLowerCase();
  const match = header.find((h) => h.toLowerCase() === lower || h.trim() === name.trim());
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
