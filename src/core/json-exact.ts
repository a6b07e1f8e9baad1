/**
 * JSON.parse that keeps long integers exact. A double holds every integer up to 2^53
 * (9,007,199,254,740,992, 16 digits); JSON.parse turns a longer one into the nearest double, so
 * the SKUs 1234567890123456789 and 1234567890123456788 both became "1234567890123456800" (a false
 * DUPLICATE_SKU, and a product id at the network that no longer names the product). An integer
 * token that no double prints back as written is kept as its text (a string value) instead;
 * everything else is JSON.parse's own work and result.
 *
 * Cost: one regular-expression test of the text when no run of 16 digits occurs anywhere in it
 * (the usual case); otherwise one pass over the text that rewrites those tokens before JSON.parse.
 */

/** 16 digits in a row somewhere: the only texts that may hold such an integer. */
const LONG_RUN = /\d{16}/;

/** Digits a double holds exactly whatever they are (a 16-digit integer may exceed 2^53). */
export const EXACT_DIGITS = 15;

/** JSON.parse(text), with integers a double would change kept as strings. Throws as JSON.parse does. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_RUN.test(text)) return JSON.parse(text);
  const quoted = quoteLongIntegers(text);
  if (quoted === text) return JSON.parse(text);
  try {
    return JSON.parse(quoted);
  } catch {
    // The error (and its position) of the text as given.
    return JSON.parse(text);
  }
}

/**
 * `text` with every integer token (outside strings) a double would change in quotes. Numbers with
 * a fraction or an exponent are left as they are (they are not identifiers). Malformed text comes
 * back in some form; JSON.parse of the original names its error.
 */
export function quoteLongIntegers(text: string): string {
  let out = "";
  let from = 0;
  const n = text.length;
  // Where a value may stand: after `[`, `:`, or `,` in an array, or at the start. A number in a key's
  // place (`{12345678901234567890: 1}`) or after other text stays as it is, so JSON.parse still
  // rejects it.
  const open: number[] = [];
  let prev = -1;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
      continue;
    }
    if (c === 34) {
      // Skip a string, escapes included.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      prev = 34;
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      if (c === 45) i++;
      const digits = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const intDigits = i - digits;
      let plain = true;
      const e = text.charCodeAt(i);
      if (e === 46 || e === 101 || e === 69) {
        plain = false;
        i++;
        while (i < n && isNumberPart(text.charCodeAt(i))) i++;
      }
      const valuePlace = prev === -1 || prev === 58 || prev === 91 || (prev === 44 && open.at(-1) === 91);
      if (
        plain &&
        valuePlace &&
        intDigits > EXACT_DIGITS &&
        text.charCodeAt(digits) !== 48 && // a leading zero is not JSON
        isLossy(text.slice(start, i))
      ) {
        out += text.slice(from, start) + '"' + text.slice(start, i) + '"';
        from = i;
      }
      prev = 48;
      continue;
    }
    if (c === 91 || c === 123) open.push(c);
    else if (c === 93 || c === 125) open.pop();
    prev = c;
    i++;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Does the double nearest the integer `token` print as other digits? 9007199254740993 does (it
 * becomes ...992), 1000000000000000000 and 3792018395786183 do not (they stay numbers, exactly as
 * JSON.parse gives them).
 */
export function isLossy(token: string): boolean {
  return String(Number(token)) !== token;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isNumberPart(c: number): boolean {
  return isDigit(c) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69;
}
