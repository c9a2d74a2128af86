/**
 * Where each variable lives in one flat float32 buffer: the weights that the
 * main thread publishes before a step, and each worker's gradients after it.
 * Variables are matched by position (the order of `model.trainableWeights`),
 * never by name: tfjs numbers layer names per process, so two replicas of one
 * model name their variables differently.
 */
export interface FlatLayout {
  readonly shapes: readonly (readonly number[])[];
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
  /** Floats in all. */
  readonly total: number;
}

export function flatLayout(shapes: readonly (readonly number[])[]): FlatLayout {
  const offsets: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    offsets.push(total);
    sizes.push(size);
    total += size;
  }
  return { shapes, offsets, sizes, total };
}

/** A float32 view of `total` floats over shared memory, so no step copies it through a message. */
export function sharedFloats(total: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(total * Float32Array.BYTES_PER_ELEMENT));
}

export function sameShapes(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): boolean {
  return a.length === b.length && a.every((s, i) => s.join('x') === b[i]!.join('x'));
}
