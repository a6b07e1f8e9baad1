/**
 * The one reader interface: every format reader (csv, xml, json, ndjson) takes decoded text chunks
 * and returns a ReaderStream, a stream of record batches that carries the reader's counters.
 */
import { FeedpipeError } from "../core/errors.js";
import type { RecordBatch, RecordStream } from "../core/record.js";
import type { ReaderOptions } from "./types.js";

/**
 * Counters a reader keeps while it runs. They grow as batches are yielded and are final once the
 * stream has ended. Readers return their stream with the counters attached as `stats`
 * (`const records = readCsv(text, opts); for await (...) ...; records.stats.blankRows`).
 */
export interface ReaderStats {
  /** Records yielded: clean ones plus ones with a `problem`. */
  records: number;
  /** Of those, records the reader itself gave a `problem` (ragged, malformed, too large, ...). */
  problems: number;
  /** Blank rows (CSV: empty line or only empty cells) or blank lines (NDJSON) skipped. 0 for JSON. */
  blankRows: number;
  /** CSV: the column names used as field keys (trimmed, BOM stripped, made unique), header order. */
  columns?: string[] | undefined;
  /** CSV: names the header has more than once (only the first keeps the name), for a hint. */
  repeatedColumns?: RepeatedColumn[] | undefined;
}

/** A header name given to several columns. */
export interface RepeatedColumn {
  name: string;
  /** 1-based positions; the first is read as `name`, the others under their `col_N` keys. */
  positions: number[];
}

/** A record stream with its reader's counters. */
export type ReaderStream = RecordStream & { readonly stats: ReaderStats };

/** A reader turns decoded text chunks into batches of records, and always carries its counters. */
export type Reader<O extends ReaderOptions = ReaderOptions> = (
  text: AsyncIterable<string>,
  options: O,
) => ReaderStream;

export function newReaderStats(): ReaderStats {
  return { records: 0, problems: 0, blankRows: 0 };
}

/** Attach stats to a generator of batches (the generator object itself is the stream). */
export function withStats(gen: AsyncGenerator<RecordBatch>, stats: ReaderStats): ReaderStream {
  return Object.assign(gen, { stats });
}

/** Shared option checks (fail before any I/O, csv-parse's normalize_options style). */
export function checkReaderOptions(options: ReaderOptions): void {
  if (typeof options.source !== "string") {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option source: expected a string, got ${typeof options.source}`,
    );
  }
  const max = options.maxRecordBytes;
  if (typeof max !== "number" || !Number.isInteger(max) || max <= 0) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option maxRecordBytes: expected a positive integer, got ${JSON.stringify(max)}`,
    );
  }
}

/** Make `close` run once (later calls wait for the first) and be the async disposer too. */
export function closeable<F extends { close(): Promise<void> }>(
  feed: F,
): F & { [Symbol.asyncDispose](): Promise<void> } {
  let closing: Promise<void> | undefined;
  const once = feed.close;
  const close = () => (closing ??= once());
  return Object.assign(feed, { close, [Symbol.asyncDispose]: close });
}
