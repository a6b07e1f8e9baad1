/**
 * NDJSON read straight into packed batches (./pack.ts), for the reader thread (./read-worker.ts).
 *
 * On the thread, records only exist to be packed again for the main thread, and `JSON.parse` makes
 * V8 11.3 internalize every string value of 10 characters or fewer, in old space, freed only by a
 * full GC (README, "JSON and NDJSON readers"). So a line of the common shape, a flat object whose
 * values are strings, numbers, true, false or null, is scanned here into the batch being built:
 * key ids, value kinds, the values' text back to back. No record object and no string per short
 * value outlives the batch.
 *
 * The scanner accepts a subset of strict JSON and leaves every other line to the ordinary per-line
 * path (`NdjsonLines.parse`: JSON.parse, the same record or problem as in-process): lines with any
 * control character (tabs included), whitespace other than spaces, escaped or digit-led keys
 * (JSON.parse puts array-index keys first), duplicate keys, nested values, a number outside
 * `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`, an unknown escape, anything after the closing brace.
 * String escapes (\" \\ \/ \b \f \n \r \t \uXXXX) are decoded as JSON.parse decodes them. So the
 * unpacked records, their lines, problems and the counters are those of `readNdjson` (property-tested
 * in test/ndjson-scan.test.ts).
 */
import type { ReaderStats } from "./reader.js";
import { checkReaderOptions, newReaderStats } from "./reader.js";
import { lineBatches, NdjsonLines } from "./ndjson.js";
import { FALSE, NULL, type PackedBatch, TRUE } from "./pack.js";
import { PackBuilder } from "./pack-builder.js";
import type { ReaderOptions } from "./types.js";

/** A stream of packed batches with the reader's counters (as ReaderStream for records). */
export type PackedStream = AsyncGenerator<PackedBatch> & { readonly stats: ReaderStats };

const CONTROL = /[\u0000-\u001f]/;

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

/** Scans lines into one PackBuilder; `finish` ends the batch. */
export class NdjsonScanner {
  readonly builder: PackBuilder;
  // The previous scanned record's keys (no quote, backslash or control character) and their ids,
  // by position: a key is usually found by comparing the text with the one before.
  private keys: string[] = [];
  private ids: number[] = [];

  constructor(source: string) {
    this.builder = new PackBuilder(source);
  }

  /** Write line `s` as record `index` and return true, or return false with nothing written. */
  scan(s: string, index: number, line: number): boolean {
    if (CONTROL.test(s)) return false;
    const b = this.builder;
    b.begin(index, line);
    if (this.fields(s)) {
      b.commit();
      return true;
    }
    b.abort();
    return false;
  }

  finish(): PackedBatch {
    this.keys.length = 0;
    this.ids.length = 0;
    return this.builder.finish();
  }

  private fields(s: string): boolean {
    const b = this.builder;
    const len = s.length;
    let p = 0;
    while (s.charCodeAt(p) === 32) p++;
    if (s.charCodeAt(p) !== 123) return false;
    p++;
    while (s.charCodeAt(p) === 32) p++;
    /** The first backslash at or after some point before p (len: none). */
    let bs = s.indexOf("\\", p);
    if (bs < 0) bs = len;
    if (s.charCodeAt(p) === 125) {
      p++;
    } else {
      for (let n = 0; ; n++) {
        if (s.charCodeAt(p) !== 34) return false;
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
          if (q < 0 || bs < q) return false;
          if (isDigit(s.charCodeAt(p))) return false;
          const k = s.slice(p, q);
          id = b.keyId(k);
          this.keys[n] = k;
          this.ids[n] = id;
          p = q + 1;
        }
        if (!b.claim(id)) return false;
        while (s.charCodeAt(p) === 32) p++;
        if (s.charCodeAt(p) !== 58) return false;
        p++;
        while (s.charCodeAt(p) === 32) p++;
        const c = s.charCodeAt(p);
        if (c === 34) {
          p++;
          let q = s.indexOf('"', p);
          if (q < 0) return false;
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
                if (h < 0) return false;
                v += String.fromCharCode(h);
                p += 4;
              } else return false;
              if (q < p) {
                q = s.indexOf('"', p);
                if (q < 0) return false;
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
          } else return false;
          let plain = true;
          if (s.charCodeAt(p) === 46) {
            p++;
            if (!isDigit(s.charCodeAt(p))) return false;
            while (isDigit(s.charCodeAt(p))) p++;
            plain = false;
          }
          const e = s.charCodeAt(p);
          if (e === 101 || e === 69) {
            p++;
            const sign = s.charCodeAt(p);
            if (sign === 43 || sign === 45) p++;
            if (!isDigit(s.charCodeAt(p))) return false;
            while (isDigit(s.charCodeAt(p))) p++;
            plain = false;
          }
          if (plain && p - start <= 15) {
            // Up to 15 digits: exact in a double, no string needed.
            let x = 0;
            for (let i = c === 45 ? start + 1 : start; i < p; i++) x = x * 10 + (s.charCodeAt(i) - 48);
            b.number(id, c === 45 ? -x : x);
          } else {
            b.number(id, Number(s.slice(start, p)));
          }
        } else if (c === 116) {
          if (!s.startsWith("true", p)) return false;
          b.literal(id, TRUE);
          p += 4;
        } else if (c === 102) {
          if (!s.startsWith("false", p)) return false;
          b.literal(id, FALSE);
          p += 5;
        } else if (c === 110) {
          if (!s.startsWith("null", p)) return false;
          b.literal(id, NULL);
          p += 4;
        } else {
          return false;
        }
        while (s.charCodeAt(p) === 32) p++;
        const sep = s.charCodeAt(p);
        p++;
        if (sep === 125) break;
        if (sep !== 44) return false;
        while (s.charCodeAt(p) === 32) p++;
      }
    }
    while (s.charCodeAt(p) === 32) p++;
    return p === len;
  }
}

/**
 * Read NDJSON text as packed batches: one per input chunk, as readNdjson yields record batches,
 * and the same counters.
 */
export function readNdjsonPacked(text: AsyncIterable<string>, options: ReaderOptions): PackedStream {
  checkReaderOptions(options);
  const stats = newReaderStats();
  const lines = new NdjsonLines(options, stats);
  const scanner = new NdjsonScanner(options.source);
  const b = scanner.builder;
  const take = (raw: string, line: number): void => {
    const s = lines.text(raw);
    if (s === undefined) return;
    if (s.length > options.maxRecordBytes) {
      b.add(lines.tooLarge(s.length, line));
      return;
    }
    const index = lines.next();
    if (scanner.scan(s, index, line)) lines.counted();
    else b.add(lines.parse(s, line, index));
  };
  const tooLarge = (length: number, line: number): void => {
    b.add(lines.tooLarge(length, line));
  };
  const flush = (): PackedBatch | undefined => (b.count === 0 ? undefined : scanner.finish());
  return Object.assign(lineBatches(text, options.maxRecordBytes, take, tooLarge, flush), { stats });
}
