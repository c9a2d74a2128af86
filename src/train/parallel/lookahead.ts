/**
 * An iterator that may take its next item early (`prepare`), for work that
 * can overlap a wait: the training loop prepares its next batch while the
 * replicas compute. The items and their order never change; an error met
 * while preparing is thrown when that item is taken, as without the early
 * start (so the step that was waiting still completes and is recorded).
 *
 * @example
 * const batches = new Lookahead(createBatchArrays(split, options));
 * for (const batch of batches) await step(batch, () => batches.prepare());
 */
export class Lookahead<T> implements IterableIterator<T> {
  readonly #source: Iterator<T>;
  #ahead: { readonly result: IteratorResult<T> } | { readonly error: unknown } | undefined;

  constructor(source: Iterable<T>) {
    this.#source = source[Symbol.iterator]();
  }

  /** Takes the next item now, if it was not taken yet. */
  prepare(): void {
    if (this.#ahead !== undefined) return;
    try {
      this.#ahead = { result: this.#source.next() };
    } catch (error) {
      this.#ahead = { error };
    }
  }

  next(): IteratorResult<T> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead === undefined) return this.#source.next();
    if ('error' in ahead) throw ahead.error;
    return ahead.result;
  }

  return(): IteratorResult<T> {
    this.#ahead = undefined;
    this.#source.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}
