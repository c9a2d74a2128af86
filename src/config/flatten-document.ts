import { formatPath, isPlainObject, type PathSegment } from './document-path.js';

/**
 * Flattens a document into `[path, value]` rows for the run's params table,
 * in document order. Paths use the same notation as `--set` and diagnostics
 * (`train.optimizer.learningRate`, `model.layers[0].conv2d.filters`), so any
 * row can be fed back as `--set path=value`. Leaves are scalars; an empty
 * mapping or list is kept as one row with `{}` or `[]` as its value.
 *
 * @example flattenDocument({ train: { epochs: 5 }, model: { input: [28, 28, 1] } })
 *   // [['train.epochs', 5], ['model.input[0]', 28], ['model.input[1]', 28], ['model.input[2]', 1]]
 */
export function flattenDocument(
  document: Readonly<Record<string, unknown>>,
): Array<[string, unknown]> {
  const rows: Array<[string, unknown]> = [];
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) rows.push([formatPath(path), []]);
      value.forEach((item, i) => visit(item, [...path, i]));
    } else if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && path.length > 0) rows.push([formatPath(path), {}]);
      for (const [key, item] of entries) visit(item, [...path, key]);
    } else {
      rows.push([formatPath(path), value]);
    }
  };
  visit(document, []);
  return rows;
}
