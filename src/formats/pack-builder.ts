/**
 * Builds a packed batch (./pack.ts) record by record, for readers that can produce it without
 * building record objects first (the NDJSON and JSON array readers on the reader thread,
 * ./flat-scan.ts).
 *
 * Two ways in: `add(record)` packs a whole record exactly as packBatch does; `begin` / `string` /
 * `number` / `literal` / `commit` write a flat record field by field, and `abort` takes back what a
 * record wrote since `begin` (the scanner met something it leaves to JSON.parse). `finish` returns
 * the batch and starts the next one; the builder's arrays are reused from batch to batch.
 *
 * Unpacked, a finished batch equals packBatch's form of the same records: the same key table
 * entries per field, cells in field order, values back to back in `text`.
 */
import type { FieldValue, SourceRecord } from "../core/record.js";
import { CELL, FALSE, NULL, NUMBER, OTHER, type PackedBatch, REC, STRING, TRUE } from "./pack.js";

export class PackBuilder {
  readonly source: string;
  /** Records in the batch so far. */
  count = 0;
  private recs = new Float64Array(256 * REC);
  private cells = new Int32Array(256 * 16 * CELL);
  /** Cells written (times CELL). */
  private c = 0;
  private parts: string[] = [];
  private length = 0;
  private numbers: number[] = [];
  private others: FieldValue[] = [];
  private extras: PackedBatch["extras"] = [];
  private keys: string[] = [];
  private keyIds = new Map<string, number>();
  /** `seen[id] === count + 1`: key `id` is already a field of the record being written. */
  private seen = new Int32Array(64);
  /** Where the record being written started (cells, parts, text length, numbers). */
  private markC = 0;
  private markParts = 0;
  private markLength = 0;
  private markNumbers = 0;
  // The previous record's keys by position, for add() (as in packBatch).
  private prevKeys: string[] = [];
  private prevIds: number[] = [];

  constructor(source: string) {
    this.source = source;
  }

  /** The key table id of `k` (added to the table if new). */
  keyId(k: string): number {
    let id = this.keyIds.get(k);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(k);
      this.keyIds.set(k, id);
      if (id >= this.seen.length) {
        const grown = new Int32Array(this.seen.length * 2);
        grown.set(this.seen);
        this.seen = grown;
      }
    }
    return id;
  }

  /** Start a record written field by field (NaN: no line / no offset). */
  begin(index: number, line: number, offset = Number.NaN): void {
    if ((this.count + 1) * REC > this.recs.length) {
      const grown = new Float64Array(this.recs.length * 2);
      grown.set(this.recs);
      this.recs = grown;
    }
    const at = this.count * REC;
    this.recs[at] = index;
    this.recs[at + 1] = line;
    this.recs[at + 2] = offset;
    this.markC = this.c;
    this.markParts = this.parts.length;
    this.markLength = this.length;
    this.markNumbers = this.numbers.length;
  }

  /** Claim key `id` for the record being written: false if it is a field of it already. */
  claim(id: number): boolean {
    const stamp = this.count + 1;
    if (this.seen[id] === stamp) return false;
    this.seen[id] = stamp;
    return true;
  }

  private cell(id: number, kind: number, end: number): void {
    if (this.c + CELL > this.cells.length) {
      const grown = new Int32Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    const c = this.c;
    this.cells[c] = id;
    this.cells[c + 1] = kind;
    this.cells[c + 2] = end;
    this.c = c + CELL;
  }

  string(id: number, v: string): void {
    this.parts.push(v);
    this.length += v.length;
    this.cell(id, STRING, this.length);
  }

  number(id: number, v: number): void {
    this.numbers.push(v);
    this.cell(id, NUMBER, 0);
  }

  /** A true, false or null value (kind TRUE, FALSE or NULL). */
  literal(id: number, kind: number): void {
    this.cell(id, kind, 0);
  }

  /** End the record begun with `begin`. */
  commit(): void {
    this.recs[this.count * REC + 3] = (this.c - this.markC) / CELL;
    this.count++;
  }

  /** Take back everything written since `begin` (key table entries stay; they are harmless). */
  abort(): void {
    this.c = this.markC;
    this.parts.length = this.markParts;
    this.length = this.markLength;
    this.numbers.length = this.markNumbers;
    // Forget this record's claims: the next record gets the same stamp.
    this.seen.fill(0);
  }

  /** Add a whole record (packBatch's per-record loop). */
  add(r: SourceRecord): void {
    this.begin(r.index, r.line ?? Number.NaN, r.offset ?? Number.NaN);
    let n = 0;
    const f = r.fields;
    for (const k in f) {
      if (!Object.hasOwn(f, k)) continue;
      let id: number;
      if (this.prevKeys[n] === k) {
        id = this.prevIds[n]!;
      } else {
        id = this.keyId(k);
        this.prevKeys[n] = k;
        this.prevIds[n] = id;
      }
      const v = f[k];
      if (typeof v === "string") this.string(id, v);
      else if (typeof v === "number") this.number(id, v);
      else if (v === true) this.literal(id, TRUE);
      else if (v === false) this.literal(id, FALSE);
      else if (v === null) this.literal(id, NULL);
      else {
        this.others.push(v as FieldValue);
        this.cell(id, OTHER, 0);
      }
      n++;
    }
    if (r.problem !== undefined || r.raw !== undefined || r.source !== this.source) {
      this.extras.push([this.count, r.problem, r.raw, r.source === this.source ? undefined : r.source]);
    }
    this.commit();
  }

  /** The batch built so far; the builder starts an empty one. */
  finish(): PackedBatch {
    const packed: PackedBatch = {
      source: this.source,
      text: this.parts.join(""),
      keys: this.keys,
      recs: this.recs.slice(0, this.count * REC),
      cells: this.cells.slice(0, this.c),
      numbers: Float64Array.from(this.numbers),
      others: this.others,
      extras: this.extras,
    };
    this.count = 0;
    this.c = 0;
    this.parts = [];
    this.length = 0;
    this.numbers = [];
    this.others = [];
    this.extras = [];
    this.keys = [];
    this.keyIds = new Map();
    this.seen.fill(0);
    this.prevKeys.length = 0;
    this.prevIds.length = 0;
    return packed;
  }
}
