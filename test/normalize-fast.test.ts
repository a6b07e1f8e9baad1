/**
 * The validator's fast paths give the same results as the general rules they stand in front of:
 * the URL check (isHttpUrl against HTTP_URL_PATTERN) and the whitespace tidying of names and
 * descriptions (against the rules as they were written before the fast path).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEntities,
  isPlainText,
  looksLikeHtml,
  normalizeMultiline,
  normalizeText,
} from "../schemas/normalize.js";
import { HTTP_URL_PATTERN, isHttpUrl } from "../schemas/product.js";

// The general rules, as they read before the fast path (control characters dropped first).
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]+/g;
const NEEDS_COLLAPSE = /[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;
const WHITESPACE_RUN = /[\s\u0085]+/g;
function referenceText(text: string): string {
  const t = text.trim().replace(CONTROLS, "").trim();
  return NEEDS_COLLAPSE.test(t) ? t.replace(WHITESPACE_RUN, " ").trim() : t;
}
const NEEDS_TIDY = /[\t\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}|\n/;
function referenceMultiline(text: string): string {
  const t = text.trim().replace(CONTROLS, "").trim();
  if (!NEEDS_TIDY.test(t)) return t;
  return t
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, "\n")
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Every kind of whitespace, the edges of the fast path's ranges, and plain letters. */
const TEXT_CHARS = [
  "a",
  "Z",
  " ",
  " ",
  "~",
  "\x7f",
  "\x1f",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  "\u0085",
  "\u00a0",
  "\u00a1",
  "ï",
  "\u00ff",
  "\u0100",
  "ō",
  "\u1680",
  "\u2000",
  "\u200a",
  "\u200b",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
  "<",
  "&",
];
const text = fc.array(fc.constantFrom(...TEXT_CHARS), { maxLength: 30 }).map((cs) => cs.join(""));

describe("whitespace fast path", () => {
  it("drops control characters (NUL, escape sequences, bells) from names and descriptions", () => {
    expect(normalizeText("Tab\there \u001b[31mred\u0007 bell")).toBe("Tab here [31mred bell");
    expect(normalizeText("Bad\u0000name")).toBe("Badname");
    expect(normalizeMultiline("line one\u0000\nline\u009b two")).toBe("line one\nline two");
    expect(normalizeText("Caf\u00e9 \u0085 ok")).toBe("Caf\u00e9 ok");
  });

  it("normalizeText equals the general rule", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string(), fc.string({ unit: "binary" })), (s) => {
        expect(normalizeText(s)).toBe(referenceText(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("normalizeMultiline equals the general rule", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string(), fc.string({ unit: "binary" })), (s) => {
        expect(normalizeMultiline(s)).toBe(referenceMultiline(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("isPlainText: a trimmed plain text is left as it is by every text rule", () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.oneof(text, fc.string(), fc.string({ unit: "binary" })), (raw) => {
        const t = raw.trim();
        if (!isPlainText(t)) return;
        plain++;
        expect(decodeEntities(t)).toBe(t);
        expect(normalizeText(decodeEntities(t))).toBe(t);
        expect(normalizeMultiline(decodeEntities(t))).toBe(t);
        expect(referenceText(t)).toBe(t);
        expect(referenceMultiline(t)).toBe(t);
        expect(looksLikeHtml(t)).toBe(false);
        expect(t.indexOf("<")).toBe(-1);
      }),
      { numRuns: 3000 },
    );
    expect(plain).toBeGreaterThan(100);
    for (const s of ["a &amp; b", "a <b>x</b>", "a  b", "a\u00a0b", "Kōbō", "a\tb", "a\x7fb"]) {
      expect(isPlainText(s)).toBe(false);
    }
    expect(isPlainText('Señor naïve, "premium" (100%) = ~ok; {x}')).toBe(true);
  });

  it("keeps clean text as it is and tidies the rest", () => {
    expect(normalizeText("Señor naïve Jacket")).toBe("Señor naïve Jacket");
    expect(normalizeText("Kōbō  Jacket")).toBe("Kōbō Jacket");
    expect(normalizeText("a\u00a0b")).toBe("a b");
    expect(normalizeMultiline("one  two\n\n\n\nthree")).toBe("one two\n\nthree");
    expect(normalizeMultiline('naïve, "premium" soft')).toBe('naïve, "premium" soft');
  });
});

/** URL-shaped strings: scheme, optional user info, host, port, path, with odd characters mixed in. */
const URL_CHARS = [
  "a",
  "Z",
  "0",
  ".",
  "-",
  "_",
  "/",
  "?",
  "#",
  "@",
  ":",
  "%",
  "\\",
  " ",
  "\t",
  "\x7f",
  '"',
  ",",
  "é",
  "ō",
  "[",
  "]",
];
const urlPart = fc.array(fc.constantFrom(...URL_CHARS), { maxLength: 12 }).map((cs) => cs.join(""));
const url = fc
  .tuple(
    fc.constantFrom("https://", "http://", "HTTPS://", "hTtp://", "ftp://", "//", "https:/", ""),
    urlPart,
    fc.constantFrom("", "/", "/p/", "?", "#", ":8080/", ":"),
    urlPart,
  )
  .map((parts) => parts.join(""));

describe("isHttpUrl", () => {
  it("equals HTTP_URL_PATTERN.test", () => {
    fc.assert(
      fc.property(fc.oneof(url, fc.string(), fc.webUrl()), (s) => {
        expect(isHttpUrl(s)).toBe(HTTP_URL_PATTERN.test(s));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ["https://shop.example.com/p/sku-1", true],
    ["http://a/", true],
    ["https://shop.example.com", true],
    ["https://user@shop.example.com/x", true],
    ["https://shop.example.com:8080/x", true],
    ["https://shop.example.com/a b", false],
    ["https://-shop/x", false],
    ["ftp://shop.example.com/x", false],
    ["//shop.example.com/x", false],
  ])("%s -> %s", (s, expected) => {
    expect(isHttpUrl(s)).toBe(expected);
    expect(HTTP_URL_PATTERN.test(s)).toBe(expected);
  });
});
