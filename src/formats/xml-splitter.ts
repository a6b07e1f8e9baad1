/**
 * Streaming XML record splitter: decoded text chunks in, one record per record element out.
 *
 * With `parse` (what the reader uses), each record (`<item>…</item>`, `<entry>…</entry>`,
 * `<product …/>`, …) is parsed where it lies in the buffer as soon as its start tag is seen
 * (xml-record.ts `parseElementAt`): one pass over the text, no string cut out per record and
 * scanned again. A record that does not end inside the buffer, is over the size cap, or has
 * anything unusual about its markup is instead cut out as before (`text`) and parsed on its own,
 * so both ways give the same records (test/xml-one-pass.test.ts). Without `parse`, every record
 * is cut out as a string. Memory stays flat: consumed text is dropped after every chunk, and a
 * record over the size cap is counted and reported but its text is not kept.
 *
 * The scanner jumps from `<` to `<` with indexOf and only looks closely at markup. It knows
 * comments, CDATA sections, processing instructions, DOCTYPE (with an internal subset) and quoted
 * attribute values containing `>`, so a `</item>` inside any of those never ends a record. Nested
 * elements with the record's own name are depth-counted.
 *
 * The core is a synchronous push/end state machine (`XmlSplitter`); `splitXml` is the thin
 * async-iterable adapter.
 */
import { FeedpipeError } from "../core/errors.js";
import type { Fields } from "../core/record.js";
import { type NameHints, parseElementAt } from "./xml-record.js";

/** One record cut out of the document. */
export interface XmlRecordText {
  /** The record's markup, from `<item` to `</item>` inclusive. For an oversize record: its first characters only. */
  text: string;
  /** 1-based ordinal of the record in the document. */
  index: number;
  /** 1-based line where the record's start tag begins. */
  line: number;
  /** UTF-8 byte offset of the record's start tag in the decoded document. */
  offset: number;
  /** Set when the record exceeded `maxRecordBytes`: its length in characters (its text was not kept). */
  oversize?: number | undefined;
  /**
   * With the `parse` option: the record's fields, parsed in place (`text` is then empty). Records
   * without them (malformed, oversize, or cut by a chunk boundary) are parsed from `text`.
   */
  fields?: Fields | undefined;
  /** With `fields`: the record element declares namespaces (`@xmlns…` keys are among the fields). */
  xmlns?: boolean | undefined;
}

export interface XmlSplitterOptions {
  /**
   * Record element name. Without a prefix (`item`) it matches the local name with any or no
   * prefix (`<item>`, `<g:item>`); with one (`g:item`) it matches that qualified name exactly.
   * A path (`catalog/products/product`) uses its last step.
   */
  recordTag: string;
  /** Source name for error messages. */
  source: string;
  /** Records longer than this many characters are reported as oversize, not kept. */
  maxRecordBytes: number;
  /**
   * Parse each record where it lies in the buffer (one pass over the text, see xml-record.ts
   * `parseElementAt`) and return its `fields`, instead of only cutting out its text.
   */
  parse?: boolean | undefined;
}

/** Characters of an oversize record kept for the report. */
const OVERSIZE_HEAD = 200;
/** Markup outside records (a tag, a declaration) may not run longer than this while incomplete. */
const MIN_MARKUP_CAP = 1 << 20;

const S_TEXT = 0;
const S_COMMENT = 1;
const S_CDATA = 2;
const S_PI = 3;
const S_DECL = 4;

const CONSTRUCT_NAMES = ["", "comment", "CDATA section", "processing instruction", "declaration"];

const LT = 60; // <
const GT = 62; // >
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const DQUOTE = 34;
const SQUOTE = 39;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const DASH = 45;

const XMLNS_RE = /(?:^|\s)xmlns(?::([^\s=/>]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === COLON || c >= 0xc0;
}

function isNameEnd(c: number): boolean {
  // whitespace, '/', '>', '<'
  return c === 32 || c === 10 || c === 9 || c === 13 || c === SLASH || c === GT || c === LT;
}

/** The element name a record tag option means: the last step of a path, trimmed. */
export function recordTagName(recordTag: string): string {
  const steps = recordTag.split("/").filter((s) => s.trim() !== "");
  return (steps[steps.length - 1] ?? "").trim();
}

interface OuterElement {
  name: string;
  line: number;
}

/**
 * Synchronous splitter core: `push(chunk)` returns the records completed by that chunk,
 * `end()` checks that the document did not stop inside a record or an open element.
 */
export class XmlSplitter {
  /** Namespace declarations seen on the root/ancestor elements before the first record: prefix → URI (`""` = default). */
  readonly namespaces: Record<string, string> = {};

  private readonly tag: string;
  private readonly qualified: boolean;
  private readonly max: number;
  private readonly source: string;
  private readonly hints: NameHints | undefined;

  private buf = "";
  /** Scan position in buf: everything before it is understood. */
  private pos = 0;
  private state = S_TEXT;
  // Declaration (DOCTYPE) sub-state.
  private declQuote = 0;
  private declDepth = 0;
  private declComment = false;
  /** Line where the current comment/CDATA/PI/declaration started (outside records). */
  private constructLine = 0;

  // Line/byte counters, valid at buf[countPos].
  private countPos = 0;
  private line = 1;
  private bytes = 0;

  private inRecord = false;
  private recStart = 0;
  private recDepth = 0;
  private recLine = 0;
  private recOffset = 0;
  private oversize = false;
  private recDiscarded = 0;
  private recHead = "";

  private index = 0;
  private seenRecord = false;
  private readonly outer: OuterElement[] = [];
  private out: XmlRecordText[] = [];

  constructor(options: XmlSplitterOptions) {
    const tag = recordTagName(options.recordTag);
    if (tag === "" || /[\s<>/"'=&]/.test(tag)) {
      throw new FeedpipeError(
        "INVALID_OPTION",
        `Invalid option recordTag: expected an XML element name such as item, got "${options.recordTag}"`,
      );
    }
    if (!Number.isFinite(options.maxRecordBytes) || options.maxRecordBytes < 1) {
      throw new FeedpipeError(
        "INVALID_OPTION",
        `Invalid option maxRecordBytes: expected a positive number, got ${String(options.maxRecordBytes)}`,
      );
    }
    this.tag = tag;
    this.qualified = tag.includes(":");
    this.max = options.maxRecordBytes;
    this.source = options.source;
    this.hints = options.parse === true ? [] : undefined;
  }

  /** Number of records completed so far. */
  get count(): number {
    return this.index;
  }

  /** Characters currently held (the open record, or an incomplete tag): stays small except inside a record. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feed one decoded chunk; returns the records it completed (possibly none). */
  push(chunk: string): XmlRecordText[] {
    if (chunk.length === 0) return [];
    this.buf = this.buf.length === 0 ? chunk : this.buf + chunk;
    this.scan();
    this.compact();
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * Signal the end of input. Throws FEED_XML_UNTERMINATED when the document stops inside a record,
   * inside markup, or before its root element closes (a truncated feed). Records completed
   * before that point were already returned by `push`.
   */
  end(): void {
    const read = `${this.index} complete record${this.index === 1 ? " was" : "s were"} read before it`;
    if (this.inRecord) {
      throw new FeedpipeError(
        "FEED_XML_UNTERMINATED",
        `${this.source}:${this.recLine}: the feed ends inside record ${this.index + 1} (<${this.tag}> opened at ` +
          `line ${this.recLine} is never closed); the document looks truncated. ${read}`,
        { context: { source: this.source, line: this.recLine } },
      );
    }
    if (this.state !== S_TEXT) {
      throw new FeedpipeError(
        "FEED_XML_UNTERMINATED",
        `${this.source}:${this.constructLine}: the feed ends inside a ${CONSTRUCT_NAMES[this.state]} that starts at ` +
          `line ${this.constructLine}; the document looks truncated. ${read}`,
        { context: { source: this.source, line: this.constructLine } },
      );
    }
    if (this.buf.indexOf("<", this.pos) !== -1) {
      this.advanceTo(this.pos);
      throw new FeedpipeError(
        "FEED_XML_UNTERMINATED",
        `${this.source}:${this.line}: the feed ends in the middle of a tag; the document looks truncated. ${read}`,
        { context: { source: this.source, line: this.line } },
      );
    }
    const root = this.outer[0];
    if (root) {
      throw new FeedpipeError(
        "FEED_XML_UNTERMINATED",
        `${this.source}:${root.line}: the feed ends before </${root.name}> (opened at line ${root.line}); the ` +
          `document looks truncated, so records may be missing. ${read}`,
        { context: { source: this.source, line: root.line } },
      );
    }
  }

  /** Does buf[start, end) hold the record element's name? */
  private matches(start: number, end: number): boolean {
    const tag = this.tag;
    const L = tag.length;
    const n = end - start;
    if (n === L) return this.buf.startsWith(tag, start);
    if (this.qualified || n <= L + 1) return false;
    return this.buf.charCodeAt(end - L - 1) === COLON && this.buf.startsWith(tag, end - L);
  }

  /** Move the line/byte counters forward to buf[p]. */
  private advanceTo(p: number): void {
    if (p <= this.countPos) return;
    const s = this.buf.slice(this.countPos, p);
    let nl = s.indexOf("\n");
    while (nl !== -1) {
      this.line++;
      nl = s.indexOf("\n", nl + 1);
    }
    this.bytes += Buffer.byteLength(s, "utf8");
    this.countPos = p;
  }

  private startRecord(lt: number): void {
    this.advanceTo(lt);
    this.inRecord = true;
    this.recStart = lt;
    this.recDepth = 1;
    this.recLine = this.line;
    this.recOffset = this.bytes;
    this.oversize = false;
    this.recDiscarded = 0;
    this.recHead = "";
  }

  private completeRecord(end: number): void {
    this.index++;
    this.inRecord = false;
    this.seenRecord = true;
    const size = this.recDiscarded + (end - this.recStart);
    if (this.oversize || size > this.max) {
      const head = this.oversize
        ? this.recHead
        : this.buf.slice(this.recStart, Math.min(end, this.recStart + OVERSIZE_HEAD));
      this.out.push({
        text: head,
        index: this.index,
        line: this.recLine,
        offset: this.recOffset,
        oversize: size,
      });
    } else {
      this.out.push({
        text: this.buf.slice(this.recStart, end),
        index: this.index,
        line: this.recLine,
        offset: this.recOffset,
      });
    }
    this.recHead = "";
  }

  /** A record parsed in place, from `lt` to `end`. */
  private parsedRecord(lt: number, end: number, fields: Fields, xmlns: boolean): void {
    this.advanceTo(lt);
    this.index++;
    this.seenRecord = true;
    const size = end - lt;
    if (size > this.max) {
      this.out.push({
        text: this.buf.slice(lt, lt + OVERSIZE_HEAD),
        index: this.index,
        line: this.line,
        offset: this.bytes,
        oversize: size,
      });
    } else {
      this.out.push({ text: "", index: this.index, line: this.line, offset: this.bytes, fields, xmlns });
    }
  }

  private enterConstruct(state: number, lt: number): void {
    this.state = state;
    if (!this.inRecord) {
      this.advanceTo(lt);
      this.constructLine = this.line;
    } else this.constructLine = this.recLine;
  }

  private onOpenTag(lt: number, nameEnd: number, tagEnd: number, selfClosing: boolean): void {
    if (this.inRecord) {
      if (!selfClosing && this.matches(lt + 1, nameEnd)) this.recDepth++;
      return;
    }
    if (this.matches(lt + 1, nameEnd)) {
      this.startRecord(lt);
      if (selfClosing) this.completeRecord(tagEnd);
      return;
    }
    if (!this.seenRecord) {
      const tagText = this.buf.slice(nameEnd, tagEnd);
      if (tagText.includes("xmlns")) {
        for (const m of tagText.matchAll(XMLNS_RE)) this.namespaces[m[1] ?? ""] = m[2] ?? m[3] ?? "";
      }
    }
    if (!selfClosing) {
      this.advanceTo(lt);
      this.outer.push({ name: this.buf.slice(lt + 1, nameEnd), line: this.line });
    }
  }

  private onCloseTag(nameStart: number, gt: number): void {
    let nameEnd = gt;
    while (nameEnd > nameStart && isNameEnd(this.buf.charCodeAt(nameEnd - 1))) nameEnd--;
    if (this.inRecord) {
      if (this.matches(nameStart, nameEnd) && --this.recDepth === 0) this.completeRecord(gt + 1);
      return;
    }
    // Outside records only the nesting depth matters (to notice a truncated document).
    this.outer.pop();
  }

  private scan(): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    scan: while (pos < len) {
      switch (this.state) {
        case S_COMMENT:
        case S_CDATA:
        case S_PI: {
          // Skip to the construct's terminator; a partial terminator at the end waits for more text.
          const end = this.state === S_COMMENT ? "-->" : this.state === S_CDATA ? "]]>" : "?>";
          const e = buf.indexOf(end, pos);
          if (e === -1) {
            pos = Math.max(pos, len - (end.length - 1));
            break scan;
          }
          pos = e + end.length;
          this.state = S_TEXT;
          continue;
        }
        case S_DECL: {
          for (; pos < len; pos++) {
            const c = buf.charCodeAt(pos);
            if (this.declComment) {
              if (c === DASH) {
                if (pos + 2 >= len) break scan;
                if (buf.charCodeAt(pos + 1) === DASH && buf.charCodeAt(pos + 2) === GT) {
                  this.declComment = false;
                  pos += 2;
                }
              }
            } else if (this.declQuote !== 0) {
              if (c === this.declQuote) this.declQuote = 0;
            } else if (c === DQUOTE || c === SQUOTE) this.declQuote = c;
            else if (c === LBRACKET) this.declDepth++;
            else if (c === RBRACKET) this.declDepth--;
            else if (c === LT) {
              if (pos + 3 >= len) break scan;
              if (buf.startsWith("!--", pos + 1)) {
                this.declComment = true;
                pos += 3;
              }
            } else if (c === GT && this.declDepth <= 0) {
              pos++;
              this.state = S_TEXT;
              continue scan;
            }
          }
          break scan;
        }
        default: {
          const lt = buf.indexOf("<", pos);
          if (lt === -1) {
            pos = len;
            break scan;
          }
          if (lt + 1 >= len) {
            pos = lt;
            break scan;
          }
          const c1 = buf.charCodeAt(lt + 1);
          if (c1 === SLASH) {
            const gt = buf.indexOf(">", lt + 2);
            if (gt === -1) {
              pos = lt;
              break scan;
            }
            this.onCloseTag(lt + 2, gt);
            pos = gt + 1;
          } else if (c1 === BANG) {
            if (len - lt < 4) {
              pos = lt;
              break scan;
            }
            if (buf.charCodeAt(lt + 2) === DASH && buf.charCodeAt(lt + 3) === DASH) {
              this.enterConstruct(S_COMMENT, lt);
              pos = lt + 4;
            } else if (buf.charCodeAt(lt + 2) === LBRACKET) {
              if (len - lt < 9) {
                pos = lt;
                break scan;
              }
              if (buf.startsWith("[CDATA[", lt + 2)) {
                this.enterConstruct(S_CDATA, lt);
                pos = lt + 9;
              } else {
                this.enterDecl(lt);
                pos = lt + 2;
              }
            } else {
              this.enterDecl(lt);
              pos = lt + 2;
            }
          } else if (c1 === QUESTION) {
            this.enterConstruct(S_PI, lt);
            pos = lt + 2;
          } else if (isNameStart(c1)) {
            let nameEnd = lt + 2;
            while (nameEnd < len && !isNameEnd(buf.charCodeAt(nameEnd))) nameEnd++;
            if (nameEnd >= len) {
              pos = lt;
              break scan;
            }
            if (this.inRecord) {
              if (!this.matches(lt + 1, nameEnd)) {
                // Another element inside the record: only its name matters here. Its attributes
                // cannot hold '<' (not allowed in attribute values), so scanning on for '<' is safe.
                pos = nameEnd;
                continue;
              }
            } else if (this.hints !== undefined && this.matches(lt + 1, nameEnd)) {
              // A record starts: parse it where it lies. If it does not end in this buffer, or
              // anything about it is unusual, it is cut out below and parsed on its own instead.
              const r = parseElementAt(buf, lt, true, this.hints);
              if (typeof r !== "string") {
                this.parsedRecord(lt, r.end, r.fields, r.xmlns);
                pos = r.end;
                continue;
              }
            }
            // Record tag or markup outside records: find the tag's end outside quotes. A quote run
            // never crosses '<' (not allowed in attribute values), so a broken tag cannot swallow
            // the records after it.
            let q = 0;
            let end = -1;
            let broken = false;
            for (let i = nameEnd; i < len; i++) {
              const c = buf.charCodeAt(i);
              if (q !== 0) {
                if (c === q) q = 0;
                else if (c === LT) {
                  broken = true;
                  end = i;
                  break;
                }
                continue;
              }
              if (c === GT) {
                end = i;
                break;
              }
              if (c === DQUOTE || c === SQUOTE) q = c;
              else if (c === LT) {
                broken = true;
                end = i;
                break;
              }
            }
            if (end === -1) {
              pos = lt;
              break scan;
            }
            if (broken) {
              this.onOpenTag(lt, nameEnd, end, false);
              pos = end;
            } else {
              this.onOpenTag(lt, nameEnd, end + 1, buf.charCodeAt(end - 1) === SLASH);
              pos = end + 1;
            }
          } else {
            // A stray '<' (e.g. "a < b" in text): not markup. The record parser will judge it.
            pos = lt + 1;
          }
        }
      }
    }
    this.pos = pos;
  }

  private enterDecl(lt: number): void {
    this.declQuote = 0;
    this.declDepth = 0;
    this.declComment = false;
    this.enterConstruct(S_DECL, lt);
  }

  /** Drop consumed text, enforce the record size cap. */
  private compact(): void {
    if (this.inRecord && !this.oversize && this.buf.length - this.recStart > this.max) {
      this.oversize = true;
      this.recHead = this.buf.slice(this.recStart, this.recStart + OVERSIZE_HEAD);
    }
    const keep = this.inRecord && !this.oversize ? this.recStart : this.pos;
    if (keep > 0) {
      this.advanceTo(keep);
      if (this.inRecord) {
        this.recDiscarded += keep - this.recStart;
        this.recStart = 0;
      }
      this.buf = this.buf.slice(keep);
      this.pos -= keep;
      this.countPos -= keep;
    }
    if (!(this.inRecord && !this.oversize) && this.buf.length > Math.max(this.max, MIN_MARKUP_CAP)) {
      this.advanceTo(0);
      throw new FeedpipeError(
        "FEED_XML_MALFORMED",
        `${this.source}:${this.line}: a tag runs over ${this.buf.length} characters without ending (">" missing); ` +
          `this is not a well-formed XML feed`,
        { context: { source: this.source, line: this.line } },
      );
    }
  }
}

/** Split a stream of decoded text into batches of record strings (one batch per input chunk). */
export async function* splitXml(
  chunks: AsyncIterable<string>,
  options: XmlSplitterOptions,
): AsyncIterable<XmlRecordText[]> {
  const splitter = new XmlSplitter(options);
  for await (const chunk of chunks) {
    const records = splitter.push(chunk);
    if (records.length > 0) yield records;
  }
  splitter.end();
}
