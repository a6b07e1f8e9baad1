import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePrice } from "../schemas/normalize.js";

const ok = (amount: number, currency?: string, sign?: string) => ({ ok: true, amount, currency, sign });

describe("parsePrice (decimal point, the default)", () => {
  it.each<[string | number, number, string?]>([
    ["1234.56", 1234.56],
    ["1234", 1234],
    ["0", 0],
    ["0.99", 0.99],
    [".99", 0.99],
    ["1,234.56", 1234.56],
    ["1,234,567.8", 1234567.8],
    ["1,234", 1234],
    ["1 234.56", 1234.56],
    ["1'234.50", 1234.5],
    ["$12.50", 12.5, "$"],
    ["$ 12.50", 12.5, "$"],
    ["US$12.50", 12.5, "US$"],
    ["12.50 €", 12.5, "€"],
    ["£1,000", 1000, "£"],
    ["¥1200", 1200, "¥"],
    ["  49.95  ", 49.95],
    ["-3.00", -3],
    ["-$3.00", -3, "$"],
    [12.5, 12.5],
    [0, 0],
  ])("%j -> %d (sign %s)", (text, amount, sign) => {
    expect(parsePrice(text)).toEqual(ok(amount, undefined, sign));
  });

  it.each([
    "",
    "abc",
    "12.50.30",
    "1,23.45",
    "12,5",
    "12,50",
    "1.234,56",
    "15.00 USD",
    "USD 15",
    "1e5",
    "--1",
    "Free",
    "$",
  ])("%j is refused", (text) => {
    expect(parsePrice(text).ok).toBe(false);
  });

  it("says why, pointing at the option that would help", () => {
    expect(parsePrice("12,50")).toEqual({
      ok: false,
      reason: "looks like it uses a decimal comma; turn on the decimal-comma option",
    });
    expect(parsePrice("1.234,56")).toMatchObject({ reason: expect.stringMatching(/decimal-comma/) });
    expect(parsePrice("15.00 USD")).toMatchObject({ reason: expect.stringMatching(/price-with-currency/) });
    expect(parsePrice("abc")).toEqual({ ok: false, reason: "not a number" });
    expect(parsePrice(Number.POSITIVE_INFINITY).ok).toBe(false);
    // a number too large for a double (JSON's 1e400 is Infinity) is out of range, NaN not a number
    const range = { ok: false, reason: "out of range (too large for a number)" };
    expect(parsePrice(Number.POSITIVE_INFINITY)).toEqual(range);
    expect(parsePrice(Number.NEGATIVE_INFINITY)).toEqual(range);
    expect(parsePrice(Number.NaN)).toEqual({ ok: false, reason: "not a number" });
    expect(parsePrice("9".repeat(60))).toEqual(ok(Number("9".repeat(60))));
    expect(parsePrice("9".repeat(400))).toEqual(range);
    // (text with a currency is at most 64 characters: it cannot overflow)
    expect(parsePrice(`${"9".repeat(400)} USD`, { withCurrency: true })).toMatchObject({
      reason: "too long to be a price",
    });
    expect(parsePrice("9".repeat(400)).ok).toBe(false);
    expect(parsePrice(`${"9".repeat(400)},5`, { decimalComma: true }).ok).toBe(false);
    expect(parsePrice(`$${"9".repeat(400)}.5`).ok).toBe(false);
  });
});

describe("parsePrice with decimalComma", () => {
  const dc = { decimalComma: true };
  it.each<[string, number, string?]>([
    ["1.234,56", 1234.56],
    ["1234,56", 1234.56],
    ["12,50", 12.5],
    ["12,5", 12.5],
    ["12", 12],
    ["1.234", 1234],
    ["1.234.567,89", 1234567.89],
    ["1 234,56", 1234.56],
    ["1\u00a0234,56", 1234.56],
    ["12,50 €", 12.5, "€"],
    ["€ 12,50", 12.5, "€"],
    [",99", 0.99],
  ])("%j -> %d (sign %s)", (text, amount, sign) => {
    expect(parsePrice(text, dc)).toEqual(ok(amount, undefined, sign));
  });

  it.each(["12.50", "1,234.56", "1.23,4.5", "abc"])("%j is refused", (text) => {
    expect(parsePrice(text, dc).ok).toBe(false);
  });

  it("points at the option when the text uses a decimal point", () => {
    expect(parsePrice("1,234.56", dc)).toMatchObject({ reason: expect.stringMatching(/decimal point/) });
  });
});

describe("parsePrice with withCurrency", () => {
  const wc = { withCurrency: true };
  it.each<[string, number, string | undefined, string?]>([
    ["15.00 USD", 15, "USD"],
    ["15.00USD", 15, "USD"],
    ["USD 15.00", 15, "USD"],
    ["usd 15", 15, "USD"],
    ["1,234.56 EUR", 1234.56, "EUR"],
    ["$15.00 USD", 15, "USD", "$"],
    ["15.00", 15, undefined],
    ["15.00 XYZ", 15, "XYZ"],
  ])("%j -> %d %s", (text, amount, currency, sign) => {
    expect(parsePrice(text, wc)).toEqual(ok(amount, currency, sign));
  });

  it("combines with decimalComma", () => {
    expect(parsePrice("1.234,56 EUR", { ...wc, decimalComma: true })).toEqual(ok(1234.56, "EUR"));
    expect(parsePrice("EUR 12,50", { ...wc, decimalComma: true })).toEqual(ok(12.5, "EUR"));
  });

  it.each(["USD", "15.00 US", "15.00 DOLLARS", "abc USD"])("%j is refused", (text) => {
    expect(parsePrice(text, wc).ok).toBe(false);
  });
});

describe("parsePrice fast paths (no regex for `123.45` and `123.45 USD`)", () => {
  const digits = (min: number, max: number) =>
    fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
  const amount = fc
    .tuple(digits(1, 40), fc.option(digits(1, 8), { nil: undefined }), fc.boolean())
    .map(([whole, frac, comma]) => ({ whole, frac, comma }));
  const code = fc.string({ unit: fc.constantFrom(..."ABCXYZabcxyz"), minLength: 3, maxLength: 3 });

  it("`<amount> <CODE>` gives what the general parser gives for `<CODE> <amount>` and `<amount>  <CODE>`", () => {
    fc.assert(
      fc.property(amount, code, ({ whole, frac, comma }, c) => {
        const options = { withCurrency: true, decimalComma: comma };
        const n = frac === undefined ? whole : `${whole}${comma ? "," : "."}${frac}`;
        const fast = parsePrice(`${n} ${c}`, options);
        expect(fast).toStrictEqual(parsePrice(`${c} ${n}`, options));
        expect(fast).toStrictEqual(parsePrice(`${n}  ${c}`, options));
        if (n.length + 4 <= 64) expect(fast).toStrictEqual(ok(Number(n.replace(",", ".")), c.toUpperCase()));
      }),
    );
  });

  it("a plain amount gives what the general parser gives with a currency symbol in front", () => {
    fc.assert(
      fc.property(amount, fc.boolean(), ({ whole, frac, comma }, withCurrency) => {
        const options = { withCurrency, decimalComma: comma };
        const n = frac === undefined ? whole : `${whole}${comma ? "," : "."}${frac}`;
        const fast = parsePrice(n, options);
        expect(fast).toStrictEqual(ok(Number(n.replace(",", ".")), undefined));
        if (n.length < 64) expect({ ...fast, sign: "$" }).toStrictEqual(parsePrice(`$${n}`, options));
      }),
    );
  });

  it.each<[string, object]>([
    ["", { ok: false, reason: "empty" }],
    ["12.", { ok: false, reason: "not a number" }],
    ["12. USD", { ok: false, reason: "not a number" }],
    ["12.USD", { ok: false, reason: "not a number" }],
    [".5 USD", ok(0.5, "USD")],
    ["12 usd", ok(12, "USD")],
    ["12 U$D", { ok: false, reason: "not a number" }],
  ])("%j with withCurrency", (text, expected) => {
    expect(parsePrice(text, { withCurrency: true })).toStrictEqual(expected);
  });
});
