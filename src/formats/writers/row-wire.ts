/**
 * A compact wire form for batches of rows, for handing them from the main thread to the writer
 * thread (src/jobs/write-thread.ts).
 *
 * Building the output text on the main thread (cell quoting tests, number printing, one rope per
 * batch, flattening it and encoding it as UTF-8) cost ~2.4 µs per product (in process, 100k 1M-bench
 * products, CSV; ~2.2 s of the main thread's 8.8 s on a 1M CSV convert). Packed, a batch is one
 * string holding the string values of the given keys back to back (a rope of 13 parts a row instead
 * of 26, never quoted, escaped or encoded here) and two typed arrays that are moved, not copied:
 * packing and posting measured ~0.8 µs per product on the main thread. The writer thread rebuilds
 * the rows and runs the same writer on them, so the output is the same by construction.
 *
 * Only the given keys travel (the writer's columns, and what else it reads: see `wireKeys`).
 * Values that are not a string, number, boolean, null or undefined go beside the batch as
 * structured-clone values. Round trip is exact for every key (property-tested in
 * test/write-thread.test.ts).
 */
import type { OutputFormat, Row } from "../types.js";

/** Kinds in `cells` (a cell ≥ 0 is a string of that length). */
const NUMBER = -1;
const TRUE = -2;
const FALSE = -3;
const NULL = -4;
const UNDEFINED = -5;
const OTHER = -6;

export interface RowWire {
  /** Number of rows. */
  rows: number;
  /** Every string value, back to back. */
  text: string;
  /** One per row and key: the string's length, or a kind. */
  cells: Int32Array;
  /** Number values, in cell order. */
  numbers: Float64Array;
  /** Values of kind OTHER, in cell order. */
  others: unknown[];
}

/** The typed arrays of a wire batch, to pass as a postMessage transfer list. */
export function wireTransfer(w: RowWire): ArrayBuffer[] {
  return [w.cells.buffer as ArrayBuffer, w.numbers.buffer as ArrayBuffer];
}

/**
 * The keys of a row a writer reads: its columns, and for XML the price columns (the price logic
 * reads `price`, `currency` and `old_price` whether or not they are columns). Undefined when the
 * writer reads each row's own keys (no columns): such rows are written on the calling thread.
 */
export function wireKeys(format: OutputFormat, columns: readonly string[]): string[] | undefined {
  if (columns.length === 0) return undefined;
  const keys = [...new Set(columns)];
  if (format === "xml")
    for (const k of ["price", "currency", "old_price"]) if (!keys.includes(k)) keys.push(k);
  return keys;
}

export function packRows(rows: readonly Row[], keys: readonly string[]): RowWire {
  const nk = keys.length;
  const cells = new Int32Array(rows.length * nk);
  // Sized for two numbers a row (a product has price and old_price), grown if a batch has more.
  let numbers = new Float64Array(Math.max(rows.length, 1) * 2);
  const others: unknown[] = [];
  let text = "";
  let c = 0;
  let n = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i < nk; i++) {
      const v: unknown = row[keys[i]!];
      if (typeof v === "string") {
        text += v;
        cells[c++] = v.length;
      } else if (typeof v === "number") {
        if (n === numbers.length) {
          const grown = new Float64Array(numbers.length * 2);
          grown.set(numbers);
          numbers = grown;
        }
        numbers[n++] = v;
        cells[c++] = NUMBER;
      } else if (v === undefined) cells[c++] = UNDEFINED;
      else if (v === null) cells[c++] = NULL;
      else if (v === true) cells[c++] = TRUE;
      else if (v === false) cells[c++] = FALSE;
      else {
        others.push(v);
        cells[c++] = OTHER;
      }
    }
  }
  return { rows: rows.length, text, cells, numbers, others };
}

/**
 * The rows of a wire batch: plain objects with the keys in `keys` order (an undefined value is
 * left out, which every writer reads the same as undefined).
 */
export function unpackRows(w: RowWire, keys: readonly string[]): Row[] {
  const nk = keys.length;
  const { text, cells, numbers, others } = w;
  const out = new Array<Row>(w.rows);
  let c = 0;
  let at = 0;
  let n = 0;
  let o = 0;
  for (let r = 0; r < w.rows; r++) {
    const row: Row = {};
    for (let i = 0; i < nk; i++) {
      const k = cells[c++]!;
      if (k >= 0) {
        row[keys[i]!] = text.slice(at, at + k);
        at += k;
      } else if (k === NUMBER) row[keys[i]!] = numbers[n++];
      else if (k === UNDEFINED) continue;
      else if (k === NULL) row[keys[i]!] = null;
      else if (k === TRUE) row[keys[i]!] = true;
      else if (k === FALSE) row[keys[i]!] = false;
      else row[keys[i]!] = others[o++] as Row[string];
    }
    out[r] = row;
  }
  return out;
}
