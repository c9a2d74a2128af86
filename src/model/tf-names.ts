/** tfjs accepts layer names matching this (it scopes weight names with them). */
const VALID_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

/**
 * A tfjs-valid layer name for a node, unique in the model: invalid
 * characters become `_`; a clash after that gets a numeric suffix.
 */
export function tfLayerName(nodeName: string, used: Set<string>): string {
  let base = nodeName.replace(/[^-A-Za-z0-9._/]/g, '_');
  if (!VALID_NAME.test(base)) base = `n${base}`;
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}
