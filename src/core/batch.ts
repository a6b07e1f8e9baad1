/** Small helpers for async iterables of batches. */

/** Re-chunk an async iterable of items into arrays of at most `size`. */
export async function* batched<T>(items: AsyncIterable<T> | Iterable<T>, size: number): AsyncIterable<T[]> {
  let buf: T[] = [];
  for await (const item of items) {
    buf.push(item);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length > 0) yield buf;
}

/** Flatten a stream of batches into single items (for library users who want one at a time). */
export async function* flatten<T>(batches: AsyncIterable<T[]>): AsyncIterable<T> {
  for await (const batch of batches) yield* batch;
}

/** Collect a whole stream. Only for tests and small inputs: never on an unbounded feed. */
export async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) for (const item of batch) out.push(item);
  return out;
}
