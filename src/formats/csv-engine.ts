/**
 * A push CSV tokenizer: text chunks in, complete rows out, synchronously, with the line each row
 * starts on. Written for speed (the CSV target is 120k products/s end to end; csv-parse alone
 * measured ~55k rows/s on this machine) and checked against csv-parse by property tests.
 *
 * Semantics (RFC 4180, lenient like spreadsheets):
 * - rows end at \n, \r\n or a lone \r (mixed endings are fine);
 * - a field that starts with the quote character is quoted: delimiters and newlines inside are data,
 *   a doubled quote is one quote; text after the closing quote up to the delimiter is appended
 *   (`"abc"def` → `abcdef`, as spreadsheets read it) and, unless it is only spaces, marks the row
 *   (`badQuote`): `"Ba"r` is a stray quote whose meaning is a guess (strict csv-parse refuses it,
 *   its relax_quotes reads `"Ba"r`), so the reader rejects the row instead of passing `Bar` on;
 * - a quote inside an unquoted field is data (`5" screen`);
 * - a row that holds nothing (an empty line) is reported as blank;
 * - at the end of input, an open quoted field is an error row naming the line where it opened.
 *
 * Bounded work on hostile rows: a row cut by a chunk end keeps its finished cells, and only its
 * unfinished field is carried into the next chunk (scanned on from where the search stopped), so a
 * row of millions of empty fields costs linear time. A row that grows past `skipRowsOver`
 * characters is not kept at all: the rest of it is skimmed (quotes tracked, text dropped) and it
 * comes out as `{cells: [], tooLarge: size}`, so a 60 MB line costs no more memory than a chunk.
 * Only a quoted field running past `maxRowChars` (an unclosed quote, most likely) is an error.
 */

export interface CsvRow {
  cells: string[];
  /** 1-based line where the row starts. */
  line: number;
  /** True for an empty line. */
  blank: boolean;
  /** Characters the row took in the input (for size caps and raw excerpts). */
  length: number;
  /** Set for a row over `skipRowsOver`: its size (cells + delimiters); `cells` is then empty. */
  tooLarge?: number | undefined;
  /**
   * Set when a quoted field has text after its closing quote (`"Ba"r`): the first such field's
   * 1-based position and its text as written. Its cell holds the spreadsheet reading (`Bar`).
   */
  badQuote?: BadQuote | undefined;
}

export interface BadQuote {
  column: number;
  text: string;
}

export interface CsvEngineOptions {
  delimiter: string;
  quote?: string | undefined;
  /**
   * A row still inside a quoted field past this many characters is an error (an unclosed quote,
   * usually). Without `skipRowsOver`, any pending row past it is.
   */
  maxRowChars?: number | undefined;
  /** A row over this many characters is skimmed without keeping its text (see `tooLarge`). */
  skipRowsOver?: number | undefined;
}

/** Where the skim of an over-long row stands (see CsvEngine.skim). */
interface Skim {
  line: number;
  /** Characters of cells and delimiters so far. */
  size: number;
  inQuote: boolean;
  quoteLine: number;
  atFieldStart: boolean;
  /** The chunk ended on a quote inside a quoted field: closing, or the first of a doubled pair. */
  quoteAtEnd: boolean;
  /** The last character skimmed inside quotes was CR (a CRLF split by the chunk end is one line). */
  prevCR: boolean;
  /** Only blank text so far (a row of delimiters and spaces is a blank row, as when kept). */
  blank: boolean;
}

export class CsvRowTooLargeError extends Error {
  constructor(
    readonly line: number,
    readonly chars: number,
  ) {
    super(`row starting at line ${line} is over ${chars} characters (an unclosed quote?)`);
  }
}

export class CsvUnclosedQuoteError extends Error {
  constructor(readonly line: number) {
    super(`a quoted field opened at line ${line} is never closed`);
  }
}

const LF = 10;
const CR = 13;

export class CsvEngine {
  private readonly delim: number;
  private readonly quote: number;
  private readonly quoteStr: string;
  private readonly quotePair: string;
  private readonly delimStr: string;
  private readonly maxRowChars: number;
  private readonly skipRowsOver: number;
  /** The unfinished field of the row cut by the last chunk end (or "" between rows). */
  private carry = "";
  /** Line number where `carry` starts. */
  private line = 1;
  /** The finished cells of the row cut by the last chunk end (undefined between rows). */
  private pendingCells: string[] | undefined;
  /** That row's first field with text after its closing quote, if any. */
  private pendingBad: BadQuote | undefined;
  /** That row's start line, and its characters before `carry`. */
  private pendingLine = 1;
  private pendingChars = 0;
  /** Characters of the pending row's finished cells (with their delimiters), for the first `sizedCells`. */
  private pendingSize = 0;
  private sizedCells = 0;
  /** Leading characters of `carry` known to hold no delimiter or line break (an unquoted field). */
  private clean = 0;
  /** The row being skimmed (over skipRowsOver), if any. */
  private skip: Skim | undefined;
  /** A skimmed row ended on CR at a chunk end: an LF starting the next chunk belongs to it. */
  private skipLF = false;

  constructor(options: CsvEngineOptions) {
    if (options.delimiter.length !== 1) throw new Error("delimiter must be one character");
    this.delim = options.delimiter.charCodeAt(0);
    this.delimStr = options.delimiter;
    this.quoteStr = options.quote ?? '"';
    this.quotePair = this.quoteStr + this.quoteStr;
    this.quote = this.quoteStr.charCodeAt(0);
    this.maxRowChars = options.maxRowChars ?? Number.POSITIVE_INFINITY;
    this.skipRowsOver = options.skipRowsOver ?? Number.POSITIVE_INFINITY;
  }

  /** Feed a chunk; complete rows are appended to `out`. Call `end(out)` after the last chunk. */
  push(chunk: string, out: CsvRow[]): void {
    let rest = chunk;
    if (this.skipLF && rest.length > 0) {
      this.skipLF = false;
      if (rest.charCodeAt(0) === LF) rest = rest.slice(1);
    }
    if (this.skip) {
      const used = this.skim(rest, false, out);
      if (this.skip || used >= rest.length) return;
      rest = rest.slice(used);
    }
    const text = this.carry.length > 0 ? this.carry + rest : rest;
    const consumed = this.scan(text, false, out);
    const left = consumed < text.length ? text.slice(consumed) : "";
    this.carry = "";
    if (this.pendingCells === undefined) return;
    const cells = this.pendingCells;
    // Cells and delimiters so far (summed once per cell), plus what the unfinished field holds.
    for (let k = this.sizedCells; k < cells.length; k++) this.pendingSize += cells[k]!.length + 1;
    this.sizedCells = cells.length;
    const size = this.pendingSize;
    if (size + fieldContent(left, this.quoteStr) > this.skipRowsOver) {
      // Too large to keep: drop what was kept and skim the rest of the row.
      this.pendingCells = undefined;
      this.skip = {
        line: this.pendingLine,
        size,
        inQuote: false,
        quoteLine: this.line,
        atFieldStart: true,
        quoteAtEnd: false,
        prevCR: false,
        blank: isBlank(cells),
      };
      this.clean = 0;
      if (left.length > 0) this.push(left, out);
      return;
    }
    if (this.pendingChars + left.length > this.maxRowChars) {
      throw new CsvRowTooLargeError(this.pendingLine, this.maxRowChars);
    }
    this.carry = left;
    // An unquoted unfinished field holds no delimiter or line break: the next scan starts after it.
    // (A trailing CR may still be the first half of a CRLF: it is searched again.)
    this.clean =
      left.charCodeAt(0) === this.quote ? 0 : left.length - (left.charCodeAt(left.length - 1) === CR ? 1 : 0);
  }

  end(out: CsvRow[]): void {
    if (this.skip) {
      this.skim("", true, out);
      return;
    }
    const text = this.carry;
    this.carry = "";
    if (text.length > 0 || this.pendingCells !== undefined) this.scan(text, true, out);
  }

  /**
   * Skim an over-long row: find its end without keeping its text, counting its size and lines.
   * Returns the characters consumed; `this.skip` is cleared once the row is out.
   */
  private skim(s: string, final: boolean, out: CsvRow[]): number {
    const st = this.skip!;
    const len = s.length;
    const quote = this.quote;
    let i = 0;
    if (st.quoteAtEnd && (len > 0 || final)) {
      st.quoteAtEnd = false;
      if (len > 0 && s.charCodeAt(0) === quote) {
        st.size++; // a doubled quote: one quote of data, still inside the field
        st.blank = false;
        i = 1;
      } else {
        st.inQuote = false;
        st.atFieldStart = false;
      }
    }
    let nd = -1;
    let nlf = -1;
    let ncr = -1;
    while (i < len) {
      if (st.inQuote) {
        const q = s.indexOf(this.quoteStr, i);
        const stop = q < 0 ? len : q;
        for (let k = i; k < stop; k++) {
          const c = s.charCodeAt(k);
          if (c === CR || (c === LF && !st.prevCR)) this.line++;
          st.prevCR = c === CR;
          if (st.blank && c > 32) st.blank = false;
        }
        st.size += stop - i;
        if (st.size > this.maxRowChars) throw new CsvRowTooLargeError(st.line, this.maxRowChars);
        if (q < 0) return len;
        st.prevCR = false;
        if (q + 1 >= len) {
          st.quoteAtEnd = true;
          return len;
        }
        if (s.charCodeAt(q + 1) === quote) {
          st.size++;
          st.blank = false;
          i = q + 2;
        } else {
          st.inQuote = false;
          st.atFieldStart = false;
          i = q + 1;
        }
        continue;
      }
      if (st.atFieldStart && s.charCodeAt(i) === quote) {
        st.inQuote = true;
        st.quoteLine = this.line;
        i++;
        continue;
      }
      st.atFieldStart = false;
      if (nd < i) nd = indexOr(s, this.delimStr, i, len);
      if (nlf < i) nlf = indexOr(s, "\n", i, len);
      if (ncr < i) ncr = indexOr(s, "\r", i, len);
      const nl = nlf < ncr ? nlf : ncr;
      const next = nd < nl ? nd : nl;
      if (st.blank && next > i && s.slice(i, next).trim() !== "") st.blank = false;
      st.size += next - i;
      if (next >= len) return len;
      if (next === nd) {
        st.size++;
        st.atFieldStart = true;
        i = next + 1;
        continue;
      }
      i = next + 1;
      if (next === ncr) {
        if (i < len) {
          if (s.charCodeAt(i) === LF) i++;
        } else this.skipLF = true;
      }
      this.emitSkimmed(st, out);
      this.line++;
      return i;
    }
    if (final) {
      if (st.inQuote) throw new CsvUnclosedQuoteError(st.quoteLine);
      this.emitSkimmed(st, out);
    }
    return len;
  }

  private emitSkimmed(st: Skim, out: CsvRow[]): void {
    this.skip = undefined;
    // A row of delimiters and blanks is a blank row, whatever its size (as when it is kept).
    if (st.blank) out.push({ cells: [""], line: st.line, blank: true, length: st.size });
    else out.push({ cells: [], line: st.line, blank: false, length: st.size, tooLarge: st.size });
  }

  /**
   * Scan complete rows; returns how many characters were consumed. Field and row ends are found
   * with indexOf (the positions of the next delimiter, LF and CR are cached and only searched
   * again once passed), so the per-character work happens in V8's string search, not in a loop.
   */
  private scan(s: string, final: boolean, out: CsvRow[]): number {
    const len = s.length;
    const delim = this.delim;
    const quote = this.quote;
    const delimStr = this.delimStr;
    const quoteStr = this.quoteStr;
    const pair = this.quotePair;
    // Next delimiter / LF / CR at or after the current position (len: none); -1: not searched yet.
    let nd = -1;
    let nlf = -1;
    let ncr = s.indexOf("\r") === -1 ? len : -1;
    if (this.clean > 0) {
      // The carried field's first `clean` characters hold no delimiter or line break.
      nd = indexOr(s, delimStr, this.clean, len);
      nlf = indexOr(s, "\n", this.clean, len);
      ncr = indexOr(s, "\r", this.clean, len);
      this.clean = 0;
    }
    let pos = 0; // start of the current row
    let line = this.line;
    // The row cut by the last chunk end goes on with its finished cells.
    let pending = this.pendingCells;
    this.pendingCells = undefined;
    while (pos < len || pending !== undefined) {
      const rowStart = pos;
      const rowLine = pending ? this.pendingLine : line;
      const before = pending ? this.pendingChars : 0;
      const cells: string[] = pending ?? [];
      const continued = pending !== undefined;
      let bad = continued ? this.pendingBad : undefined;
      pending = undefined;
      let i = pos;
      let fieldStart = i;
      let fieldLine = line;
      let complete = false;
      // Parse fields until the row ends or the text runs out.
      for (;;) {
        fieldStart = i;
        fieldLine = line;
        if (i >= len) {
          if (!final) break;
          // End of input terminates the row (no trailing newline).
          cells.push("");
          complete = true;
          break;
        }
        if (s.charCodeAt(i) === quote) {
          // Quoted field: up to a quote that is not doubled.
          let j = i + 1;
          let doubled = false;
          let close = -1;
          for (;;) {
            const q = s.indexOf(quoteStr, j);
            if (q < 0) break;
            if (q + 1 < len && s.charCodeAt(q + 1) === quote) {
              doubled = true;
              j = q + 2;
              continue;
            }
            if (q + 1 >= len && !final) break; // the next chunk may start with a quote
            close = q;
            break;
          }
          if (close < 0) {
            if (final) throw new CsvUnclosedQuoteError(fieldLine);
            break;
          }
          let value = s.slice(i + 1, close);
          if (doubled) value = value.replaceAll(pair, quoteStr);
          j = close + 1;
          // Count newlines inside the quoted value for line tracking.
          if (nlf < i) nlf = indexOr(s, "\n", i, len);
          if (ncr < i) ncr = indexOr(s, "\r", i, len);
          if (nlf < j || ncr < j) line += countNewlines(s, i, j);
          i = j;
          // Text after the closing quote up to the delimiter/newline is kept.
          let k = i;
          while (k < len) {
            const d = s.charCodeAt(k);
            if (d === delim || d === LF || d === CR) break;
            k++;
          }
          if (k >= len && !final) break;
          if (k > i) {
            const after = s.slice(i, k);
            value += after;
            // Spaces before the delimiter change nothing once trimmed; anything else is a stray quote.
            if (bad === undefined && after.trim() !== "") {
              bad = { column: cells.length + 1, text: s.slice(fieldStart, k) };
            }
          }
          cells.push(value);
          i = k;
          if (i >= len) {
            complete = true;
            break;
          }
          const c = s.charCodeAt(i);
          if (c === delim) {
            i++;
            continue;
          }
          // newline
          if (c === CR) {
            if (i + 1 >= len && !final) {
              cells.pop(); // CR or CRLF? The field is read again with the next chunk.
              break;
            }
            i += s.charCodeAt(i + 1) === LF ? 2 : 1;
          } else i++;
          line++;
          complete = true;
          break;
        }
        // Unquoted field: up to the delimiter or the end of the line.
        if (nd < i) nd = indexOr(s, delimStr, i, len);
        if (nlf < i) nlf = indexOr(s, "\n", i, len);
        if (ncr < i) ncr = indexOr(s, "\r", i, len);
        const nl = nlf < ncr ? nlf : ncr;
        if (nd < nl) {
          cells.push(s.slice(i, nd));
          i = nd + 1;
          continue;
        }
        if (nl >= len) {
          if (!final) break;
          cells.push(s.slice(i, len));
          i = len;
          complete = true;
          break;
        }
        cells.push(s.slice(i, nl));
        if (nl === ncr) {
          if (nl + 1 >= len && !final) {
            cells.pop(); // CR or CRLF? The field is read again with the next chunk.
            break;
          }
          i = nl + (s.charCodeAt(nl + 1) === LF ? 2 : 1);
        } else i = nl + 1;
        line++;
        complete = true;
        break;
      }
      if (!complete) {
        // Incomplete row: its finished cells wait for the next chunk; its unfinished field is
        // carried (lines counted inside that field are counted again then).
        if (!continued) {
          this.pendingSize = 0;
          this.sizedCells = 0;
        }
        this.pendingCells = cells;
        this.pendingBad = bad;
        this.pendingLine = rowLine;
        this.pendingChars = before + (fieldStart - rowStart);
        this.line = fieldLine;
        return fieldStart;
      }
      const blank = cells.length === 1 && cells[0] === "" && before === 0 && s.charCodeAt(rowStart) !== quote;
      const row: CsvRow = { cells, line: rowLine, blank, length: before + i - rowStart };
      if (bad !== undefined) row.badQuote = bad;
      out.push(row);
      pos = i;
    }
    this.line = line;
    return pos;
  }
}

/**
 * Content characters an unfinished field already holds (quotes not counted, a doubled quote once,
 * a trailing CR that may start a CRLF not counted): a lower bound of what it will hold.
 */
function fieldContent(field: string, quote: string): number {
  const len = field.length;
  const cr = field.charCodeAt(len - 1) === CR ? 1 : 0;
  if (len === 0 || field[0] !== quote) return len - cr;
  let n = 0;
  let i = 1;
  for (;;) {
    const q = indexOr(field, quote, i, len);
    n += q - i;
    if (q + 1 >= len) return n;
    if (field[q + 1] === quote) {
      n++;
      i = q + 2;
      continue;
    }
    return n + (len - (q + 1)) - cr; // closed: text after the closing quote
  }
}

function isBlank(cells: readonly string[]): boolean {
  for (const c of cells) if (c.trim() !== "") return false;
  return true;
}

/** `s.indexOf(what, from)`, or `len` when not found. */
function indexOr(s: string, what: string, from: number, len: number): number {
  const i = s.indexOf(what, from);
  return i < 0 ? len : i;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}
