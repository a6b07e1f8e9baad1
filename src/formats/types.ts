/** The small interfaces every reader and writer implements. */
export type InputFormat = "csv" | "xml" | "json" | "ndjson";

export interface ReaderOptions {
  /** Source name used in every record's origin. */
  source: string;
  /** Records larger than this (in characters of decoded text) are rejected, not parsed. */
  maxRecordBytes: number;
}

export interface CsvReaderOptions extends ReaderOptions {
  /** Field delimiter; sniffed when not given. */
  delimiter: string;
  /** Quote character (default `"`). */
  quote?: string | undefined;
  /** Tokenizer: feedpipe's fast engine (default for one-character delimiters) or csv-parse. */
  engine?: "fast" | "csv-parse" | undefined;
}

export interface XmlReaderOptions extends ReaderOptions {
  /**
   * Element name that holds one record (`item`, `entry`, `product`, or a prefixed name such as
   * `g:item`). A path such as `catalog/products/product` uses its last step.
   */
  recordTag: string;
}

export interface JsonReaderOptions extends ReaderOptions {
  /** Dot path of the array holding records (`items`, `data.products`); empty for a top-level array. */
  jsonPath: string;
}

/** Output formats for writers. */
export type OutputFormat = "csv" | "tsv" | "ndjson" | "json" | "xml";

/** A flat row to write: column name → value (numbers and strings; undefined/null = empty). */
export type Row = Record<string, string | number | boolean | null | undefined>;

export interface WriterOptions {
  /** Column order (CSV/TSV need it up front; others use it as key order). */
  columns: string[];
  /** CSV/TSV: escape cells that a spreadsheet would run as a formula (default true). */
  protectFormulas?: boolean | undefined;
  /** XML: channel title etc. */
  title?: string | undefined;
}

/**
 * A writer turns batches of rows into text: `header()` once, `batch(rows)` per batch (one string),
 * `footer()` once. Writers are pure text producers; where the text goes is the sink's business.
 */
export interface Writer {
  header(): string;
  batch(rows: Row[]): string;
  /** Optional: the same text as `batch(rows)`, one string per row (written without joining). */
  lines?(rows: Row[]): string[];
  footer(): string;
}
