/**
 * The JSON reader's streaming scanner (see ./json.ts): outside the record array it checks the full
 * JSON grammar and follows the dot path; inside it hands each element to ./json-elements.ts.
 */
import { FeedpipeError } from "../core/errors.js";
import { clip, type SourceRecord } from "../core/record.js";
import { JsonCursor } from "./json-cursor.js";
import { type ElementSink, JsonElements } from "./json-elements.js";
import { cleanMessage, describeChar, endsScalar, SCALAR, stringEnd, trailingRun } from "./json-lex.js";
import type { ReaderStats } from "./reader.js";

// What the grammar expects next (outside record elements).
const E_VALUE = 0;
const E_VALUE_OR_CLOSE = 1;
const E_KEY = 2;
const E_KEY_OR_CLOSE = 3;
const E_COLON = 4;
const E_COMMA_OR_CLOSE = 5;
const E_DONE = 6;

const EXPECTED = [
  "a value",
  "a value or ']'",
  "a double-quoted key",
  "a double-quoted key or '}'",
  "':'",
  "',' or a closing bracket",
  "the end of the document",
];

// Scanner modes.
const M_GRAMMAR = 0;
const M_STRING = 1; // a string token outside records (key or value)
const M_SCALAR = 2; // a number or literal outside records
const M_ELEMENT = 3; // a record element

interface Frame {
  obj: boolean;
  /** Path segments matched to reach this object (it is on the path); -1 when off the path. */
  depth: number;
  target: boolean;
}

export interface ScannerOptions {
  source: string;
  maxRecordBytes: number;
  /** The dot path, split (./json.ts `parseJsonPath`). */
  path: string[];
  /** Parse runs of elements at once (default); false cuts every element alone (the reference). */
  runs?: boolean | undefined;
  /** Records go to this sink, not `batch` (the reader thread's packed batches, ./json-packed.ts). */
  sink?: ElementSink | undefined;
}

export class JsonScanner {
  private readonly cur: JsonCursor;
  private readonly elements: JsonElements;
  private readonly source: string;
  private readonly path: string[];
  private first = true;

  private mode = M_GRAMMAR;
  private expect = E_VALUE;
  private readonly stack: Frame[] = [];
  /** Path segments matched for the value that comes next; -1 when it is off the path. */
  private nextOnPath = 0;
  private found = false;
  private isKey = false;

  constructor(options: ScannerOptions, stats: ReaderStats) {
    this.source = options.source;
    this.path = options.path;
    this.cur = new JsonCursor(options.source, options.maxRecordBytes);
    this.elements = new JsonElements(this.cur, stats, options.runs !== false, options.sink);
  }

  get batch(): SourceRecord[] {
    return this.elements.batch;
  }

  /** Records read by runs of elements (the rest were cut one at a time). */
  get fromRuns(): number {
    return this.elements.fromRuns;
  }

  take(): SourceRecord[] {
    const out = this.elements.batch;
    this.elements.batch = [];
    return out;
  }

  push(s: string): void {
    let i = 0;
    if (this.first && s.length > 0) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) i = 1;
    }
    this.cur.segStart = 0;
    this.elements.nextChunk();
    const n = s.length;
    while (i < n) {
      switch (this.mode) {
        case M_GRAMMAR:
          i = this.grammar(s, i);
          break;
        case M_ELEMENT:
          i = this.elements.scan(s, i);
          if (!this.elements.open) {
            this.mode = M_GRAMMAR;
            this.expect = E_COMMA_OR_CLOSE;
          }
          break;
        case M_STRING:
          i = this.string(s, i);
          break;
        default:
          i = this.scalar(s, i);
      }
    }
    this.cur.base += n;
  }

  end(): void {
    const cur = this.cur;
    cur.segStart = 0;
    if (this.mode === M_SCALAR) this.finishScalar(cur.tokenText("", 0));
    else if (this.mode === M_ELEMENT) {
      this.elements.end();
      if (!this.elements.open) {
        this.mode = M_GRAMMAR;
        this.expect = E_COMMA_OR_CLOSE;
      }
    }
    if (this.mode !== M_GRAMMAR || this.expect !== E_DONE) {
      const grammar = this.mode === M_GRAMMAR;
      throw cur.malformed(
        `${this.source}: JSON ends early at ${grammar ? cur.place(cur.base) : cur.tokenPlace()}: expected ${grammar ? EXPECTED[this.expect] : "the rest of the value"} (truncated file?)`,
        grammar ? cur.line : cur.tokLine,
        grammar ? cur.base : cur.tokStart,
      );
    }
    if (!this.found) throw this.pathError("is not in the document");
  }

  // ---- errors ----

  private unexpected(s: string, i: number): FeedpipeError {
    const offset = this.cur.base + i;
    return this.cur.malformed(
      `${this.source}: malformed JSON at ${this.cur.place(offset)}: expected ${EXPECTED[this.expect]}, got ${describeChar(s.charCodeAt(i))}`,
      this.cur.line,
      offset,
    );
  }

  private pathError(what: string): FeedpipeError {
    const subject =
      this.path.length === 0 ? "the top-level value" : `the record array "${this.path.join(".")}"`;
    return new FeedpipeError(
      "FEED_JSON_PATH_NOT_FOUND",
      `${this.source}: ${subject} ${what}; pass --json-path with the dot path of the array that holds the products`,
      { context: { source: this.source, jsonPath: this.path.join(".") } },
    );
  }

  // ---- grammar outside records ----

  private afterValue(): void {
    this.nextOnPath = -1;
    this.expect = this.stack.length === 0 ? E_DONE : E_COMMA_OR_CLOSE;
  }

  /** A value that is not an array starts where the record array should be. */
  private checkNotTarget(c: number): void {
    if (this.found || this.nextOnPath !== this.path.length) return;
    const kind = c === 123 ? "an object" : c === 34 ? "a string" : "a number or literal";
    throw this.pathError(`is ${kind}, not an array`);
  }

  private grammar(s: string, start: number): number {
    const n = s.length;
    for (let i = start; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 10) {
        this.cur.line++;
        this.cur.lineStart = this.cur.base + i + 1;
        continue;
      }
      if (c === 32 || c === 13 || c === 9) continue;
      switch (this.expect) {
        case E_VALUE:
        case E_VALUE_OR_CLOSE: {
          const top = this.stack[this.stack.length - 1];
          if (c === 93 && this.expect === E_VALUE_OR_CLOSE) {
            this.close(false);
            continue;
          }
          if (top?.target) {
            if (c === 93 || c === 125 || c === 44 || c === 58) throw this.unexpected(s, i);
            if (c === 123) {
              const end = this.elements.fast(s, i);
              if (end !== -1) {
                this.expect = E_COMMA_OR_CLOSE;
                i = end - 1;
                continue;
              }
            }
            this.elements.start(i, c);
            this.mode = M_ELEMENT;
            return i;
          }
          this.startValue(s, i, c);
          if (this.mode !== M_GRAMMAR) return i;
          continue;
        }
        case E_KEY:
        case E_KEY_OR_CLOSE:
          if (c === 34) {
            this.startToken(i, true);
            return i;
          }
          if (c === 125 && this.expect === E_KEY_OR_CLOSE) {
            this.close(true);
            continue;
          }
          throw this.unexpected(s, i);
        case E_COLON:
          if (c !== 58) throw this.unexpected(s, i);
          this.expect = E_VALUE;
          continue;
        case E_COMMA_OR_CLOSE: {
          const top = this.stack[this.stack.length - 1]!;
          if (c === 44) {
            this.expect = top.obj ? E_KEY : E_VALUE;
            continue;
          }
          if ((c === 125 && top.obj) || (c === 93 && !top.obj)) {
            this.close(top.obj);
            continue;
          }
          throw this.unexpected(s, i);
        }
        default:
          throw this.unexpected(s, i);
      }
    }
    return n;
  }

  private offPath(kind: string): FeedpipeError {
    const what =
      this.nextOnPath === 0 ? "the top-level value" : `"${this.path.slice(0, this.nextOnPath).join(".")}"`;
    return this.pathError(`is not in the document (${what} is ${kind}, not an object)`);
  }

  private startValue(s: string, i: number, c: number): void {
    const scalar = c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110;
    if (!scalar && c !== 91 && c !== 123 && c !== 34) throw this.unexpected(s, i);
    const beforeTarget = !this.found && this.nextOnPath >= 0 && this.nextOnPath < this.path.length;
    if (c === 91) {
      // '['
      if (beforeTarget) throw this.offPath("an array");
      const target = !this.found && this.nextOnPath === this.path.length;
      if (target) this.found = true;
      this.stack.push({ obj: false, depth: -1, target });
      this.nextOnPath = -1;
      this.expect = E_VALUE_OR_CLOSE;
      return;
    }
    this.checkNotTarget(c);
    if (beforeTarget && c !== 123) throw this.offPath(c === 34 ? "a string" : "a number or literal");
    if (c === 123) {
      // '{'
      this.stack.push({ obj: true, depth: this.found ? -1 : this.nextOnPath, target: false });
      this.nextOnPath = -1;
      this.expect = E_KEY_OR_CLOSE;
      return;
    }
    if (c === 34) {
      this.startToken(i, false);
      return;
    }
    this.mode = M_SCALAR;
    this.cur.begin(i);
  }

  private close(obj: boolean): void {
    const frame = this.stack.pop()!;
    if (obj && frame.depth >= 0 && !this.found) {
      const at = frame.depth === 0 ? "at the top level" : `in "${this.path.slice(0, frame.depth).join(".")}"`;
      throw this.pathError(`is not in the document (no key "${this.path[frame.depth]}" ${at})`);
    }
    this.afterValue();
  }

  private startToken(i: number, isKey: boolean): void {
    this.mode = M_STRING;
    this.isKey = isKey;
    this.cur.begin(i);
    this.cur.bsRun = 0;
    this.cur.fresh = true;
  }

  private string(s: string, i: number): number {
    const cur = this.cur;
    let from = i;
    let carried = i === 0 ? cur.bsRun : 0;
    if (cur.fresh) {
      // Step over the opening quote.
      cur.fresh = false;
      from = i + 1;
      carried = 0;
    }
    const q = stringEnd(s, from, carried);
    if (q === -1) {
      cur.bsRun = trailingRun(s, from, carried);
      cur.keepRest(s);
      return s.length;
    }
    const tooBig = cur.oversized || cur.partsLen + (q + 1 - cur.segStart) > cur.max;
    const text = tooBig ? "" : cur.tokenText(s, q + 1);
    cur.oversized = false;
    cur.parts = [];
    this.mode = M_GRAMMAR;
    let value: string | undefined;
    if (!tooBig) {
      try {
        value = JSON.parse(text) as string;
      } catch (err) {
        throw cur.malformed(
          `${this.source}: malformed JSON string at ${cur.tokenPlace()}: ${cleanMessage(err).replace(/ in JSON at position \d+/, "")}`,
          cur.tokLine,
          cur.tokStart,
          err,
        );
      }
    }
    if (this.isKey) {
      const top = this.stack[this.stack.length - 1]!;
      this.nextOnPath =
        !this.found && top.depth >= 0 && value !== undefined && value === this.path[top.depth]
          ? top.depth + 1
          : -1;
      this.expect = E_COLON;
    } else this.afterValue();
    return q + 1;
  }

  private scalar(s: string, i: number): number {
    const n = s.length;
    let j = i;
    while (j < n && !endsScalar(s.charCodeAt(j))) j++;
    if (j === n) {
      this.cur.keepRest(s);
      return n;
    }
    this.finishScalar(this.cur.tokenText(s, j));
    return j;
  }

  private finishScalar(text: string): void {
    const cur = this.cur;
    cur.parts = [];
    this.mode = M_GRAMMAR;
    if (cur.oversized || !SCALAR.test(text)) {
      cur.oversized = false;
      throw cur.malformed(
        `${this.source}: malformed JSON at ${cur.tokenPlace()}: ${JSON.stringify(clip(text, 40))} is not a number, true, false or null`,
        cur.tokLine,
        cur.tokStart,
      );
    }
    this.afterValue();
  }
}
