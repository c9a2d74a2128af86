import { isPlainObject } from './document-path.js';
import type { DatasetConfigEntry } from './registry-entries.js';

/** The `data.*` keys a dataset reads besides the common ones. */
export function ownDataKeys(dataset: DatasetConfigEntry): string[] {
  const properties = dataset.optionsSchema['properties'];
  return isPlainObject(properties) ? Object.keys(properties) : [];
}
