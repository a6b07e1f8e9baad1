/**
 * Value normalisation for product fields: text, HTML, availability, prices, GTINs, currencies.
 *
 * Every function here is on the validator's hot path, so each starts with a cheap test for the
 * common already-clean case and only then does the real work. Regexes are compiled once.
 */
import { plainSpaced } from "./plain-text.js";
import type { Availability } from "./product.js";

export { isCurrencyCode } from "./currencies.js";
export { isPlainText } from "./plain-text.js";

// ---------------------------------------------------------------------------------------------
// Text

/** Whitespace other than a single ASCII space, or two spaces in a row. */
const NEEDS_COLLAPSE = /[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;
const WHITESPACE_RUN = /[\s\u0085]+/g;

/** Trim and collapse every whitespace run (newlines, tabs, no-break spaces) to one space. */
export function normalizeText(text: string): string {
  const t = text.trim();
  if (plainSpaced(t)) return t;
  return NEEDS_COLLAPSE.test(t) ? t.replace(WHITESPACE_RUN, " ").trim() : t;
}

const NEEDS_TIDY = /[\t\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}|\n/;
const INLINE_SPACE_RUN = /[^\S\n]+/g;
const SPACE_AROUND_NEWLINE = / ?\n ?/g;
const MANY_NEWLINES = /\n{3,}/g;

/**
 * Multi-line text (descriptions): like {@link normalizeText} but keeps line breaks; spaces inside
 * a line collapse, lines are trimmed, and at most one blank line is kept between paragraphs.
 */
export function normalizeMultiline(text: string): string {
  const t = text.trim();
  if (plainSpaced(t) || !NEEDS_TIDY.test(t)) return t;
  return t
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, "\n")
    .replace(INLINE_SPACE_RUN, " ")
    .replace(SPACE_AROUND_NEWLINE, "\n")
    .replace(MANY_NEWLINES, "\n\n")
    .trim();
}

// ---------------------------------------------------------------------------------------------
// HTML entities and tags

/** HTML 4 Latin-1 entity names for U+00A0..U+00FF, in code point order. */
const LATIN1_NAMES =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml".split(
    " ",
  );

const NAMED_ENTITIES: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  LATIN1_NAMES.forEach((name, i) => {
    m.set(name, String.fromCharCode(0xa0 + i));
  });
  const more: Record<string, number> = {
    amp: 0x26,
    AMP: 0x26,
    lt: 0x3c,
    LT: 0x3c,
    gt: 0x3e,
    GT: 0x3e,
    quot: 0x22,
    QUOT: 0x22,
    apos: 0x27,
    COPY: 0xa9,
    REG: 0xae,
    OElig: 0x152,
    oelig: 0x153,
    Scaron: 0x160,
    scaron: 0x161,
    Yuml: 0x178,
    fnof: 0x192,
    circ: 0x2c6,
    tilde: 0x2dc,
    ensp: 0x2002,
    emsp: 0x2003,
    thinsp: 0x2009,
    zwnj: 0x200c,
    zwj: 0x200d,
    lrm: 0x200e,
    rlm: 0x200f,
    ndash: 0x2013,
    mdash: 0x2014,
    lsquo: 0x2018,
    rsquo: 0x2019,
    sbquo: 0x201a,
    ldquo: 0x201c,
    rdquo: 0x201d,
    bdquo: 0x201e,
    dagger: 0x2020,
    Dagger: 0x2021,
    bull: 0x2022,
    hellip: 0x2026,
    permil: 0x2030,
    prime: 0x2032,
    Prime: 0x2033,
    lsaquo: 0x2039,
    rsaquo: 0x203a,
    oline: 0x203e,
    frasl: 0x2044,
    euro: 0x20ac,
    trade: 0x2122,
    TRADE: 0x2122,
    larr: 0x2190,
    uarr: 0x2191,
    rarr: 0x2192,
    darr: 0x2193,
    harr: 0x2194,
    minus: 0x2212,
    infin: 0x221e,
    asymp: 0x2248,
    ne: 0x2260,
    le: 0x2264,
    ge: 0x2265,
    loz: 0x25ca,
    spades: 0x2660,
    clubs: 0x2663,
    hearts: 0x2665,
    diams: 0x2666,
    check: 0x2713,
    star: 0x2606,
    starf: 0x2605,
    Omega: 0x3a9,
    alpha: 0x3b1,
    beta: 0x3b2,
    gamma: 0x3b3,
    delta: 0x3b4,
    mu: 0x3bc,
    pi: 0x3c0,
    Oslash: 0xd8,
  };
  for (const [name, cp] of Object.entries(more)) m.set(name, String.fromCodePoint(cp));
  return m;
})();

/** HTML maps numeric references 0x80-0x9F to Windows-1252 characters (`&#146;` is ’). */
const CP1252: readonly number[] = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));/g;

function fromCodePoint(cp: number): string {
  if (cp >= 0x80 && cp <= 0x9f) return String.fromCodePoint(CP1252[cp - 0x80] ?? cp);
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(cp);
}

function replaceEntity(
  match: string,
  dec: string | undefined,
  hex: string | undefined,
  name: string | undefined,
): string {
  if (dec !== undefined) return fromCodePoint(Number.parseInt(dec, 10));
  if (hex !== undefined) return fromCodePoint(Number.parseInt(hex, 16));
  return (name !== undefined && NAMED_ENTITIES.get(name)) || match;
}

/**
 * Decode HTML character references: the common named ones (`&amp;`, `&nbsp;`, `&eacute;`,
 * `&euro;`, `&rsquo;`, all of Latin-1, ...) and numeric ones (`&#233;`, `&#x27;`). Unknown names and
 * references without the closing `;` are left as they are. One pass: `&amp;lt;` becomes `&lt;`.
 */
export function decodeEntities(text: string): string {
  if (text.indexOf("&") === -1) return text;
  return text.replace(ENTITY, replaceEntity);
}

const HTML_DROP =
  /<!--[\s\S]*?(?:-->|$)|<(script|style|noscript|template)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)|<!\[CDATA\[|\]\]>/gi;
// Tag bodies are matched with [^<>]* (not [^>]*) so an unclosed `<a` costs one scan to the next
// `<`, never a scan to the end of the text per `<`: the cost stays linear on hostile input.
const HTML_PARAGRAPH =
  /<\/?(?:p|h[1-6]|ul|ol|dl|table|blockquote|pre|section|article|header|footer|figure|hr)\b[^<>]*>/gi;
const HTML_BR = /<br\b[^<>]*>/gi;
/** A run of line-level tags (`</li> <li>`) is one line break. */
const HTML_LINE =
  /<\/?(?:div|li|tr|dt|dd|address|caption)\b[^<>]*>(?: ?<\/?(?:div|li|tr|dt|dd|address|caption)\b[^<>]*>)*/gi;
const HTML_CELL = /<\/(?:td|th)\s*>/gi;
const HTML_TAG = /<\/?[a-zA-Z][^<>]*>|<![^<>]*>|<\?[^<>]*>/g;
const HTML_WHITESPACE = /\s+/g;

/** True when the text looks like it contains HTML tags. */
export const HTML_TAG_TEST = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?\/?>/;

/** True when the text has a tag, a comment or a CDATA section. */
export function looksLikeHtml(text: string): boolean {
  return text.indexOf("<") !== -1 && (HTML_TAG_TEST.test(text) || text.indexOf("<!") !== -1);
}

/**
 * Turn an HTML fragment into plain text: scripts, styles and comments go; whitespace in the source
 * (newlines included) collapses as a browser does; paragraphs and headings become blank-line
 * breaks; `<br>`, `<div>`, `<li>` and table rows become line breaks; table cells a space; all other
 * tags are removed, keeping their text. Entities are then decoded and the lines tidied (see
 * {@link normalizeMultiline}). Text without tags is treated as plain text (its line breaks stay).
 */
export function stripHtml(html: string): string {
  if (!looksLikeHtml(html)) return normalizeMultiline(decodeEntities(html));
  const text = html
    .replace(HTML_DROP, "")
    .replace(HTML_WHITESPACE, " ")
    .replace(HTML_LINE, "\n")
    .replace(HTML_BR, "\n")
    .replace(HTML_PARAGRAPH, "\n\n")
    .replace(HTML_CELL, " ")
    .replace(HTML_TAG, "");
  return normalizeMultiline(decodeEntities(text));
}

// ---------------------------------------------------------------------------------------------
// Availability

const AVAILABILITY: ReadonlyMap<string, Availability> = new Map<string, Availability>([
  ["instock", "in_stock"],
  ["yes", "in_stock"],
  ["y", "in_stock"],
  ["true", "in_stock"],
  ["available", "in_stock"],
  ["availablefororder", "in_stock"],
  ["limitedavailability", "in_stock"],
  ["onlineonly", "in_stock"],
  ["instoreonly", "in_stock"],
  ["outofstock", "out_of_stock"],
  ["no", "out_of_stock"],
  ["n", "out_of_stock"],
  ["false", "out_of_stock"],
  ["soldout", "out_of_stock"],
  ["unavailable", "out_of_stock"],
  ["notavailable", "out_of_stock"],
  ["discontinued", "out_of_stock"],
  ["preorder", "preorder"],
  ["presale", "preorder"],
  ["backorder", "backorder"],
  ["backordered", "backorder"],
]);
const DIRECT_AVAILABILITY: ReadonlyMap<string, Availability> = new Map<string, Availability>([
  ["in_stock", "in_stock"],
  ["out_of_stock", "out_of_stock"],
  ["preorder", "preorder"],
  ["backorder", "backorder"],
  ["in stock", "in_stock"],
  ["out of stock", "out_of_stock"],
]);
const SCHEMA_ORG_PREFIX = /^(?:https?:\/\/)?(?:www\.)?schema\.org\//;
const AVAILABILITY_SEPARATORS = /[\s_-]+/g;
const STOCK_COUNT = /^\+?\d{1,9}$/;

/**
 * Normalise a stock status to `in_stock`, `out_of_stock`, `preorder` or `backorder`; undefined when
 * the value is not recognised. Case, spaces, `_` and `-` do not matter; schema.org URLs
 * (`http://schema.org/InStock`) are understood; yes/no, true/false and a stock count
 * (`"0"` out of stock, `"1"`, `"25"` in stock) are too.
 */
export function normalizeAvailability(value: string): Availability | undefined {
  const direct = DIRECT_AVAILABILITY.get(value);
  if (direct !== undefined) return direct;
  let key = value.trim().toLowerCase();
  if (STOCK_COUNT.test(key)) return Number(key) > 0 ? "in_stock" : "out_of_stock";
  if (key.indexOf("schema.org") !== -1) key = key.replace(SCHEMA_ORG_PREFIX, "");
  return AVAILABILITY.get(key.replace(AVAILABILITY_SEPARATORS, ""));
}

// ---------------------------------------------------------------------------------------------
// Prices

export interface PriceParseOptions {
  /** `1.234,56` and `12,50`: comma is the decimal separator, `.`, space or `'` group thousands. */
  decimalComma?: boolean | undefined;
  /** The text may carry an ISO 4217 code before or after the amount: `15.00 USD`, `USD 15.00`. */
  withCurrency?: boolean | undefined;
}

export type PriceParse =
  | {
      ok: true;
      amount: number;
      /** Upper-cased code found in the text (withCurrency only). */
      currency: string | undefined;
      /** The currency sign written with the amount (`$`, `US$`, `€`, `S/`), as written. */
      sign: string | undefined;
    }
  | { ok: false /** why, for a message: "not a number", ... */; reason: string };

/**
 * Where a plain amount at the start of `text` ends: digits, optionally `sep` (`.` 46 or `,` 44) and
 * more digits (what `^\d+(?:[.,]\d+)?` matches); 0 when the text does not start with one.
 */
function plainAmountEnd(text: string, sep: number): number {
  const n = text.length;
  let i = 0;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i === 0 || i === n || text.charCodeAt(i) !== sep) return i;
  let j = i + 1;
  while (j < n && isDigit(text.charCodeAt(j))) j++;
  // A separator with no digit after it is not part of the amount.
  return j === i + 1 ? i : j;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Thousands grouped by `,` (or a space or `'`), decimal point. */
const GROUPED_DOT = /^(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f']\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$/;
/** Thousands grouped by `.` (or a space or `'`), decimal comma. */
const GROUPED_COMMA = /^(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ \u00a0\u202f']\d{3})+|\d+)(?:,\d+)?$|^,\d+$/;
const CODE_BEFORE = /^([A-Za-z]{3})(?![A-Za-z])\s*(.*)$/;
const CODE_AFTER = /^(.*?)\s*(?<![A-Za-z])([A-Za-z]{3})$/;
/** Currency symbols, optionally with a short letter prefix (`US$`, `CA$`, `R$`, `S/`). */
const SYMBOL_BEFORE = /^(?:[A-Za-z]{1,3})?[$€£¥₹₩₽₺₪₫฿₴₦₱₲₵₡₭₮₸₼₾¢]\s*|^S\/\s*/;
const SYMBOL_AFTER = /\s*[$€£¥₹₩₽₺₪₫฿₴₦₱₲₵₡₭₮₸₼₾¢]$/;
const LOOKS_DECIMAL_COMMA = /^\d{1,3}(?:\.\d{3})*,\d+$|^\d+,\d{1,2}$/;
const LOOKS_DECIMAL_DOT = /^\d{1,3}(?:,\d{3})*\.\d+$|^\d+\.\d{1,2}$/;

/** Longer price text is refused before any regex runs on it (keeps parsing linear). */
const MAX_PRICE_TEXT = 64;

const NOT_A_NUMBER: PriceParse = { ok: false, reason: "not a number" };
/** Digits a double cannot hold (`1e400` from JSON is Infinity, 400 nines in text too). */
const OUT_OF_RANGE: PriceParse = { ok: false, reason: "out of range (too large for a number)" };

/** NaN is not a number; ±Infinity is a number written too large. */
function notFinite(amount: number): PriceParse {
  return Number.isNaN(amount) ? NOT_A_NUMBER : OUT_OF_RANGE;
}

/**
 * Parse a price: a number as it is; text like `1234.56`, `1,234.56`, `$12.50`, `12.50 €`,
 * `-3.00` (negative numbers parse; the validator rejects them), with `decimalComma` `1.234,56` and
 * `12,50`, with `withCurrency` `15.00 USD` / `USD 15.00` (the code is returned upper-cased; it is
 * not checked against ISO 4217 here). A currency sign (`$`, `US$`, `€`) is returned as written in
 * `sign`, never turned into a code here: which codes it may stand for is the validator's question
 * (`signCurrencies`).
 * Ambiguous text is refused, not guessed: `12,50` without `decimalComma` is not 1250.
 */
export function parsePrice(value: string | number, options: PriceParseOptions = {}): PriceParse {
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? { ok: true, amount: value, currency: undefined, sign: undefined }
      : notFinite(value);
  }
  const decimalComma = options.decimalComma === true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  let text = first > 32 && first < 127 && last > 32 && last < 127 ? value : value.trim();
  // Fast paths, without a regex: the common clean shapes `123.45` and (withCurrency) `123.45 USD`.
  const end = plainAmountEnd(text, decimalComma ? 44 : 46);
  if (end > 0 && end === text.length) {
    const amount = Number(decimalComma ? text.replace(",", ".") : text);
    return Number.isFinite(amount)
      ? { ok: true, amount, currency: undefined, sign: undefined }
      : notFinite(amount);
  }
  if (
    end > 0 &&
    end + 4 === text.length &&
    options.withCurrency === true &&
    text.length <= MAX_PRICE_TEXT &&
    text.charCodeAt(end) === 32 &&
    isAsciiLetter(text.charCodeAt(end + 1)) &&
    isAsciiLetter(text.charCodeAt(end + 2)) &&
    isAsciiLetter(text.charCodeAt(end + 3))
  ) {
    const number = text.slice(0, end);
    const amount = Number(decimalComma ? number.replace(",", ".") : number);
    if (!Number.isFinite(amount)) return notFinite(amount);
    return { ok: true, amount, currency: normalizeCurrency(text.slice(end + 1)), sign: undefined };
  }
  if (text === "") return { ok: false, reason: "empty" };
  if (text.length > MAX_PRICE_TEXT) return { ok: false, reason: "too long to be a price" };
  let currency: string | undefined;
  if (options.withCurrency === true) {
    const after = CODE_AFTER.exec(text);
    const before = after === null ? CODE_BEFORE.exec(text) : null;
    if (after !== null) {
      currency = (after[2] as string).toUpperCase();
      text = after[1] as string;
    } else if (before !== null) {
      currency = (before[1] as string).toUpperCase();
      text = before[2] as string;
    }
  }
  let negative = false;
  if (text.startsWith("-")) {
    negative = true;
    text = text.slice(1).trimStart();
  }
  // The sign is kept for the validator: `€10.00` in a USD record is a mismatch, not 10 USD.
  let sign: string | undefined;
  const signBefore = SYMBOL_BEFORE.exec(text);
  if (signBefore !== null) {
    sign = signBefore[0].trimEnd();
    text = text.slice(signBefore[0].length);
  }
  const signAfter = SYMBOL_AFTER.exec(text);
  if (signAfter !== null) {
    sign ??= signAfter[0].trimStart();
    text = text.slice(0, signAfter.index);
  }
  if (!negative && text.startsWith("-")) {
    negative = true;
    text = text.slice(1);
  }
  if (text === "") return NOT_A_NUMBER;
  let amount: number;
  if (decimalComma) {
    if (!GROUPED_COMMA.test(text)) {
      return LOOKS_DECIMAL_DOT.test(text) && !LOOKS_DECIMAL_COMMA.test(text)
        ? { ok: false, reason: "uses a decimal point but the decimal-comma option is on" }
        : withCurrencyHint(text, options);
    }
    amount = Number(text.replace(/[. \u00a0\u202f']/g, "").replace(",", "."));
  } else {
    if (!GROUPED_DOT.test(text)) {
      return LOOKS_DECIMAL_COMMA.test(text)
        ? { ok: false, reason: "looks like it uses a decimal comma; turn on the decimal-comma option" }
        : withCurrencyHint(text, options);
    }
    amount = Number(text.replace(/[, \u00a0\u202f']/g, ""));
  }
  if (!Number.isFinite(amount)) return notFinite(amount);
  return { ok: true, amount: negative ? -amount : amount, currency, sign };
}

const HAS_CODE = /^(?:[A-Za-z]{3}\s*[\d.,]|[\d.,].*?\s*[A-Za-z]{3}$)/;

function withCurrencyHint(text: string, options: PriceParseOptions): PriceParse {
  if (options.withCurrency !== true && HAS_CODE.test(text)) {
    return {
      ok: false,
      reason:
        'carries a currency code; turn on price-with-currency (--price-with-currency, or "priceWithCurrency": true in a mapping file\'s options)',
    };
  }
  return NOT_A_NUMBER;
}

// ---------------------------------------------------------------------------------------------
// Currency

/** Trim and upper-case a currency code (`" usd "` → `"USD"`); does not check it. */
export function normalizeCurrency(code: string): string {
  const t = code.trim();
  return t.length === 3 && isUpperAscii3(t) ? t : t.toUpperCase();
}

function isUpperAscii3(t: string): boolean {
  const a = t.charCodeAt(0);
  const b = t.charCodeAt(1);
  const c = t.charCodeAt(2);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90 && c >= 65 && c <= 90;
}

// ---------------------------------------------------------------------------------------------
// GTIN

export type GtinCode =
  | "GTIN_SCIENTIFIC"
  | "GTIN_NOT_NUMERIC"
  | "GTIN_LENGTH"
  | "GTIN_ALL_ZEROS"
  | "GTIN_CHECK_DIGIT"
  | "GTIN_RESTRICTED"
  | "GTIN_COUPON";

export interface GtinCheck {
  /** The first rule the value breaks; undefined when it is a valid trade item GTIN. */
  code?: GtinCode | undefined;
  /** The value with spaces and dashes removed (digits as given, no padding). */
  normalized: string;
}

const ALL_DIGITS = /^\d+$/;
const GTIN_SEPARATORS = /[\s\-\u2010-\u2015]+/g;
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$/;

/** Compute the GS1 mod-10 check digit for the digits before it (`body` = all but the last digit). */
export function gtinCheckDigit(body: string): number {
  return checkDigitOf(body, body.length);
}

/** The check digit for the first `n` digits of `digits` (no substring needed). */
function checkDigitOf(digits: string, n: number): number {
  let sum = 0;
  // weights 3,1,3,1... from the rightmost body digit
  for (let i = n - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/**
 * Check a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14). Spaces and dashes are removed first; zero-padded
 * forms (a UPC-A written as 13 or 14 digits) are valid and kept as given. The first failing rule
 * wins, in this order: scientific notation, non-digits, length, all zeros, check digit, then the
 * GS1 prefix (restricted circulation / coupon), judged on the number padded to 14 digits.
 */
export function checkGtin(value: string): GtinCheck {
  let digits = value.trim();
  if (!ALL_DIGITS.test(digits)) {
    if (SCIENTIFIC.test(digits)) return { code: "GTIN_SCIENTIFIC", normalized: digits };
    digits = digits.replace(GTIN_SEPARATORS, "");
    if (!ALL_DIGITS.test(digits)) return { code: "GTIN_NOT_NUMERIC", normalized: digits };
  }
  const n = digits.length;
  if (n !== 8 && n !== 12 && n !== 13 && n !== 14) return { code: "GTIN_LENGTH", normalized: digits };
  let zeros = 0;
  while (zeros < n && digits.charCodeAt(zeros) === 48) zeros++;
  if (zeros === n) return { code: "GTIN_ALL_ZEROS", normalized: digits };
  if (checkDigitOf(digits, n - 1) !== digits.charCodeAt(n - 1) - 48) {
    return { code: "GTIN_CHECK_DIGIT", normalized: digits };
  }
  const prefix = gtinPrefixRule(digits);
  return prefix === undefined ? { normalized: digits } : { code: prefix, normalized: digits };
}

/**
 * GS1 prefix ranges that are not trade item numbers, judged on the GTIN padded to 14 digits:
 * a GTIN-8 (six leading zeros) starting 0 or 2 is a restricted circulation number (RCN-8); otherwise
 * the first three digits of the inner GTIN-13 (for a GTIN-14, the digits after the indicator):
 * 020-029, 040-049, 200-299 restricted / store-internal (a UPC-A starting 2 or 4 lands here),
 * 980 refund receipts (restricted); 050-059 (UPC-A starting 5), 981-984 and 990-999 coupons.
 */
export function gtinPrefixRule(digits: string): "GTIN_RESTRICTED" | "GTIN_COUPON" | undefined {
  // Digit i of the GTIN padded to 14 digits, read in place (no padded copy).
  const pad = digits.length < 14 ? 14 - digits.length : 0;
  const at = (i: number): number => (i < pad ? 0 : digits.charCodeAt(i - pad) - 48);
  if (at(0) === 0 && at(1) === 0 && at(2) === 0 && at(3) === 0 && at(4) === 0 && at(5) === 0) {
    const first = at(6);
    return first === 0 || first === 2 ? "GTIN_RESTRICTED" : undefined;
  }
  const d1 = at(1);
  const d2 = at(2);
  const d3 = at(3);
  if (d1 === 0) {
    if (d2 === 2 || d2 === 4) return "GTIN_RESTRICTED";
    if (d2 === 5) return "GTIN_COUPON";
    return undefined;
  }
  if (d1 === 2) return "GTIN_RESTRICTED";
  if (d1 === 9) {
    if (d2 === 9) return "GTIN_COUPON";
    if (d2 === 8) {
      if (d3 === 0) return "GTIN_RESTRICTED";
      if (d3 >= 1 && d3 <= 4) return "GTIN_COUPON";
    }
  }
  return undefined;
}
