/**
 * Value normalisation for product fields: text, HTML, availability (prices and currencies in
 * ./price.ts, GTINs in ./gtin.ts, re-exported here).
 *
 * Every function here is on the validator's hot path, so each starts with a cheap test for the
 * common already-clean case and only then does the real work. Regexes are compiled once.
 */
import { plainSpaced } from "./plain-text.js";
import type { Availability } from "./product.js";

export { isCurrencyCode } from "./currencies.js";
export { isPlainText } from "./plain-text.js";
export * from "./price.js";
export * from "./gtin.js";

// ---------------------------------------------------------------------------------------------
// Text

/** Whitespace other than a single ASCII space, or two spaces in a row. */
const NEEDS_COLLAPSE = /[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;
const WHITESPACE_RUN = /[\s\u0085]+/g;

/**
 * C0 and C1 control characters other than whitespace (tab, line breaks, NEL): never part of a
 * product's text (a NUL, an escape sequence, a bell), so the text rules drop them.
 */
const HAS_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/;
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]+/g;

function withoutControls(t: string): string {
  return HAS_CONTROL.test(t) ? t.replace(CONTROLS, "").trim() : t;
}

/** Trim, drop control characters and collapse every whitespace run (newlines, tabs, no-break spaces) to one space. */
export function normalizeText(text: string): string {
  let t = text.trim();
  if (plainSpaced(t)) return t;
  t = withoutControls(t);
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
  let t = text.trim();
  if (plainSpaced(t)) return t;
  t = withoutControls(t);
  if (!NEEDS_TIDY.test(t)) return t;
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
