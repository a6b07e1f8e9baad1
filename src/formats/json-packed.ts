/**
 * JSON arrays read straight into packed batches (./pack.ts), for the reader thread
 * (./read-worker.ts).
 *
 * The document is walked by the in-process reader's scanner (./json-scanner.ts: the grammar outside
 * the record array, the dot path, line and offset bookkeeping, the errors). Each object element of
 * the record array is first offered to the flat-object scanner (./flat-scan.ts, the one the NDJSON
 * thread uses) where it lies in the chunk: a flat object of the strict subset it takes goes into the
 * batch being built, with no JSON.parse, no record object and no short string internalized in the
 * thread's old space. An element it leaves (nested values, escaped or digit-led keys, duplicate
 * keys, whitespace other than spaces inside it, a raw control character, odd numbers, malformed
 * text, over the size cap, not an object) is cut and parsed by ./json-elements.ts as in-process
 * (an element cut by a chunk boundary is offered again as its own text), and its record or problem
 * is packed as it is. So the unpacked records (fields, index, offset, problems), the counters and
 * the errors are those of `readJson` (property-tested in test/json-packed.test.ts).
 *
 * Runs (one JSON.parse for many elements, ./json-elements.ts) are not used here: they build the
 * record objects that the flat scanner avoids. Measured on 1M products (bench/thread-cpu.mjs
 * --modes on, against JSON.parse runs + packBatch on the thread, medians of 3): reader thread CPU
 * 7.65 → 6.4 s (convert) and 7.27 → 5.55 s (validate), peak RSS 156 → 135 MB and 160 → 139 MB.
 */
import type { SourceRecord } from "../core/record.js";
import { CONTROL, FlatScanner } from "./flat-scan.js";
import { jsonBatches, scannerOptions } from "./json.js";
import type { ElementSink } from "./json-elements.js";
import { JsonScanner } from "./json-scanner.js";
import type { PackedStream } from "./ndjson-scan.js";
import type { PackedBatch } from "./pack.js";
import { checkReaderOptions, newReaderStats } from "./reader.js";
import type { JsonReaderOptions } from "./types.js";

const CONTROL_AFTER = /[\u0000-\u001f]/g;

/** The record array's object elements, scanned into one PackBuilder where they lie. */
export class JsonFlatSink extends FlatScanner implements ElementSink {
  /** Elements the flat scanner took (for tests and benchmarks). */
  scanned = 0;
  private readonly max: number;
  /** The first control character (a newline, mostly) at or after `ctlFrom` in the chunk, or -1. */
  private ctl = -1;
  private ctlFrom = -1;

  constructor(source: string, maxRecordBytes: number) {
    super(source);
    this.max = maxRecordBytes;
  }

  nextChunk(): void {
    this.bs = -1;
    this.ctlFrom = -1;
  }

  element(s: string, i: number, index: number, offset: number, line: number, whole: boolean): number {
    // The first control character at or after i: the element holds none if it ends before it.
    let ctl: number;
    if (whole) {
      if (CONTROL.test(s)) return -1;
      ctl = s.length;
      this.bs = -1;
    } else {
      if (this.ctlFrom < 0 || i < this.ctlFrom || (this.ctl >= 0 && this.ctl < i)) {
        CONTROL_AFTER.lastIndex = i;
        // test, not exec: no match object (lastIndex is left just after the match).
        this.ctl = CONTROL_AFTER.test(s) ? CONTROL_AFTER.lastIndex - 1 : -1;
        this.ctlFrom = i;
      }
      ctl = this.ctl < 0 ? s.length : this.ctl;
    }
    const b = this.builder;
    b.begin(index, line, offset);
    const end = this.object(s, i);
    if (whole) this.bs = -1; // the chunk's backslash is not known any more
    if (end === -1 || end > ctl || end - i > this.max || (whole && end !== s.length)) {
      b.abort();
      return -1;
    }
    b.commit();
    this.scanned++;
    return end;
  }

  add(r: SourceRecord): void {
    this.builder.add(r);
  }
}

/**
 * Read a JSON document's record array as packed batches: one per input chunk, as readJson yields
 * record batches, with the same counters and errors.
 */
export function readJsonPacked(text: AsyncIterable<string>, options: JsonReaderOptions): PackedStream {
  checkReaderOptions(options);
  const stats = newReaderStats();
  const sink = new JsonFlatSink(options.source, options.maxRecordBytes);
  const scanner = new JsonScanner(scannerOptions(options, { sink }), stats);
  const take = (): PackedBatch | undefined => (sink.builder.count === 0 ? undefined : sink.finish());
  return Object.assign(jsonBatches(text, scanner, take), { stats });
}
