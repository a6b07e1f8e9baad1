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
  return withStats(ndjsonBatches(text, options, stats), stats);
};

async function* ndjsonBatches(
  text: AsyncIterable<string>,
  options: ReaderOptions,
  stats: ReaderStats,
): AsyncGenerator<RecordBatch> {
  const { source, maxRecordBytes } = options;
  let carry = "";
  /** Line number of the text in `carry` (the line being read). */
  let line = 1;
  let index = 0;
  let first = true;
  /** Length of an over-long line whose text is being dropped; -1 when not in one. */
  let dropping = -1;
  let batch: SourceRecord[] = [];

  /** Keep a line that is not a record as a problem record (never dropped). */
  const problem = (code: string, message: string, raw?: string, value?: string): void => {
    stats.records++;
    stats.problems++;
    const record: SourceRecord = {
      source,
      index,
      line,
      fields: {},
      problem: { code, severity: "error", message },
    };
    if (value !== undefined) record.problem!.value = value;
    if (raw !== undefined) record.raw = raw;
    batch.push(record);
  };

  const tooLarge = (length: number): void => {
    first = false;
    index++;
    problem("RECORD_TOO_LARGE", `line is ${length} characters long, over the limit of ${maxRecordBytes}`);
  };

  const take = (raw: string): void => {
    let s = raw;
    if (first) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    if (isBlank(s)) {
      stats.blankRows++;
      return;
    }
    if (s.length > maxRecordBytes) {
      tooLarge(s.length);
      return;
    }
    index++;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      problem("NDJSON_MALFORMED", `line ${line} is not valid JSON: ${(err as Error).message}`, clip(s));
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problem(
        "NDJSON_NOT_OBJECT",
        `line ${line} holds ${kindOf(value)}, not an object`,
        clip(s),
        clip(s, 100),
      );
      return;
    }
    stats.records++;
    batch.push({ source, index, line, fields: value as Record<string, FieldValue> as Fields });
  };

  for await (const chunk of text) {
    let start = 0;
    let nl = chunk.indexOf("\n");
    if (dropping >= 0) {
      // Inside an over-long line: skip to its end without keeping the text.
      if (nl === -1) {
        dropping += chunk.length;
        continue;
      }
      tooLarge(dropping + nl);
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
      take(carry + chunk.slice(0, nl));
      carry = "";
      line++;
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    while (nl !== -1) {
      take(chunk.slice(start, nl));
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
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      yield out;
    }
  }
  if (dropping >= 0) tooLarge(dropping);
  else if (carry.length > 0) take(carry);
  if (batch.length > 0) yield batch;
}
