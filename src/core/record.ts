/**
 * The one record model that travels the whole pipeline.
 *
 * Readers yield batches (arrays) of records; every later stage is a synchronous loop over a batch.
 */

/** A parsed field value: CSV gives strings; XML and JSON can give nested groups and lists. */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

export type Fields = Record<string, FieldValue>;

export type Severity = "error" | "warning";

/** A problem found in one record: data, not an exception (like a zod issue). */
export interface Issue {
  /** Stable rule code, e.g. `GTIN_CHECK_DIGIT`, `CSV_RAGGED_ROW`. */
  code: string;
  severity: Severity;
  /** Target (or source) field the issue is about, when there is one. */
  field?: string | undefined;
  message: string;
  /** The offending raw value, when there is one. */
  value?: unknown;
}

/** Where a record came from, so every message can send the user to the right place. */
export interface Origin {
  /** Source name: file path, `-` for stdin, or the URL (without credentials). */
  source: string;
  /** 1-based ordinal of the record within its source. */
  index: number;
  /** 1-based line where the record starts (CSV, TSV, NDJSON, JSON arrays, and XML when known). */
  line?: number | undefined;
  /** Byte offset in the decoded document where the record starts (XML, JSON). */
  offset?: number | undefined;
}

/** A record as read from a source. */
export interface SourceRecord extends Origin {
  fields: Fields;
  /**
   * Set when the record could not be read cleanly (ragged row, malformed XML item, invalid bytes,
   * over the size cap). Such a record is never dropped: it goes on and ends as a rejected record.
   */
  problem?: Issue | undefined;
  /** Raw text of a record that could not be parsed (truncated to a sane length). */
  raw?: string | undefined;
  /**
   * Set by the reader thread once asked (src/formats/plain-marks.ts): bit i set when the value
   * the mapping takes for PLAIN_FIELDS[i] (src/core/plain-text.ts) surely needs no text rule.
   */
  plain?: number | undefined;
}

/** A batch of records: the unit that moves between stages. */
export type RecordBatch = SourceRecord[];

/** A stream of record batches. */
export type RecordStream = AsyncIterable<RecordBatch>;

/** Place text for messages: `feed.csv:12` or `feed.xml item 3 (byte 2048)`. */
export function describeOrigin(o: Origin): string {
  if (o.line !== undefined) return `${o.source}:${o.line}`;
  if (o.offset !== undefined) return `${o.source} record ${o.index} (byte ${o.offset})`;
  return `${o.source} record ${o.index}`;
}

/** Cut raw text to a length that is useful in a report but never huge. */
export function clip(text: string, max = 500): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
