/**
 * A tensor shape with its batch dimension first; `null` is a dimension not
 * known until data flows (the batch), as in tfjs-layers.
 */
export type Shape = readonly (number | null)[];

/** `[batch, 7, 7, 16]`: how a shape reads in messages and tables. */
export function formatShape(shape: Shape): string {
  return `[${shape.map((d, i) => (d === null ? (i === 0 ? 'batch' : '?') : String(d))).join(', ')}]`;
}

/** Number of values per example (every dimension but the batch); undefined if one is unknown. */
export function valuesPerExample(shape: Shape): number | undefined {
  let product = 1;
  for (const d of shape.slice(1)) {
    if (d === null) return undefined;
    product *= d;
  }
  return product;
}
