import { closestMatch } from '../../config/index.js';
import { DatasetError } from '../../errors.js';
import type { DatasetDefinition } from '../dataset.js';
import { csv } from './csv.js';
import { fashionMnist } from './fashion-mnist.js';
import { idx } from './idx.js';
import { images } from './images.js';
import { mnist } from './mnist.js';
import { synthetic } from './synthetic.js';

/** Every dataset `data.dataset` may name. One file and one line here to add one. */
export const DATASETS: readonly DatasetDefinition[] = [
  mnist,
  fashionMnist,
  idx,
  images,
  csv,
  synthetic,
];

/** The dataset called `name`, or a DatasetError listing the known names (with a suggestion). */
export function findDataset(name: string): DatasetDefinition {
  const found = DATASETS.find((d) => d.name === name);
  if (found !== undefined) return found;
  const names = DATASETS.map((d) => d.name);
  const close = closestMatch(name, names);
  throw new DatasetError(
    `unknown dataset "${name}"${close === undefined ? '' : ` (did you mean "${close}"?)`}`,
    { hint: `known datasets: ${names.join(', ')}` },
  );
}
