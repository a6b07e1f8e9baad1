/**
 * Where the JSON reader (./json.ts) is in the document, and the text of the token or element it is
 * reading (kept across chunks up to the size cap). The grammar (./json-scanner.ts) and the element
 * cutter (./json-elements.ts) share one cursor.
 */
import { FeedpipeError } from "../core/errors.js";

export class JsonCursor {
  readonly source: string;
  readonly max: number;
  /** Absolute offset of the current chunk's first character. */
  base = 0;
  line = 1;
  /** Absolute offset where the current line starts. */
  lineStart = 0;

  // The token or element being read.
  parts: string[] = [];
  partsLen = 0;
  /** Where the token's text starts in the current chunk (0 when it began in an earlier chunk). */
  segStart = 0;
  tokStart = 0;
  tokLine = 1;
  tokCol = 1;
  /** Backslashes that ended the previous chunk inside a string. */
  bsRun = 0;
  oversized = false;
  /** The token's first character (quote or bracket) has not been passed yet. */
  fresh = false;

  constructor(source: string, max: number) {
    this.source = source;
    this.max = max;
  }

  /** A token or element starts at `i` of the current chunk. */
  begin(i: number): void {
    this.parts = [];
    this.partsLen = 0;
    this.segStart = i;
    this.tokStart = this.base + i;
    this.tokLine = this.line;
    this.tokCol = this.tokStart - this.lineStart + 1;
  }

  /** Keep the token's text from this chunk (up to the size cap). */
  keepRest(s: string): void {
    const piece = s.length - this.segStart;
    this.partsLen += piece;
    if (this.oversized) return;
    if (this.partsLen > this.max) {
      this.oversized = true;
      this.parts = [];
      return;
    }
    if (piece > 0) this.parts.push(this.segStart === 0 ? s : s.slice(this.segStart));
  }

  /** The token's whole text, ending at `end` of the current chunk. */
  tokenText(s: string, end: number): string {
    const piece = s.slice(this.segStart, end);
    if (this.parts.length === 0) return piece;
    this.parts.push(piece);
    return this.parts.join("");
  }

  place(offset: number): string {
    return `line ${this.line}, column ${offset - this.lineStart + 1} (character ${offset})`;
  }

  tokenPlace(): string {
    return `line ${this.tokLine}, column ${this.tokCol} (character ${this.tokStart})`;
  }

  malformed(message: string, line: number, offset: number, cause?: unknown): FeedpipeError {
    return new FeedpipeError("FEED_JSON_MALFORMED", message, {
      cause,
      context: { source: this.source, line, offset },
    });
  }
}
