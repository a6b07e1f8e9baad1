/**
 * NDJSON (JSON Lines) reader: one JSON object per line. Lines are split here (safe across chunk
 * boundaries, \n or \r\n), each non-blank line goes through JSON.parse, and the records of one
 * input chunk leave as one batch.
 *
 * A line that is not valid JSON is a record with NDJSON_MALFORMED (and its raw text); a line that
 * is valid JSON but not an object is a record with NDJSON_NOT_OBJECT; a line over the size cap is a
 * record with RECORD_TOO_LARGE whose text is not kept (not even while it is being read). Blank
 * lines are skipped and counted. Nothing stops the run except the source failing.
 */
import type { FieldValue, Fields, RecordBatch, SourceRecord } from "../core/record.js";
import { clip } from "../core/record.js";
import { checkReaderOptions, newReaderStats, type Reader, type ReaderStats, withStats } from "./reader.js";
import type { ReaderOptions } from "./types.js";
import { parseJsonExact } from "../core/json-exact.js";

function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  if (line.charCodeAt(0) > 32 && line.charCodeAt(line.length - 1) > 32) return false;
  return line.trim() === "";
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

/** Read NDJSON text. Records: `fields` = the line's object, `line` = its 1-based line number. */
export const readNdjson: Reader<ReaderOptions> = (text, options) => {
  checkReaderOptions(options);
  const stats = newReaderStats();
  const lines = new NdjsonLines(options, stats);
  let batch: SourceRecord[] = [];
  const take = (raw: string, line: number): void => {
    const s = lines.text(raw);
    if (s === undefined) return;
    if (s.length > options.maxRecordBytes) batch.push(lines.tooLarge(s.length, line));
    else batch.push(lines.parse(s, line, lines.next()));
  };
  const tooLarge = (length: number, line: number): void => {
    batch.push(lines.tooLarge(length, line));
  };
  const flush = (): RecordBatch | undefined => {
    if (batch.length === 0) return undefined;
    const out = batch;
    batch = [];
    return out;
  };
  return withStats(lineBatches(text, options.maxRecordBytes, take, tooLarge, flush), stats);
};

/**
 * What the NDJSON readers do with one line (shared by readNdjson and the reader thread's packed
 * reader, ./ndjson-scan.ts): the BOM, \r\n, blank lines, the size cap, JSON.parse and the problem
 * records, with the counters.
 */
export class NdjsonLines {
  /** Index of the last record. */
  index = 0;
  private first = true;
  private readonly source: string;
  private readonly maxRecordBytes: number;
  private readonly stats: ReaderStats;

  constructor(options: ReaderOptions, stats: ReaderStats) {
    this.source = options.source;
    this.maxRecordBytes = options.maxRecordBytes;
    this.stats = stats;
  }

  /** The text of a line to read (BOM and final \r removed), or undefined for a blank line (counted). */
  text(raw: string): string | undefined {
    let s = raw;
    if (this.first) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    if (isBlank(s)) {
      this.stats.blankRows++;
      return undefined;
    }
    return s;
  }

  /** The index of the next record. */
  next(): number {
    return ++this.index;
  }

  /** A record read by other means than `parse` (counted). */
  counted(): void {
    this.stats.records++;
  }

  /** The record of an over-long line (its text is not kept). */
  tooLarge(length: number, line: number): SourceRecord {
    this.first = false;
    return this.problem(
      this.next(),
      line,
      "RECORD_TOO_LARGE",
      `line is ${length} characters long, over the limit of ${this.maxRecordBytes}`,
    );
  }

  /** The record of line `s` (JSON.parse), or its problem record. */
  parse(s: string, line: number, index: number): SourceRecord {
    let value: unknown;
    try {
      value = parseJsonExact(s);
    } catch (err) {
      return this.problem(
        index,
        line,
        "NDJSON_MALFORMED",
        `line ${line} is not valid JSON: ${(err as Error).message}`,
        clip(s),
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return this.problem(
        index,
        line,
        "NDJSON_NOT_OBJECT",
        `line ${line} holds ${kindOf(value)}, not an object`,
        clip(s),
        clip(s, 100),
      );
    }
    this.stats.records++;
    return { source: this.source, index, line, fields: value as Record<string, FieldValue> as Fields };
  }

  /** A line that is not a record, kept as a problem record (never dropped). */
  private problem(
    index: number,
    line: number,
    code: string,
    message: string,
    raw?: string,
    value?: string,
  ): SourceRecord {
    this.stats.records++;
    this.stats.problems++;
    const record: SourceRecord = {
      source: this.source,
      index,
      line,
      fields: {},
      problem: { code, severity: "error", message },
    };
    if (value !== undefined) record.problem!.value = value;
    if (raw !== undefined) record.raw = raw;
    return record;
  }
}

/**
 * Split text chunks into lines (safe across chunk boundaries): `take` gets each line (without its
 * \n) and its 1-based number, `tooLarge` each line over `maxRecordBytes` (its text is dropped while
 * it is read). After each chunk, what `flush` returns (if anything) is yielded.
 */
export async function* lineBatches<B>(
  text: AsyncIterable<string>,
  maxRecordBytes: number,
  take: (raw: string, line: number) => void,
  tooLarge: (length: number, line: number) => void,
  flush: () => B | undefined,
): AsyncGenerator<B> {
  let carry = "";
  /** Line number of the text in `carry` (the line being read). */
  let line = 1;
  /** Length of an over-long line whose text is being dropped; -1 when not in one. */
  let dropping = -1;

  for await (const chunk of text) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    if (dropping >= 0) {
      // Inside an over-long line: skip to its end without keeping the text.
      if (nl === -1) {
        dropping += chunk.length;
        continue;
      }
      tooLarge(dropping + nl, line);
      dropping = -1;
      line++;
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    } else if (carry.length > 0) {
      if (nl === -1) {
        carry += chunk;
        if (carry.length > maxRecordBytes + 1) {
          dropping = carry.length;
          carry = "";
        }
        continue;
      }
      take(carry + chunk.slice(0, nl), line);
      carry = "";
      line++;
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    while (nl !== -1) {
      take(chunk.slice(start, nl), line);
      line++;
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    if (start < chunk.length) {
      carry = chunk.slice(start);
      if (carry.length > maxRecordBytes + 1) {
        dropping = carry.length;
        carry = "";
      }
    }
    const out = flush();
    if (out !== undefined) yield out;
  }
  if (dropping >= 0) tooLarge(dropping, line);
  else if (carry.length > 0) take(carry, line);
  const out = flush();
  if (out !== undefined) yield out;
}
