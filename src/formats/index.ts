/**
 * openFeed: source → decompress → decode → sniff → reader. The one entry point for ingest.
 */
import { FeedpipeError } from "../core/errors.js";
import type { PlainSources } from "../core/plain-text.js";
import type { FieldValue, RecordBatch, RecordStream, SourceRecord } from "../core/record.js";
import { decode, peekText } from "../io/decode.js";
import { type Compression, decompress } from "../io/decompress.js";
import { type ByteSource, counted, type OpenSourceOptions, openSource } from "../io/source.js";
import { readCsv } from "./csv.js";
import { closeable, type ReaderStats, type ReaderStream } from "./reader.js";
import { readJson } from "./json.js";
import { readNdjson } from "./ndjson.js";
import { openFeedInWorker, useWorker, type WorkerOption } from "./worker-feed.js";
import { type Sniffed, sniffFormat, sniffIsDecided, xmlElementNames } from "./sniff.js";
import type { InputFormat, JsonReaderOptions } from "./types.js";
import { readXml } from "./xml.js";

export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

export interface ReadFeedOptions extends OpenSourceOptions {
  format?: InputFormat | "auto" | undefined;
  /** Forced text encoding (`latin1`, `windows-1252`, `utf-16le`, ...). */
  encoding?: string | undefined;
  delimiter?: string | undefined;
  recordTag?: string | undefined;
  jsonPath?: string | undefined;
  maxRecordBytes?: number | undefined;
  /** Called with the number of raw (possibly compressed) bytes as they are read. */
  onBytes?: ((n: number) => void) | undefined;
  /**
   * Read on a worker thread, beside the caller's own work (./worker-feed.ts): `true` for any local
   * file, `"auto"` for CSV/TSV, NDJSON, JSON and XML files from 8 MiB to 768 MiB (what the CLI uses), `false`
   * (default) never. Records, counters and errors are the same either way.
   */
  worker?: WorkerOption;
}

export interface Feed {
  name: string;
  /** Raw size in bytes when known. */
  size?: number | undefined;
  compression: Compression;
  encoding: string;
  format: InputFormat;
  delimiter?: string | undefined;
  recordTag?: string | undefined;
  jsonPath?: string | undefined;
  records: RecordStream;
  /** The reader's counters (blank rows skipped, CSV columns, ...); final once `records` has ended. */
  stats: ReaderStats;
  /**
   * Reader thread only: mark, in the batches still to come, which records' text fields surely
   * need no text rule (src/formats/plain-marks.ts; the records' `plain`).
   */
  markPlain?: ((sources: PlainSources) => void) | undefined;
  /**
   * Stop reading and release the file, connection or reader thread. Breaking out of `records`
   * does this too; `close()` is for a feed whose records were never (or not fully) iterated.
   * `await using feed = await openFeed(...)` calls it on scope exit.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SNIFF_CHARS = 64 * 1024;
const NDJSON_NAME = /\.(ndjson|jsonl)(\.gz|\.zip)?([?#]|$)/i;

function hasReplacement(v: FieldValue): boolean {
  if (typeof v === "string") return v.includes("\uFFFD");
  if (Array.isArray(v)) return v.some(hasReplacement);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasReplacement);
  return false;
}

/** Reject records that contain bytes invalid in the feed's encoding (only checked once any were seen). */
export async function* markInvalidBytes(
  records: RecordStream,
  state: { invalidBytes: boolean },
  encoding: string,
): AsyncGenerator<RecordBatch> {
  for await (const batch of records) {
    if (state.invalidBytes) {
      for (const r of batch) if (!r.problem) flagRecord(r, encoding);
    }
    yield batch;
  }
}

export function flagRecord(r: SourceRecord, encoding: string): void {
  for (const [field, value] of Object.entries(r.fields)) {
    if (hasReplacement(value)) {
      r.problem = {
        code: "FEED_ENCODING_INVALID",
        severity: "error",
        field,
        message: `Bytes that are not valid ${encoding} in field "${field}" (wrong --encoding?)`,
        value,
      };
      return;
    }
  }
}

/** Open a feed (file path, `-`, or http(s) URL) and return its records as a stream of batches. */
export async function openFeed(spec: string, options: ReadFeedOptions = {}): Promise<Feed> {
  if (await useWorker(spec, options.worker)) {
    const threaded = await openFeedInWorker(spec, options);
    if (threaded !== undefined) return threaded;
  }
  const src = await openSource(spec, options);
  try {
    return await readSource(src, options);
  } catch (err) {
    // Whatever failed after the source was opened (empty feed, unknown format, bad option, a
    // corrupt gzip header), the file or connection is released before the error leaves.
    await src.close();
    throw err;
  }
}

async function readSource(src: ByteSource, options: ReadFeedOptions): Promise<Feed> {
  const opened = await prepareFeed(src, options);
  const records = recordsOf(opened, options);
  const marked = markInvalidBytes(records, opened.state, opened.feed.encoding);
  return closeable({
    ...opened.feed,
    stats: records.stats,
    records: marked,
    close: async () => {
      await marked.return(undefined);
      await src.close();
    },
  });
}

/** A feed decoded and sniffed, before its reader starts (for readSource and ./packed-feed.ts). */
export interface PreparedFeed {
  feed: Omit<Feed, "records" | "stats" | "close" | typeof Symbol.asyncDispose>;
  /** The decoded text, from its start. */
  text: AsyncIterable<string>;
  /** The decoder's state: `invalidBytes` once a byte invalid in the encoding was seen. */
  state: { invalidBytes: boolean };
  /** Options every reader takes. */
  base: { source: string; maxRecordBytes: number };
  sniffed: ReturnType<typeof sniffFormat>;
  /** The text sniffed (the start of the feed). */
  head: string;
}

/** Decompress, decode and sniff `src`: what its reader needs (format, encoding, size cap, ...). */
export async function prepareFeed(src: ByteSource, options: ReadFeedOptions): Promise<PreparedFeed> {
  const raw = options.onBytes ? counted(src.chunks, options.onBytes) : src.chunks;
  const unpacked = await decompress(raw, src.name);
  const text = await decode(unpacked.chunks, src.name, { encoding: options.encoding });
  const { head, all } = await peekText(text.chunks, SNIFF_CHARS, sniffIsDecided);
  if (head.replace(/^\uFEFF/, "").trim() === "") {
    throw new FeedpipeError("FEED_EMPTY", `${src.name} is empty: there are no records to read`, {
      context: { source: src.name },
    });
  }
  // Excel's `sep=;` first line names the delimiter: it is read as such and left out as a blank
  // line (so the header is line 2 and every line number stays the file's).
  const excel = EXCEL_SEP.exec(head);
  const body = excel ? dropChars(all, excel[0].length) : all;
  let sniffed: Sniffed = excel
    ? { format: "csv", delimiter: excel[1] === "\\t" ? "\t" : excel[1]! }
    : sniffFormat(head);
  // NDJSON whose first line is longer than the sniffing window looks like an unfinished JSON
  // document: the name (.ndjson, .jsonl) settles it, so the line is read (and capped) as a record.
  if (sniffed.format === "json" && sniffed.jsonPath === undefined && NDJSON_NAME.test(src.name)) {
    sniffed = { format: "ndjson" };
  }
  // A JSON path is a JSON document's: a one-line document is not NDJSON when the user names one.
  if (sniffed.format === "ndjson" && options.jsonPath !== undefined) sniffed = { format: "json" };
  const format = options.format && options.format !== "auto" ? options.format : sniffed.format;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  return {
    feed: {
      name: src.name,
      size: src.size,
      compression: unpacked.compression,
      encoding: text.encoding,
      format,
    },
    text: body,
    state: text.state,
    base: { source: src.name, maxRecordBytes },
    sniffed,
    head,
  };
}

/** The JSON reader's options for a prepared JSON feed (and note its JSON path on the feed). */
export function jsonOptions(opened: PreparedFeed, options: ReadFeedOptions): JsonReaderOptions {
  const { feed, sniffed, base } = opened;
  const jsonPath = options.jsonPath ?? sniffed.jsonPath;
  if (jsonPath === undefined) {
    throw new FeedpipeError(
      "FEED_FORMAT_UNKNOWN",
      `${feed.name}: found no array of products near the start of this JSON document; pass --json-path (e.g. items)`,
      { context: { source: feed.name } },
    );
  }
  feed.jsonPath = jsonPath;
  return { ...base, jsonPath };
}

/** Start the reader of a prepared feed (and note its delimiter, record tag or JSON path). */
export function recordsOf(opened: PreparedFeed, options: ReadFeedOptions): ReaderStream {
  const { feed, sniffed, base, text: all } = opened;
  const name = feed.name;
  switch (feed.format) {
    case "csv": {
      const delimiter =
        options.delimiter ?? (sniffed.format === "csv" ? sniffed.delimiter : undefined) ?? ",";
      feed.delimiter = delimiter;
      return readCsv(all, { ...base, delimiter });
    }
    case "xml": {
      const recordTag = options.recordTag ?? sniffed.recordTag;
      if (!recordTag) {
        throw new FeedpipeError(
          "FEED_FORMAT_UNKNOWN",
          `${name}: could not tell which XML element holds one product; pass --record-tag NAME ` +
            `(elements seen: ${xmlElementNames(opened.head).join(", ")})`,
          { context: { source: name } },
        );
      }
      feed.recordTag = recordTag;
      return readXml(all, { ...base, recordTag });
    }
    case "json":
      return readJson(all, jsonOptions(opened, options));
    case "ndjson":
      return readNdjson(all, base);
    default:
      throw new FeedpipeError(
        "INVALID_OPTION",
        `Invalid option format: expected csv, xml, json or ndjson, got ${String(feed.format)}`,
      );
  }
}

/** Excel's first line `sep=;` (or `sep=\t`, `sep=,`): the delimiter of the CSV that follows. */
const EXCEL_SEP = /^\uFEFF?sep=(\\t|[^\r\n])(?=\r?\n)/i;

/** The text without its first `n` characters (however the chunks cut them). */
async function* dropChars(chunks: AsyncIterable<string>, n: number): AsyncIterable<string> {
  let left = n;
  for await (const chunk of chunks) {
    if (left === 0) yield chunk;
    else if (chunk.length <= left) left -= chunk.length;
    else {
      yield chunk.slice(left);
      left = 0;
    }
  }
}
