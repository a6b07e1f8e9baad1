/**
 * NDJSON read straight into packed batches (./pack.ts), for the reader thread (./read-worker.ts).
 *
 * A line of the common shape, a flat object whose values are strings, numbers, true, false or
 * null, is scanned into the batch being built (./flat-scan.ts, shared with the JSON array reader
 * ./json-packed.ts); every other line takes the ordinary per-line path (`NdjsonLines.parse`:
 * JSON.parse, the same record or problem as in-process): lines with any control character (tabs
 * included), whitespace other than spaces, anything the flat scanner leaves, anything after the
 * closing brace. So the unpacked records, their lines, problems and the counters are those of
 * `readNdjson` (property-tested in test/ndjson-scan.test.ts).
 */
import type { ReaderStats } from "./reader.js";
import { checkReaderOptions, newReaderStats } from "./reader.js";
import { lineBatches, NdjsonLines } from "./ndjson.js";
import { CONTROL, FlatScanner } from "./flat-scan.js";
import type { PackedBatch } from "./pack.js";
import type { ReaderOptions } from "./types.js";

/** A stream of packed batches with the reader's counters (as ReaderStream for records). */
export type PackedStream = AsyncGenerator<PackedBatch> & { readonly stats: ReaderStats };

/** Scans lines into one PackBuilder (./flat-scan.ts); `finish` ends the batch. */
export class NdjsonScanner extends FlatScanner {
  /** Write line `s` as record `index` and return true, or return false with nothing written. */
  scan(s: string, index: number, line: number): boolean {
    if (CONTROL.test(s)) return false;
    const b = this.builder;
    b.begin(index, line);
    let p = 0;
    while (s.charCodeAt(p) === 32) p++;
    this.bs = -1;
    p = this.object(s, p);
    if (p >= 0) {
      while (s.charCodeAt(p) === 32) p++;
      if (p === s.length) {
        b.commit();
        return true;
      }
    }
    b.abort();
    return false;
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
