/**
 * Cutting the record array's elements out of the text (for ./json-scanner.ts), and making records
 * of them.
 *
 * Two ways, with the same records and errors:
 * - `run`: from an object element's '{', find the boundaries `}` `,` `{` (whitespace allowed) that
 *   follow in the chunk with `indexOf`, and parse every complete element up to the last one with a
 *   single `JSON.parse("[" + text + "]")`. The guess is proven, not trusted: every real boundary
 *   between two objects has that shape, so when the parse gives exactly one object per guessed
 *   piece, no guessed boundary was inside a string or a nested value and every offset is exact. If
 *   the parse fails, gives another count or a non-object, or a piece is over the size cap, nothing
 *   is taken and the element is cut exactly (below) — which also attributes an error to its element.
 * - `start` + `scan`: walk the element tracking strings and nesting, across chunks, keeping its text
 *   up to the size cap, then JSON.parse it alone.
 *
 * On the reader thread (./json-packed.ts) an ElementSink takes the records instead of `batch`, and
 * takes the place of `run`: an object element is offered to it where it lies in the chunk (or, if
 * it was cut, as its own text before JSON.parse), and it scans flat ones straight into the packed
 * batch; what it leaves is cut and parsed here as above, so records and errors stay the same.
 */
import { clip, type Fields, type SourceRecord } from "../core/record.js";
import type { JsonCursor } from "./json-cursor.js";
import { cleanMessage, endsScalar, kindOfValue, stringEnd, trailingRun } from "./json-lex.js";
import type { ReaderStats } from "./reader.js";
import type { FeedpipeError } from "../core/errors.js";
import { parseJsonExact } from "../core/json-exact.js";

// Element kinds.
const K_CONTAINER = 0;
const K_STRING = 1;
const K_SCALAR = 2;

/** Chunks in a row where `run` failed before it is given up for the document. */
const RUN_GIVE_UP = 8;

/** Where records go instead of `batch` when they are packed on the reader thread. */
export interface ElementSink {
  /** A new chunk starts (what the sink knew about the previous one's text is void). */
  nextChunk(): void;
  /**
   * Write the object element at `i` of `s` as record `index` (at character `offset`, on `line`)
   * and return where it ends, or return -1 with nothing written. `whole`: `s` is the element's
   * text alone.
   */
  element(s: string, i: number, index: number, offset: number, line: number, whole: boolean): number;
  /** A record made here (JSON.parse, or a problem record). */
  add(r: SourceRecord): void;
}

export class JsonElements {
  batch: SourceRecord[] = [];
  /** An element is being cut (it may continue in the next chunk). */
  open = false;
  /** Try `run` in this chunk (cleared for the rest of a chunk where it failed). */
  runs = true;
  /** Records taken by `run` (for tests and benchmarks). */
  fromRuns = 0;
  private failedChunks = 0;
  private index = 0;
  private kind = K_CONTAINER;
  private depth = 0;
  private inStr = false;
  private readonly starts: number[] = [];
  /** The first newline in the chunk at or after the last run's start (-1 none, -2 not searched). */
  private nlNext = -2;

  constructor(
    private readonly cur: JsonCursor,
    private readonly stats: ReaderStats,
    enableRuns: boolean,
    private readonly sink?: ElementSink,
  ) {
    if (!enableRuns || sink !== undefined) this.failedChunks = RUN_GIVE_UP;
    this.runs = this.failedChunks < RUN_GIVE_UP;
  }

  /** A new chunk: runs are tried again unless they kept failing. */
  nextChunk(): void {
    this.nlNext = -2;
    this.sink?.nextChunk();
    if (!this.runs) this.failedChunks++;
    else if (this.failedChunks < RUN_GIVE_UP) this.failedChunks = 0;
    this.runs = this.failedChunks < RUN_GIVE_UP;
  }

  /**
   * Read the object element at `i` (a '{') without cutting it: into the sink, or with the ones
   * after it in a run. Returns where the last element read ends, or -1 (cut it with `start`).
   */
  fast(s: string, i: number): number {
    const sink = this.sink;
    if (sink === undefined) return this.runs ? this.run(s, i) : -1;
    const end = sink.element(s, i, this.index + 1, this.cur.base + i, this.cur.line, false);
    if (end !== -1) {
      this.index++;
      this.stats.records++;
    }
    return end;
  }

  private emit(r: SourceRecord): void {
    if (this.sink === undefined) this.batch.push(r);
    else this.sink.add(r);
  }

  /**
   * Read the complete object elements that start at `i` (a '{') in one parse. Returns where the
   * last one ends, or -1 when none was taken (cut the element with `start` instead).
   */
  private run(s: string, i: number): number {
    const max = this.cur.max;
    const starts = this.starts;
    starts.length = 0;
    let elemStart = i;
    let last = -1;
    let from = i + 1;
    for (;;) {
      const close = s.indexOf("}", from);
      if (close === -1) break;
      from = close + 1;
      let j = from;
      let c = s.charCodeAt(j);
      while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++j);
      if (c !== 44) continue;
      c = s.charCodeAt(++j);
      while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++j);
      if (c !== 123) continue;
      if (close + 1 - elemStart > max) break;
      starts.push(elemStart);
      last = close + 1;
      elemStart = j;
      from = j + 1;
    }
    const k = starts.length;
    if (k === 0) return -1;
    let values: unknown;
    try {
      values = parseJsonExact(`[${s.slice(i, last)}]`);
    } catch {
      this.runs = false;
      return -1;
    }
    const list = values as unknown[];
    if (list.length !== k) {
      this.runs = false;
      return -1;
    }
    for (let e = 0; e < k; e++) {
      const v = list[e];
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        this.runs = false;
        return -1;
      }
    }
    const cur = this.cur;
    const { source, base } = cur;
    // Raw newlines in valid JSON are all between tokens: each element's line is the count of those
    // before its start. The first newline past the run is kept, so that a chunk with many runs and
    // few newlines is not searched to its end each time.
    let nl = this.nlNext;
    if (nl === -2 || (nl !== -1 && nl < i)) nl = s.indexOf("\n", i);
    for (let e = 0; e < k; e++) {
      const at = starts[e]!;
      while (nl !== -1 && nl < at) {
        cur.line++;
        cur.lineStart = base + nl + 1;
        nl = s.indexOf("\n", nl + 1);
      }
      this.batch.push({
        source,
        index: ++this.index,
        line: cur.line,
        offset: base + at,
        fields: list[e] as Fields,
      });
    }
    this.stats.records += k;
    this.fromRuns += k;
    while (nl !== -1 && nl < last) {
      cur.line++;
      cur.lineStart = base + nl + 1;
      nl = s.indexOf("\n", nl + 1);
    }
    this.nlNext = nl;
    return last;
  }

  /** An element starts at `i` (its first character `c`); `scan` it from there. */
  start(i: number, c: number): void {
    const cur = this.cur;
    this.open = true;
    this.kind = c === 123 || c === 91 ? K_CONTAINER : c === 34 ? K_STRING : K_SCALAR;
    cur.begin(i);
    cur.oversized = false;
    cur.bsRun = 0;
    cur.fresh = this.kind !== K_SCALAR;
    this.depth = this.kind === K_CONTAINER ? 1 : 0;
    this.inStr = this.kind === K_STRING;
  }

  /** Go on cutting the open element from `start`; returns where it ended, or `s.length`. */
  scan(s: string, start: number): number {
    const cur = this.cur;
    const n = s.length;
    let i = start;
    if (this.kind === K_SCALAR) {
      while (i < n && !endsScalar(s.charCodeAt(i))) i++;
      if (i === n) {
        cur.keepRest(s);
        return n;
      }
      this.finish(s, i);
      return i;
    }
    let depth = this.depth;
    if (cur.fresh) {
      // Step over the opening bracket or quote.
      cur.fresh = false;
      i++;
    }
    while (i < n) {
      if (this.inStr) {
        // Backslashes carried over only count for a string that continues from the previous chunk.
        const carried = i === 0 ? cur.bsRun : 0;
        const q = stringEnd(s, i, carried);
        if (q === -1) {
          cur.bsRun = trailingRun(s, i, carried);
          break;
        }
        this.inStr = false;
        i = q + 1;
        if (this.kind === K_STRING) {
          this.finish(s, i);
          return i;
        }
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.inStr = true;
        cur.bsRun = 0;
      } else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth === 0) {
          this.depth = 0;
          this.finish(s, i + 1);
          return i + 1;
        }
      } else if (c === 10) {
        cur.line++;
        cur.lineStart = cur.base + i + 1;
      }
      i++;
    }
    this.depth = depth;
    cur.keepRest(s);
    return n;
  }

  /** The document ended: a scalar element ends with it. */
  end(): void {
    if (this.open && this.kind === K_SCALAR) this.finish("", 0);
  }

  private finish(s: string, end: number): void {
    const cur = this.cur;
    this.open = false;
    const index = ++this.index;
    const size = cur.partsLen + (end - cur.segStart);
    const offset = cur.tokStart;
    const line = cur.tokLine;
    const source = cur.source;
    if (cur.oversized || size > cur.max) {
      this.stats.records++;
      cur.oversized = false;
      cur.parts = [];
      this.stats.problems++;
      this.emit({
        source,
        index,
        line,
        offset,
        fields: {},
        problem: {
          code: "RECORD_TOO_LARGE",
          severity: "error",
          message: `element is ${size} characters long, over the limit of ${cur.max}`,
        },
      });
      return;
    }
    // An element cut by a chunk boundary is offered to the sink as its own text (the others were
    // offered where they lay, and left).
    const spans = cur.parts.length > 0;
    const text = cur.tokenText(s, end);
    cur.parts = [];
    if (spans && this.sink !== undefined && this.sink.element(text, 0, index, offset, line, true) !== -1) {
      this.stats.records++;
      return;
    }
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (err) {
      throw this.error(err, text, index);
    }
    this.stats.records++;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      this.emit({ source, index, line, offset, fields: value as Fields });
      return;
    }
    this.stats.problems++;
    this.emit({
      source,
      index,
      line,
      offset,
      fields: {},
      problem: {
        code: "JSON_NOT_OBJECT",
        severity: "error",
        message: `element ${index} is ${kindOfValue(value)}, not an object`,
        value: clip(text, 100),
      },
      raw: clip(text),
    });
  }

  /** FEED_JSON_MALFORMED at the place in the element that JSON.parse names. */
  private error(err: unknown, text: string, index: number): FeedpipeError {
    const cur = this.cur;
    const raw = cleanMessage(err);
    const m = / in JSON at position (\d+)/.exec(raw);
    const msg = raw.replace(/ in JSON at position \d+/, "");
    let line = cur.tokLine;
    let offset = cur.tokStart;
    let col = cur.tokCol;
    if (m) {
      const p = Math.min(Number(m[1]), text.length);
      offset += p;
      let lastNl = -1;
      for (let k = text.indexOf("\n"); k !== -1 && k < p; k = text.indexOf("\n", k + 1)) {
        line++;
        lastNl = k;
      }
      col = lastNl === -1 ? col + p : p - lastNl;
    }
    return cur.malformed(
      `${cur.source}: malformed JSON in element ${index} at line ${line}, column ${col} (character ${offset}): ${msg}`,
      line,
      offset,
      err,
    );
  }
}
