/**
 * A compact wire form for record batches, for handing batches from the reader thread to the main
 * thread (see ./worker-feed.ts).
 *
 * Posting a batch of records as objects makes V8 serialise and rebuild every object and string
 * (measured: ~1.5 µs per 13-field record to rebuild, about what parsing CSV costs in the first
 * place). Packed, a batch is one string holding every string value back to back, a key table and
 * two typed arrays (moved, not copied). Rebuilding is a loop of `text.slice` and property stores;
 * slices of 13 characters or more are views of the batch text, so the values are not copied again.
 *
 * Anything that is not a string, finite-or-not number, boolean or null (nested XML/JSON groups and
 * lists), a record's `problem` and `raw` text, and a `source` that differs from the batch's, travel
 * beside it as ordinary structured-clone values. Round trip is exact: same keys in the same order,
 * same values, same origins (property-tested in test/pack.test.ts).
 */
import type { FieldValue, Fields, Issue, RecordBatch, SourceRecord } from "../core/record.js";

/** Value kinds in `cells` (exported for ./pack-builder.ts, which builds the same form). */
export const STRING = 0;
export const NUMBER = 1;
export const TRUE = 2;
export const FALSE = 3;
export const NULL = 4;
export const OTHER = 5;

/** Numbers per record in `recs`: index, line, offset, field count (NaN = absent). */
export const REC = 4;
/** Numbers per field in `cells`: key id, kind, end of the value in `text` (strings) or slot. */
export const CELL = 3;

export interface PackedBatch {
  /** Source name shared by the batch's records (others are in `extras`). */
  source: string;
  /** Every string value, back to back. */
  text: string;
  /** Field names used in the batch; `cells` refers to them by position. */
  keys: string[];
  recs: Float64Array;
  cells: Int32Array;
  /** Number values, in field order. */
  numbers: Float64Array;
  /** Values of kind OTHER, in field order. */
  others: FieldValue[];
  /** Per-record extras: [record position, problem, raw, source] (only records that have any). */
  extras: [number, Issue | undefined, string | undefined, string | undefined][];
  /** Plain-text marks, one per record, when the reader was asked for them (./plain-marks.ts). */
  plain?: Uint8Array | undefined;
}

/** The typed arrays of a packed batch, to pass as a postMessage transfer list. */
export function transferList(p: PackedBatch): ArrayBuffer[] {
  const list = [p.recs.buffer as ArrayBuffer, p.cells.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer];
  if (p.plain !== undefined) list.push(p.plain.buffer as ArrayBuffer);
  return list;
}

export function packBatch(batch: RecordBatch, source: string): PackedBatch {
  const recs = new Float64Array(batch.length * REC);
  // Sized for 16 fields a record, grown if a batch has more.
  let cells = new Int32Array(Math.max(batch.length, 1) * 16 * CELL);
  const parts: string[] = [];
  const keys: string[] = [];
  const keyIds = new Map<string, number>();
  // Records of one feed usually repeat the previous record's keys in the same order: compare with
  // those first (cheaper than a Map lookup per field).
  const prevKeys: string[] = [];
  const prevIds: number[] = [];
  const numbers: number[] = [];
  const others: FieldValue[] = [];
  const extras: PackedBatch["extras"] = [];
  let length = 0;
  let c = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    const at = i * REC;
    recs[at] = r.index;
    recs[at + 1] = r.line ?? Number.NaN;
    recs[at + 2] = r.offset ?? Number.NaN;
    let n = 0;
    const f = r.fields;
    for (const k in f) {
      if (!Object.hasOwn(f, k)) continue;
      let id: number | undefined;
      if (prevKeys[n] === k) {
        id = prevIds[n]!;
      } else {
        id = keyIds.get(k);
        if (id === undefined) {
          id = keys.length;
          keys.push(k);
          keyIds.set(k, id);
        }
        prevKeys[n] = k;
        prevIds[n] = id;
      }
      if (c + CELL > cells.length) {
        const grown = new Int32Array(cells.length * 2);
        grown.set(cells);
        cells = grown;
      }
      const v = f[k];
      cells[c] = id;
      if (typeof v === "string") {
        parts.push(v);
        length += v.length;
        cells[c + 1] = STRING;
        cells[c + 2] = length;
      } else if (typeof v === "number") {
        cells[c + 1] = NUMBER;
        numbers.push(v);
      } else if (v === true) {
        cells[c + 1] = TRUE;
      } else if (v === false) {
        cells[c + 1] = FALSE;
      } else if (v === null) {
        cells[c + 1] = NULL;
      } else {
        cells[c + 1] = OTHER;
        others.push(v as FieldValue);
      }
      c += CELL;
      n++;
    }
    recs[at + 3] = n;
    if (r.problem !== undefined || r.raw !== undefined || r.source !== source) {
      extras.push([i, r.problem, r.raw, r.source === source ? undefined : r.source]);
    }
  }
  return {
    source,
    text: parts.join(""),
    keys,
    recs,
    cells: cells.slice(0, c),
    numbers: Float64Array.from(numbers),
    others,
    extras,
  };
}

export function unpackBatch(p: PackedBatch): RecordBatch {
  const { source, text, keys, recs, cells, numbers, others, plain } = p;
  const count = recs.length / REC;
  const out: SourceRecord[] = new Array<SourceRecord>(count);
  // A key named __proto__ must become an own property, as JSON.parse makes it.
  const protoKey = keys.indexOf("__proto__");
  let c = 0;
  let from = 0;
  let num = 0;
  let other = 0;
  for (let i = 0; i < count; i++) {
    const at = i * REC;
    const n = recs[at + 3]!;
    const fields: Fields = {};
    for (let j = 0; j < n; j++, c += CELL) {
      const id = cells[c]!;
      const kind = cells[c + 1]!;
      let v: FieldValue;
      if (kind === STRING) {
        const end = cells[c + 2]!;
        v = text.slice(from, end);
        from = end;
      } else if (kind === NUMBER) {
        v = numbers[num++]!;
      } else if (kind === TRUE) {
        v = true;
      } else if (kind === FALSE) {
        v = false;
      } else if (kind === NULL) {
        v = null;
      } else {
        v = others[other++]!;
      }
      if (id === protoKey) {
        Object.defineProperty(fields, "__proto__", {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        fields[keys[id]!] = v;
      }
    }
    const line = recs[at + 1]!;
    const offset = recs[at + 2]!;
    // Same property order as the readers build: source, index, line / offset, fields.
    const rec = { source, index: recs[at]! } as SourceRecord;
    if (!Number.isNaN(line)) rec.line = line;
    if (!Number.isNaN(offset)) rec.offset = offset;
    rec.fields = fields;
    if (plain !== undefined) rec.plain = plain[i]!;
    out[i] = rec;
  }
  for (const [i, problem, raw, src] of p.extras) {
    const rec = out[i]!;
    if (problem !== undefined) rec.problem = problem;
    if (raw !== undefined) rec.raw = raw;
    if (src !== undefined) rec.source = src;
  }
  return out;
}
