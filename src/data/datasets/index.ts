import { DatasetError } from '../../errors.js';
import type { DatasetDefinition } from '../dataset.js';
import { fashionMnist } from './fashion-mnist.js';
import { idx } from './idx.js';
import { mnist } from './mnist.js';
import { synthetic } from './synthetic.js';

/** Every dataset `data.dataset` may name. One file and one line here to add one. */
export const DATASETS: readonly DatasetDefinition[] = [mnist, fashionMnist, idx, synthetic];

/** The dataset called `name`, or a DatasetError listing the known names (with a suggestion). */
export function findDataset(name: string): DatasetDefinition {
  const found = DATASETS.find((d) => d.name === name);
  if (found !== undefined) return found;
  const names = DATASETS.map((d) => d.name);
  const close = names.find((n) => editDistance(n, name) <= 2);
  throw new DatasetError(
    `unknown dataset "${name}"${close === undefined ? '' : ` (did you mean "${close}"?)`}`,
    { hint: `known datasets: ${names.join(', ')}` },
  );
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
