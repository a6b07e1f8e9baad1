import { describe, expect, it } from "vitest";
import { CURRENCY_CODES, WITHDRAWN_CURRENCIES } from "../schemas/currencies.js";
import {
  decodeEntities,
  isCurrencyCode,
  normalizeAvailability,
  normalizeCurrency,
  normalizeMultiline,
  normalizeText,
  stripHtml,
} from "../schemas/normalize.js";

describe("normalizeAvailability", () => {
  it.each([
    ["in_stock", "in_stock"],
    ["in stock", "in_stock"],
    ["In Stock", "in_stock"],
    ["InStock", "in_stock"],
    ["instock", "in_stock"],
    ["IN-STOCK", "in_stock"],
    ["http://schema.org/InStock", "in_stock"],
    ["https://schema.org/InStock", "in_stock"],
    ["schema.org/LimitedAvailability", "in_stock"],
    ["1", "in_stock"],
    ["25", "in_stock"],
    ["yes", "in_stock"],
    ["Y", "in_stock"],
    ["true", "in_stock"],
    ["available", "in_stock"],
    ["available for order", "in_stock"],
    [" in_stock ", "in_stock"],
    ["out_of_stock", "out_of_stock"],
    ["out of stock", "out_of_stock"],
    ["OutOfStock", "out_of_stock"],
    ["http://schema.org/OutOfStock", "out_of_stock"],
    ["0", "out_of_stock"],
    ["no", "out_of_stock"],
    ["false", "out_of_stock"],
    ["sold out", "out_of_stock"],
    ["SoldOut", "out_of_stock"],
    ["discontinued", "out_of_stock"],
    ["preorder", "preorder"],
    ["pre-order", "preorder"],
    ["PreOrder", "preorder"],
    ["http://schema.org/PreOrder", "preorder"],
    ["backorder", "backorder"],
    ["back order", "backorder"],
    ["BackOrder", "backorder"],
  ])("%j -> %s", (raw, expected) => {
    expect(normalizeAvailability(raw)).toBe(expected);
  });

  it.each(["maybe", "", "-1", "1.5", "in", "coming soon", "http://example.com/InStock2"])(
    "%j is unknown",
    (raw) => {
      expect(normalizeAvailability(raw)).toBeUndefined();
    },
  );
});

describe("decodeEntities", () => {
  it.each([
    ["Caf&eacute;", "Café"],
    ["Fish &amp; Chips", "Fish & Chips"],
    ["&lt;b&gt;", "<b>"],
    ["&quot;hi&quot; &apos;x&apos;", "\"hi\" 'x'"],
    ["a&nbsp;b", "a\u00a0b"],
    ["&#233;t&#233;", "été"],
    ["it&#x27;s &#X27;", "it's '"],
    ["&#128512;", "😀"],
    ["&#146;", "\u2019"],
    ["&euro;5 &pound;3 &copy; &reg; &trade; &hellip; &mdash; &ndash;", "€5 £3 © ® ™ … — –"],
    ["&rsquo;&lsquo;&rdquo;&ldquo;", "\u2019\u2018\u201d\u201c"],
    ["&Eacute;&AElig;&szlig;&yuml;", "ÉÆßÿ"],
    ["&AMP;", "&"],
    ["&amp;amp;", "&amp;"],
    ["&unknown; &amp no semicolon", "&unknown; &amp no semicolon"],
    ["&#0; &#xD800; &#x110000;", "\ufffd \ufffd \ufffd"],
    ["no entities", "no entities"],
  ])("%j -> %j", (raw, expected) => {
    expect(decodeEntities(raw)).toBe(expected);
  });
});

describe("stripHtml", () => {
  it.each([
    ["<p>Warm &amp; dry.</p><p>Second.</p>", "Warm & dry.\n\nSecond."],
    ["Line one<br>Line two<br/>Line three<BR />", "Line one\nLine two\nLine three"],
    ["<ul>\n  <li>Hood</li>\n  <li>Pockets</li>\n</ul>", "Hood\nPockets"],
    [
      '<b>Bold</b> and <i>italic</i> <a href="https://x.example/?a=1&amp;b=2">link</a>',
      "Bold and italic link",
    ],
    ["<div>One</div><div>Two</div>", "One\nTwo"],
    [
      "<table><tr><td>Size</td><td>M</td></tr><tr><td>Color</td><td>Red</td></tr></table>",
      "Size M\nColor Red",
    ],
    ["<style>p{color:red}</style><script>alert(1)</script>Text<!-- hidden -->", "Text"],
    ["<h2>Title</h2>Body", "Title\n\nBody"],
    ["&lt;b&gt; stays text", "<b> stays text"],
    ["x < 5 and y > 3", "x < 5 and y > 3"],
    ["  plain   text  ", "plain text"],
    ["<p>  spaced \t out  </p>", "spaced out"],
    ["<![CDATA[in cdata]]>", "in cdata"],
    ['<img src="a.jpg" alt="x">Caption', "Caption"],
  ])("%j -> %j", (html, text) => {
    expect(stripHtml(html)).toBe(text);
  });
});

describe("whitespace", () => {
  it("normalizeText trims and collapses all whitespace", () => {
    expect(normalizeText("  a \t b\n\nc\u00a0d  ")).toBe("a b c d");
    expect(normalizeText("clean")).toBe("clean");
  });

  it("normalizeMultiline keeps line breaks and at most one blank line", () => {
    expect(normalizeMultiline(" a  b \r\n c \n\n\n\n d ")).toBe("a b\nc\n\nd");
    expect(normalizeMultiline("one line")).toBe("one line");
  });
});

describe("currencies", () => {
  it("has the full active ISO 4217 list", () => {
    expect(CURRENCY_CODES.length).toBeGreaterThanOrEqual(170);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    for (const c of CURRENCY_CODES) expect(c).toMatch(/^[A-Z]{3}$/);
    expect([...CURRENCY_CODES]).toEqual([...CURRENCY_CODES].sort());
  });

  it.each([
    "USD",
    "EUR",
    "JPY",
    "CHF",
    "GBP",
    "CNY",
    "CAD",
    "AUD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "RON",
    "INR",
    "BRL",
    "MXN",
    "KRW",
    "SGD",
    "HKD",
    "TWD",
    "ZAR",
    "AED",
    "SAR",
    "TRY",
    "ILS",
    "NZD",
    "XCG",
    "SLE",
    "ZWG",
    "VES",
    "XAF",
  ])("%s is valid", (code) => {
    expect(isCurrencyCode(code)).toBe(true);
  });

  it.each(["XYZ", "US", "EURO", "usd", "", "$", "HRK", "BGN", "ANG", "DEM"])("%j is not", (code) => {
    expect(isCurrencyCode(code)).toBe(false);
  });

  it("upper-cases before checking", () => {
    expect(normalizeCurrency(" usd ")).toBe("USD");
    expect(isCurrencyCode(normalizeCurrency("usd"))).toBe(true);
    expect(normalizeCurrency("Eur")).toBe("EUR");
  });

  it("withdrawn codes are not active and point at an active successor", () => {
    for (const [old, successor] of Object.entries(WITHDRAWN_CURRENCIES)) {
      expect(isCurrencyCode(old), old).toBe(false);
      expect(isCurrencyCode(successor), successor).toBe(true);
    }
  });
});

describe("stripHtml on HTML source layout and hostile input", () => {
  it("source newlines inside HTML are just spaces", () => {
    expect(stripHtml("Intro\n<div>\n  A\n  still A\n</div>\n<div>B</div>")).toBe("Intro\nA still A\nB");
    expect(stripHtml("plain\ntext, a < b")).toBe("plain\ntext, a < b");
  });

  it("stays linear on unclosed tags and long whitespace (no catastrophic backtracking)", () => {
    // Correctness checks on large inputs: a quadratic regex would take minutes here.
    const unclosed = "<a ".repeat(30_000);
    expect(stripHtml(`<p>x</p>${unclosed}`).startsWith("x")).toBe(true);
    const spaces = `<li>a${" ".repeat(100_000)}b</li>`;
    expect(stripHtml(spaces)).toBe("a b");
    expect(stripHtml(`<div>${"\n ".repeat(50_000)}x`)).toBe("x");
  });
});
