/**
 * NDJSON and JSON-array writers.
 *
 * Key order follows `options.columns`; when `columns` is empty each row's own keys are written.
 * Keys whose value is `undefined` are left out; `null` is written as `null`. Numbers that are not
 * finite (NaN, ±Infinity) become `null`, as JSON.stringify does.
 *
 * The JSON writer streams one array: `header()` is "[\n", rows are separated by ",\n", and
 * `footer()` closes it ("\n]\n", or "]\n" when no row was written), so the output is valid JSON
 * for any number of rows and batches.
 */
import type { Row, Writer, WriterOptions } from "../types.js";
import { rowWriter } from "./rows.js";

type RowEncoder = (row: Row) => string;

function rowEncoder(columns: readonly string[]): RowEncoder {
  if (columns.length === 0) {
    return (row) => {
      let out = "{";
      let first = true;
      for (const key in row) {
        const v = row[key];
        if (v === undefined) continue;
        out += (first ? "" : ",") + JSON.stringify(key) + ":" + JSON.stringify(v);
        first = false;
      }
      return out + "}";
    };
  }
  const cols = [...columns];
  const keys = cols.map((c) => JSON.stringify(c) + ":");
  const n = cols.length;
  return (row) => {
    let out = "{";
    let first = true;
    for (let i = 0; i < n; i++) {
      const v = row[cols[i]!];
      if (v === undefined) continue;
      let text: string;
      if (typeof v === "number") text = Number.isFinite(v) ? String(v) : "null";
      else if (v === null) text = "null";
      else if (typeof v === "boolean") text = v ? "true" : "false";
      else text = JSON.stringify(v);
      out += (first ? keys[i]! : "," + keys[i]!) + text;
      first = false;
    }
    return out + "}";
  };
}

export function createNdjsonWriter(options: WriterOptions): Writer {
  const encode = rowEncoder(options.columns);
  return rowWriter(
    "",
    () => "",
    (row) => encode(row) + "\n",
  );
}

export function createJsonWriter(options: WriterOptions): Writer {
  const encode = rowEncoder(options.columns);
  let written = 0;
  return rowWriter(
    "[\n",
    () => (written === 0 ? "]\n" : "\n]\n"),
    (row) => (written++ === 0 ? "" : ",\n") + encode(row),
  );
}
