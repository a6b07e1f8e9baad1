/**
 * CSV/TSV reader. The tokenizer is feedpipe's own engine (./csv-engine.ts) for one-character
 * delimiters; csv-parse 6 (`engine: "csv-parse"`, and multi-character delimiters) is the other,
 * used as a push engine: each decoded text chunk is written to the parser, records arrive through
 * `on_record`. Either way the records of one text chunk leave as one batch. The first row is the header; every later row becomes a record whose fields map header
 * name → cell text (all strings).
 *
 * Bad rows are data: a ragged row (too few or too many cells) is a record with a CSV_RAGGED_ROW
 * problem, a row over the size cap a record with RECORD_TOO_LARGE, a row the tokenizer cannot read
 * without guessing (csv-parse's skipped errors; the default engine's text after a closing quote,
 * `"Ba"r`) a record with CSV_MALFORMED_ROW. Blank rows are skipped and
 * counted in the reader's stats. Only a quote that is never closed (or a "record" so large that it
 * can only be one) stops the run, with FEED_CSV_MALFORMED, after every record before it was yielded.
 */
import type { CsvError, Parser } from "csv-parse";
import { FeedpipeError } from "../core/errors.js";
import { clip, type Fields, type RecordBatch, type SourceRecord } from "../core/record.js";
import {
  type BadQuote,
  CsvEngine,
  type CsvRow,
  CsvRowTooLargeError,
  CsvUnclosedQuoteError,
} from "./csv-engine.js";
import {
  checkReaderOptions,
  newReaderStats,
  type Reader,
  type ReaderStats,
  type RepeatedColumn,
  withStats,
} from "./reader.js";
import type { CsvReaderOptions } from "./types.js";

function headerName(cell: string, i: number): string {
  return (i === 0 ? cell.replace(/^\uFEFF/, "") : cell).trim();
}

/** Column names for a header row: trimmed, BOM stripped, blank or repeated names → `col_N`. */
export function headerNames(cells: readonly string[]): string[] {
  const trimmed = cells.map(headerName);
  const used = new Set<string>();
  const firstUse = new Set<string>();
  // Names that appear once (or first) keep their name; a blank or later duplicate gets col_N.
  const out = trimmed.map((name) => {
    if (name === "" || firstUse.has(name)) return undefined;
    firstUse.add(name);
    used.add(name);
    return name;
  });
  return out.map((name, i) => {
    if (name !== undefined) return name;
    let candidate = `col_${i + 1}`;
    for (let k = 2; used.has(candidate); k++) candidate = `col_${i + 1}_${k}`;
    used.add(candidate);
    return candidate;
  });
}

/**
 * Names a header row gives to more than one column, with their positions, as headerNames reads
 * them: the first keeps the name, a later one becomes `col_N`, which a mapping naming the column
 * never reads. The pipeline says so in a hint (a second `name` column is otherwise silently unused).
 */
export function repeatedHeaderNames(cells: readonly string[]): RepeatedColumn[] {
  const seen = new Map<string, number[]>();
  cells.forEach((cell, i) => {
    const name = headerName(cell, i);
    if (name === "") return;
    const at = seen.get(name);
    if (at === undefined) seen.set(name, [i + 1]);
    else at.push(i + 1);
  });
  const out: RepeatedColumn[] = [];
  for (const [name, positions] of seen) if (positions.length > 1) out.push({ name, positions });
  return out;
}

/** Line breaks inside cell text (CRLF counts once): how many physical lines a record adds. */
function lineBreaks(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (cell.indexOf("\n") === -1 && cell.indexOf("\r") === -1) continue;
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10) n++;
      else if (c === 13) {
        n++;
        if (cell.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return n;
}

function isBlankRow(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.length > 0 && cell.trim() !== "") return false;
  return true;
}

/**
 * Turns tokenised rows into records, the same way for both engines: the first non-blank row is the
 * header; blank rows are counted and skipped; a row over the size cap is a RECORD_TOO_LARGE record;
 * a ragged row keeps what fits, its extra cells under `_extra`, and a CSV_RAGGED_ROW problem.
 */
class RowShaper {
  columns: string[] | undefined;
  private width = 0;
  private extraKey = "_extra";
  private protoColumn = -1;
  private index = 0;

  constructor(
    private readonly source: string,
    private readonly delimiter: string,
    private readonly quote: string,
    private readonly maxRecordBytes: number,
    private readonly stats: ReaderStats,
  ) {}

  /**
   * The record for one row, or undefined for the header and blank rows. `chars` is an upper bound
   * of the row's size when the tokenizer knows it (the size is only summed when it may be over).
   * `badQuote`: the tokenizer's mark of a field with text after its closing quote.
   */
  shape(
    cells: string[],
    line: number,
    chars = Number.POSITIVE_INFINITY,
    badQuote?: BadQuote,
  ): SourceRecord | undefined {
    const { stats } = this;
    if (isBlankRow(cells)) {
      stats.blankRows++;
      return undefined;
    }
    const columns = this.columns;
    if (columns === undefined) {
      const names = headerNames(cells);
      while (names.includes(this.extraKey)) this.extraKey = `_${this.extraKey}`;
      this.columns = names;
      this.width = names.length;
      this.protoColumn = names.indexOf("__proto__");
      stats.columns = names;
      const repeated = repeatedHeaderNames(cells);
      if (repeated.length > 0) stats.repeatedColumns = repeated;
      return undefined;
    }
    const { source, width, maxRecordBytes } = this;
    const index = ++this.index;
    const n = cells.length;
    stats.records++;
    if (chars > maxRecordBytes) {
      let size = n - 1;
      for (let i = 0; i < n; i++) size += cells[i]!.length;
      if (size > maxRecordBytes) return this.oversize(index, line, size);
    }
    const fields: Fields = {};
    const m = Math.min(n, width);
    if (this.protoColumn < 0) {
      for (let i = 0; i < m; i++) fields[columns[i]!] = cells[i]!;
    } else {
      // A column named __proto__ is data: plain assignment would set the prototype (and drop it).
      for (let i = 0; i < m; i++) {
        if (i === this.protoColumn) {
          Object.defineProperty(fields, "__proto__", {
            value: cells[i],
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          fields[columns[i]!] = cells[i]!;
        }
      }
    }
    const record: SourceRecord = { source, index, line, fields };
    if (n !== width || badQuote !== undefined) {
      if (n > width) fields[this.extraKey] = cells.slice(width);
      // A stray quote first: it is the likelier cause of a ragged row too.
      record.problem = {
        code: badQuote !== undefined ? "CSV_MALFORMED_ROW" : "CSV_RAGGED_ROW",
        severity: "error",
        message:
          badQuote !== undefined ? this.badQuoteMessage(badQuote) : `expected ${width} columns, got ${n}`,
      };
      record.raw = clip(cells.join(this.delimiter));
      stats.problems++;
    }
    return record;
  }

  private badQuoteMessage(bad: BadQuote): string {
    const name = this.columns?.[bad.column - 1];
    const where = name === undefined ? `field ${bad.column}` : `field ${bad.column} (${name})`;
    const q = this.quote;
    return (
      `${where} has text after its closing quote: ${clip(bad.text, 60)}; ` +
      `write a quote inside a quoted field as ${q}${q}, or leave the field unquoted`
    );
  }

  /** A row over the size cap whose text the tokenizer did not keep (or that is dropped here). */
  tooLarge(line: number, size: number): SourceRecord {
    this.stats.records++;
    return this.oversize(++this.index, line, size);
  }

  private oversize(index: number, line: number, size: number): SourceRecord {
    this.stats.problems++;
    return {
      source: this.source,
      index,
      line,
      fields: {},
      problem: {
        code: "RECORD_TOO_LARGE",
        severity: "error",
        message: `row is ${size} characters long, over the limit of ${this.maxRecordBytes}`,
      },
    };
  }

  /** A row the tokenizer could not parse (csv-parse path): kept as a problem record. */
  malformed(line: number, message: string, raw: string | undefined): SourceRecord {
    this.stats.records++;
    this.stats.problems++;
    return {
      source: this.source,
      index: ++this.index,
      line,
      fields: {},
      problem: { code: "CSV_MALFORMED_ROW", severity: "error", message },
      raw,
    };
  }
}

/**
 * A record larger than this is not a row but a quote that swallowed the rest of the file; it stops
 * the run (memory stays bounded). Rows between maxRecordBytes and this size become RECORD_TOO_LARGE
 * records. (csv-parse's own max_record_size cannot skip a record without losing the rows after it.)
 */
function hardCap(maxRecordBytes: number): number {
  return Math.max(maxRecordBytes * 4, 16 * 1024 * 1024);
}

function checkCsvOptions(options: CsvReaderOptions): string {
  checkReaderOptions(options);
  const { delimiter } = options;
  const quote = options.quote ?? '"';
  if (typeof delimiter !== "string" || delimiter.length === 0 || /[\r\n]/.test(delimiter)) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option delimiter: expected a non-empty string without line breaks, got ${JSON.stringify(delimiter)}`,
    );
  }
  if (typeof quote !== "string" || quote.length !== 1 || quote === delimiter || /[\r\n]/.test(quote)) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option quote: expected one character other than the delimiter, got ${JSON.stringify(quote)}`,
    );
  }
  return quote;
}

/** Write one chunk; resolves with csv-parse's error instead of rejecting (records come first). */
function writeChunk(parser: Parser, chunk: string): Promise<unknown> {
  return new Promise((resolve) => {
    parser.write(chunk, (err?: Error | null) => resolve(err ?? undefined));
  });
}

function endParser(parser: Parser): Promise<unknown> {
  return new Promise((resolve) => {
    parser.end((err?: unknown) => resolve(err ?? undefined));
  });
}

/**
 * Read CSV/TSV text. Records: `fields` header → cell, `line` = physical line where the record
 * starts (a quoted cell with line breaks makes a record span lines), `index` = 1-based data-row
 * ordinal. Stats: blank rows skipped, the column names.
 */
export const readCsv: Reader<CsvReaderOptions> = (text, options) => {
  const quote = checkCsvOptions(options);
  const stats = newReaderStats();
  const engine = options.engine ?? (options.delimiter.length === 1 ? "fast" : "csv-parse");
  const batches =
    engine === "fast" ? engineBatches(text, options, quote, stats) : csvBatches(text, options, quote, stats);
  return withStats(batches, stats);
};

/**
 * The default engine: feedpipe's own tokenizer (src/formats/csv-engine.ts), about 3x csv-parse's
 * speed here, with the same record semantics as the csv-parse path below (both pass the same
 * edge-case suite). csv-parse stays for multi-character delimiters and as `engine: "csv-parse"`.
 */
async function* engineBatches(
  text: AsyncIterable<string>,
  options: CsvReaderOptions,
  quote: string,
  stats: ReaderStats,
): AsyncGenerator<RecordBatch> {
  const { source, delimiter, maxRecordBytes } = options;
  // Rows over the cap are skimmed, not kept (bounded memory); only a runaway quote is fatal.
  const engine = new CsvEngine({
    delimiter,
    quote,
    maxRowChars: hardCap(maxRecordBytes),
    skipRowsOver: maxRecordBytes,
  });
  const shaper = new RowShaper(source, delimiter, quote, maxRecordBytes, stats);
  let rows: CsvRow[] = [];
  let first = true;

  const toRecords = (): RecordBatch => {
    const batch: RecordBatch = [];
    for (const row of rows) {
      if (row.blank) {
        stats.blankRows++;
        continue;
      }
      const record =
        row.tooLarge !== undefined && shaper.columns !== undefined
          ? shaper.tooLarge(row.line, row.tooLarge)
          : shaper.shape(row.cells, row.line, row.length, row.badQuote);
      if (record) batch.push(record);
    }
    rows = [];
    return batch;
  };

  const fail = (err: unknown): FeedpipeError => {
    if (err instanceof CsvUnclosedQuoteError) {
      return new FeedpipeError(
        "FEED_CSV_MALFORMED",
        `${source}: the row starting at line ${err.line} has a quote (${quote}) that is never closed; ` +
          `the file ends inside it (records before line ${err.line} were read)`,
        { cause: err, context: { source, line: err.line } },
      );
    }
    if (err instanceof CsvRowTooLargeError) {
      return new FeedpipeError(
        "FEED_CSV_MALFORMED",
        `${source}: the row starting at line ${err.line} runs past ${err.chars} characters; ` +
          `most likely a quote (${quote}) that is never closed`,
        { cause: err, context: { source, line: err.line } },
      );
    }
    return err as Error as FeedpipeError;
  };

  for await (let chunk of text) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    try {
      engine.push(chunk, rows);
    } catch (err) {
      const batch = toRecords();
      if (batch.length > 0) yield batch;
      throw fail(err);
    }
    if (rows.length > 0) {
      const batch = toRecords();
      if (batch.length > 0) yield batch;
    }
  }
  try {
    engine.end(rows);
  } catch (err) {
    const batch = toRecords();
    if (batch.length > 0) yield batch;
    throw fail(err);
  }
  const batch = toRecords();
  if (batch.length > 0) yield batch;
}

async function* csvBatches(
  text: AsyncIterable<string>,
  options: CsvReaderOptions,
  quote: string,
  stats: ReaderStats,
): AsyncGenerator<RecordBatch> {
  const { source, delimiter, maxRecordBytes } = options;
  let batch: SourceRecord[] = [];
  const shaper = new RowShaper(source, delimiter, quote, maxRecordBytes, stats);
  // Line bookkeeping. csv-parse's own `info.lines` counts a CRLF inside a quoted cell twice, so the
  // reader keeps its own count: `nextLine` is the physical line where the next row starts.
  let nextLine = 1;
  let prevEnd = 0;
  let seenEmpty = 0;
  let fatal: FeedpipeError | undefined;
  let lastChar = -1;

  const onRecord = (cells: string[], info: { lines: number; empty_lines: number }): null => {
    const emptyDelta = info.empty_lines - seenEmpty;
    seenEmpty = info.empty_lines;
    stats.blankRows += emptyDelta;
    const line = nextLine + emptyDelta;
    // Lines this row took by csv-parse's count; more than one means line breaks inside cells.
    const span = info.lines - prevEnd - emptyDelta;
    prevEnd = info.lines;
    nextLine = line + 1 + (span > 1 ? lineBreaks(cells) : 0);

    const record = shaper.shape(cells, line);
    if (record) batch.push(record);
    return null;
  };

  const onSkip = (err: CsvError | undefined): undefined => {
    const line = nextLine;
    if (err?.code === "CSV_QUOTE_NOT_CLOSED") {
      throw new FeedpipeError(
        "FEED_CSV_MALFORMED",
        `${source}: the row starting at line ${line} has a quote (${quote}) that is never closed; ` +
          `the file ends inside it (records before line ${line} were read)`,
        { cause: err, context: { source, line } },
      );
    }
    if (err?.code === "CSV_MAX_RECORD_SIZE") {
      throw new FeedpipeError(
        "FEED_CSV_MALFORMED",
        `${source}: the row starting at line ${line} runs past ${hardCap(maxRecordBytes)} characters; ` +
          `most likely a quote (${quote}) that is never closed`,
        { cause: err, context: { source, line } },
      );
    }
    // Any other error csv-parse can skip: keep the row as a problem record, never drop it.
    const cells = (err as { record?: unknown } | undefined)?.record;
    const csvLines = (err as { lines?: unknown } | undefined)?.lines;
    batch.push(
      shaper.malformed(
        line,
        err?.message ?? "row could not be parsed",
        Array.isArray(cells) ? clip(cells.join(delimiter)) : undefined,
      ),
    );
    if (typeof csvLines === "number" && csvLines >= prevEnd) {
      prevEnd = csvLines;
      nextLine = Math.max(nextLine + 1, csvLines + 1);
    } else nextLine++;
    return undefined;
  };

  // Loaded on first use: most runs take the default engine, and a reader thread need not load it.
  const { parse } = await import("csv-parse");
  const parser = parse({
    delimiter,
    quote,
    escape: quote,
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    record_delimiter: ["\r\n", "\n", "\r"],
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: hardCap(maxRecordBytes),
    on_skip: onSkip,
    on_record: onRecord,
  });
  // Errors are taken from the write/end callbacks; this keeps the stream's 'error' event handled.
  parser.on("error", () => {});

  const failure = (err: unknown): FeedpipeError => {
    if (err instanceof FeedpipeError) return err;
    const e = err as { code?: string; message?: string };
    return new FeedpipeError(
      "FEED_CSV_MALFORMED",
      `${source}: CSV could not be parsed near line ${nextLine}: ${e.message ?? String(err)}`,
      { cause: err, context: { source, line: nextLine } },
    );
  };

  // csv-parse works on UTF-8 bytes: a surrogate pair cut between two chunks would become two U+FFFD,
  // so a trailing high surrogate waits for the next chunk.
  let high = "";
  const chunks = async function* (): AsyncGenerator<string> {
    for await (const piece of text) {
      let chunk = high === "" ? piece : high + piece;
      high = "";
      const last = chunk.charCodeAt(chunk.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        high = chunk.slice(-1);
        chunk = chunk.slice(0, -1);
      }
      if (chunk.length > 0) yield chunk;
    }
    if (high !== "") yield high;
  };
  for await (const chunk of chunks()) {
    lastChar = chunk.charCodeAt(chunk.length - 1);
    const err = await writeChunk(parser, chunk);
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      yield out;
    }
    if (err !== undefined) {
      fatal = failure(err);
      break;
    }
  }
  if (fatal === undefined) {
    const err = await endParser(parser);
    if (err !== undefined) fatal = failure(err);
    else {
      // Blank lines after the last row (csv-parse counts one more when the text ends in a line break).
      const trailing = parser.info.empty_lines - seenEmpty - (lastChar === 10 || lastChar === 13 ? 1 : 0);
      if (trailing > 0) stats.blankRows += trailing;
    }
  } else parser.destroy();
  if (batch.length > 0) yield batch;
  if (fatal !== undefined) throw fatal;
}
