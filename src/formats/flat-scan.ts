/**
 * The flat-object scanner shared by the reader thread's NDJSON and JSON array readers
 * (./ndjson-scan.ts, ./json-packed.ts): an object of the common shape, a flat object whose values are
 * strings, numbers, true, false or null, is written straight into the batch being built
 * (./pack-builder.ts): key ids, value kinds, the values' text back to back. No record object and no
 * string per short value outlives the batch (on the thread, records only exist to be packed again,
 * and `JSON.parse` internalizes every string of 10 characters or fewer in old space, see README,
 * "JSON and NDJSON readers").
 *
 * It accepts a subset of strict JSON and leaves everything else to its caller's general path
 * (JSON.parse): whitespace other than spaces, escaped or digit-led keys (JSON.parse puts
 * array-index keys first), duplicate keys, nested values, a number outside
 * `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`, an unknown escape. Raw control characters are not looked
 * for here: callers reject text that holds any (NDJSON per line, JSON per element). String escapes
 * (\" \\ \/ \b \f \n \r \t \uXXXX) are decoded as JSON.parse decodes them.
 */
import { FALSE, NULL, type PackedBatch, TRUE } from "./pack.js";
import { PackBuilder } from "./pack-builder.js";
import { EXACT_DIGITS } from "../core/json-exact.js";

/** A raw control character (invalid in a JSON string; NDJSON tabs and JSON newlines are left too). */
export const CONTROL = /[\u0000-\u001f]/;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The value of the 4 hex digits at `p`, or -1. */
function hex4(s: string, p: number): number {
  let v = 0;
  for (let i = p; i < p + 4; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1; // NaN past the end too
    v = v * 16 + d;
  }
  return v;
}

/** Scans flat objects into one PackBuilder; `finish` ends the batch. */
export class FlatScanner {
  readonly builder: PackBuilder;
  /**
   * The first backslash at or after some point at or before where the last scan ended, in the text
   * being scanned (its length: none), or -1 (not known). A caller that moves on to another string
   * sets it to -1; within one string (a JSON chunk) it spares a search to the end per object.
   */
  bs = -1;
  // The previous scanned record's keys (no quote, backslash or control character) and their ids,
  // by position: a key is usually found by comparing the text with the one before.
  private keys: string[] = [];
  private ids: number[] = [];

  constructor(source: string) {
    this.builder = new PackBuilder(source);
  }

  finish(): PackedBatch {
    this.keys.length = 0;
    this.ids.length = 0;
    return this.builder.finish();
  }

  /**
   * Write the fields of the flat object at `from` (its '{') into the record begun on the builder,
   * and return where the object ends (after its '}'); or return -1 (the caller aborts the record).
   */
  object(s: string, from: number): number {
    const b = this.builder;
    const len = s.length;
    let p = from;
    if (s.charCodeAt(p) !== 123) return -1;
    p++;
    while (s.charCodeAt(p) === 32) p++;
    let bs = this.bs;
    if (bs < p) {
      bs = s.indexOf("\\", p);
      if (bs < 0) bs = len;
    }
    if (s.charCodeAt(p) === 125) {
      p++;
    } else {
      for (let n = 0; ; n++) {
        if (s.charCodeAt(p) !== 34) return -1;
        p++;
        if (bs < p) {
          bs = s.indexOf("\\", p);
          if (bs < 0) bs = len;
        }
        let id: number;
        const known = this.keys[n];
        if (known !== undefined && s.startsWith(known, p) && s.charCodeAt(p + known.length) === 34) {
          id = this.ids[n]!;
          p += known.length + 1;
        } else {
          const q = s.indexOf('"', p);
          if (q < 0 || bs < q) return -1;
          if (isDigit(s.charCodeAt(p))) return -1;
          const k = s.slice(p, q);
          id = b.keyId(k);
          this.keys[n] = k;
          this.ids[n] = id;
          p = q + 1;
        }
        if (!b.claim(id)) return -1;
        while (s.charCodeAt(p) === 32) p++;
        if (s.charCodeAt(p) !== 58) return -1;
        p++;
        while (s.charCodeAt(p) === 32) p++;
        const c = s.charCodeAt(p);
        if (c === 34) {
          p++;
          let q = s.indexOf('"', p);
          if (q < 0) return -1;
          if (bs < p) {
            bs = s.indexOf("\\", p);
            if (bs < 0) bs = len;
          }
          if (bs > q) {
            b.string(id, s.slice(p, q));
            p = q + 1;
          } else {
            let v = "";
            while (bs < q) {
              v += s.slice(p, bs);
              const e = s.charCodeAt(bs + 1);
              p = bs + 2;
              if (e === 34) v += '"';
              else if (e === 92) v += "\\";
              else if (e === 47) v += "/";
              else if (e === 110) v += "\n";
              else if (e === 116) v += "\t";
              else if (e === 114) v += "\r";
              else if (e === 98) v += "\b";
              else if (e === 102) v += "\f";
              else if (e === 117) {
                const h = hex4(s, p);
                if (h < 0) return -1;
                v += String.fromCharCode(h);
                p += 4;
              } else return -1;
              if (q < p) {
                q = s.indexOf('"', p);
                if (q < 0) return -1;
              }
              bs = s.indexOf("\\", p);
              if (bs < 0) bs = len;
            }
            b.string(id, v + s.slice(p, q));
            p = q + 1;
          }
        } else if (c === 45 || isDigit(c)) {
          const start = p;
          if (c === 45) p++;
          const d = s.charCodeAt(p);
          if (d === 48) p++;
          else if (d >= 49 && d <= 57) {
            p++;
            while (isDigit(s.charCodeAt(p))) p++;
          } else return -1;
          let plain = true;
          if (s.charCodeAt(p) === 46) {
            p++;
            if (!isDigit(s.charCodeAt(p))) return -1;
            while (isDigit(s.charCodeAt(p))) p++;
            plain = false;
          }
          const e = s.charCodeAt(p);
          if (e === 101 || e === 69) {
            p++;
            const sign = s.charCodeAt(p);
            if (sign === 43 || sign === 45) p++;
            if (!isDigit(s.charCodeAt(p))) return -1;
            while (isDigit(s.charCodeAt(p))) p++;
            plain = false;
          }
          if (plain && p - start <= 15) {
            // Up to 15 digits: exact in a double, no string needed.
            let x = 0;
            for (let i = c === 45 ? start + 1 : start; i < p; i++) x = x * 10 + (s.charCodeAt(i) - 48);
            b.number(id, c === 45 ? -x : x);
          } else {
            const token = s.slice(start, p);
            const x = Number(token);
            // An integer a double would change is kept as its text (../core/json-exact.ts).
            if (plain && p - start - (c === 45 ? 1 : 0) > EXACT_DIGITS && String(x) !== token)
              b.string(id, token);
            else b.number(id, x);
          }
        } else if (c === 116) {
          if (!s.startsWith("true", p)) return -1;
          b.literal(id, TRUE);
          p += 4;
        } else if (c === 102) {
          if (!s.startsWith("false", p)) return -1;
          b.literal(id, FALSE);
          p += 5;
        } else if (c === 110) {
          if (!s.startsWith("null", p)) return -1;
          b.literal(id, NULL);
          p += 4;
        } else {
          return -1;
        }
        while (s.charCodeAt(p) === 32) p++;
        const sep = s.charCodeAt(p);
        p++;
        if (sep === 125) break;
        if (sep !== 44) return -1;
        while (s.charCodeAt(p) === 32) p++;
      }
    }
    this.bs = bs;
    return p;
  }
}
