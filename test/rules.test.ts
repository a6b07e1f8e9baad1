import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { PRODUCT_FIELDS, productSchema, REQUIRED_PRODUCT_FIELDS } from "../schemas/product.js";
import { RULE_CODES, RULES } from "../schemas/rules.js";
import { type CandidateProduct, compileValidator, validateCandidate } from "../schemas/validate.js";

const good: CandidateProduct = {
  sku: "SKU-1",
  name: "Classic Rain Jacket",
  url: "https://shop.example.com/p/sku-1",
  image: "https://cdn.example.com/img/sku-1.jpg",
  price: "49.95",
  currency: "USD",
  description: "Warm and dry.",
  category: "Apparel > Outerwear",
  old_price: "59.95",
  brand: "Northridge",
  gtin: "4006381333931",
  mpn: "NR-1",
  availability: "in stock",
};

const codes = (c: CandidateProduct, options?: Parameters<typeof validateCandidate>[1]) =>
  validateCandidate(c, options).issues.map((i) => i.code);

describe("RULES", () => {
  it("lists every rule with a severity and a description", () => {
    expect(RULE_CODES.length).toBeGreaterThan(20);
    for (const code of RULE_CODES) {
      expect(["error", "warning"]).toContain(RULES[code].severity);
      expect(RULES[code].description.length).toBeGreaterThan(10);
    }
    expect(RULES.DUPLICATE_SKU.severity).toBe("error");
    expect(RULES.SKU_TOO_LONG.severity).toBe("warning");
    expect(RULES.GTIN_CHECK_DIGIT.severity).toBe("error");
    expect(RULES.GTIN_RESTRICTED.severity).toBe("warning");
  });
});

describe("validateCandidate", () => {
  it("accepts a good product and normalises it", () => {
    const r = validateCandidate(good);
    expect(r.issues).toEqual([]);
    expect(r.product).toEqual({
      sku: "SKU-1",
      name: "Classic Rain Jacket",
      url: "https://shop.example.com/p/sku-1",
      image: "https://cdn.example.com/img/sku-1.jpg",
      price: 49.95,
      currency: "USD",
      description: "Warm and dry.",
      category: "Apparel > Outerwear",
      old_price: 59.95,
      brand: "Northridge",
      gtin: "4006381333931",
      mpn: "NR-1",
      availability: "in_stock",
    });
  });

  it("leaves absent optional fields out of the product", () => {
    const r = validateCandidate({
      sku: "a",
      name: "b",
      url: "http://x.example/a",
      image: "http://x.example/a.png",
      price: 1,
      currency: "eur",
      gtin: "",
      brand: null,
    });
    expect(r.issues).toEqual([]);
    expect(r.product).toEqual({
      sku: "a",
      name: "b",
      url: "http://x.example/a",
      image: "http://x.example/a.png",
      price: 1,
      currency: "EUR",
    });
    expect(Object.keys(r.product ?? {})).not.toContain("gtin");
  });

  it("reports REQUIRED_MISSING once per missing required field, with the field", () => {
    const r = validateCandidate({});
    expect(r.product).toBeUndefined();
    expect(r.issues.map((i) => i.field).sort()).toEqual([...REQUIRED_PRODUCT_FIELDS].sort());
    expect(new Set(r.issues.map((i) => i.code))).toEqual(new Set(["REQUIRED_MISSING"]));
    expect(r.issues.every((i) => i.severity === "error")).toBe(true);
  });

  it("treats blank, whitespace-only and entity-only values as missing", () => {
    const r = validateCandidate({ ...good, name: " &nbsp; ", sku: "   ", price: "" });
    expect(r.issues.filter((i) => i.code === "REQUIRED_MISSING").map((i) => i.field)).toEqual([
      "sku",
      "name",
      "price",
    ]);
  });

  it("sets product iff there is no error, and keeps warnings with a valid product", () => {
    const r = validateCandidate({ ...good, availability: "maybe" });
    expect(r.product).toBeDefined();
    expect(r.issues).toEqual([
      expect.objectContaining({
        code: "AVAILABILITY_UNKNOWN",
        severity: "warning",
        field: "availability",
        value: "maybe",
      }),
    ]);
    expect(r.product?.availability).toBe("maybe");
  });

  it("PRICE_INVALID and OLD_PRICE_INVALID carry the raw value", () => {
    const r = validateCandidate({ ...good, price: "abc", old_price: "-5" });
    expect(r.product).toBeUndefined();
    expect(r.issues).toEqual([
      expect.objectContaining({ code: "PRICE_INVALID", field: "price", value: "abc" }),
      expect.objectContaining({ code: "OLD_PRICE_INVALID", field: "old_price", value: "-5" }),
    ]);
    expect(codes({ ...good, price: -1 })).toEqual(["PRICE_INVALID"]);
    expect(codes({ ...good, price: Number.NaN })).toEqual(["PRICE_INVALID"]);
    // Infinity (JSON's 1e400) is named, not printed as null, and is not "missing"
    const inf = validateCandidate({
      ...good,
      price: Number.POSITIVE_INFINITY,
      old_price: Number.NEGATIVE_INFINITY,
    });
    expect(inf.issues).toEqual([
      expect.objectContaining({
        code: "PRICE_INVALID",
        message: "price Infinity is not a valid price: out of range (too large for a number)",
      }),
      expect.objectContaining({
        code: "OLD_PRICE_INVALID",
        message: "old_price -Infinity is not a valid price: out of range (too large for a number)",
      }),
    ]);
    expect(codes({ ...good, price: 0 })).toEqual([]);
  });

  it("hints at the decimal-comma option", () => {
    const r = validateCandidate({ ...good, price: "12,50", old_price: undefined });
    expect(r.issues[0]?.code).toBe("PRICE_INVALID");
    expect(r.issues[0]?.message).toMatch(/decimal comma/);
    expect(
      validateCandidate({ ...good, price: "12,50", old_price: "1.234,56" }, { decimalComma: true }).product,
    ).toMatchObject({
      price: 12.5,
      old_price: 1234.56,
    });
  });

  it("takes the currency from the price text when priceWithCurrency is on", () => {
    const opts = { priceWithCurrency: true };
    const r = validateCandidate({ ...good, price: "15.00 usd", old_price: "20.00 USD", currency: "" }, opts);
    expect(r.issues).toEqual([]);
    expect(r.product).toMatchObject({ price: 15, old_price: 20, currency: "USD" });
    expect(codes({ ...good, price: "15.00 EUR", currency: "USD", old_price: undefined }, opts)).toEqual([
      "PRICE_CURRENCY_MISMATCH",
    ]);
    expect(codes({ ...good, price: "15.00 USD", old_price: "20.00 EUR", currency: undefined }, opts)).toEqual(
      ["PRICE_CURRENCY_MISMATCH"],
    );
    const bad = validateCandidate(
      { ...good, price: "15.00 XYZ", currency: undefined, old_price: undefined },
      opts,
    );
    expect(bad.issues).toEqual([
      expect.objectContaining({ code: "CURRENCY_INVALID", field: "price", value: "15.00 XYZ" }),
    ]);
    // without the option, a code in the price is refused with a hint
    const off = validateCandidate({ ...good, price: "15.00 USD" });
    expect(off.issues[0]).toMatchObject({ code: "PRICE_INVALID" });
    expect(off.issues[0]?.message).toMatch(/price-with-currency/);
  });

  it("a currency sign in the price text that contradicts the currency is PRICE_CURRENCY_MISMATCH", () => {
    const one = (c: CandidateProduct, options?: Parameters<typeof validateCandidate>[1]) =>
      validateCandidate({ ...good, old_price: undefined, ...c }, options);
    const eur = one({ price: "€10.00", currency: "USD" });
    expect(eur.product).toBeUndefined();
    expect(eur.issues).toEqual([
      {
        code: "PRICE_CURRENCY_MISMATCH",
        severity: "error",
        field: "price",
        message: "price is in EUR but currency is USD",
        value: "€10.00",
      },
    ]);
    expect(one({ price: "$10.00", currency: "EUR" }).issues).toEqual([
      expect.objectContaining({
        code: "PRICE_CURRENCY_MISMATCH",
        message: "price is in $ (USD, CAD, AUD, …) but currency is EUR",
      }),
    ]);
    expect(one({ price: "10,00 €", currency: "GBP" }, { decimalComma: true }).issues[0]?.message).toBe(
      "price is in EUR but currency is GBP",
    );
    expect(one({ price: "R$ 10.00", currency: "USD" }).issues[0]?.message).toBe(
      "price is in BRL but currency is USD",
    );
    expect(one({ price: "¥1200", currency: "USD" }).issues[0]?.message).toBe(
      "price is in ¥ (JPY, CNY) but currency is USD",
    );
    // A sign is the sign of every currency that writes it: `$` of CAD, `¥` of CNY, `£` of GBP.
    expect(one({ price: "$10.00", currency: "CAD" }).product).toMatchObject({ price: 10, currency: "CAD" });
    expect(one({ price: "US$10.00", currency: "usd" }).product).toMatchObject({ currency: "USD" });
    expect(one({ price: "¥1200", currency: "CNY" }).product).toMatchObject({ price: 1200 });
    expect(one({ price: "£5", currency: "GBP" }).issues).toEqual([]);
    expect(one({ price: "99¢", currency: "EUR" }).issues).toEqual([]); // ¢ names no currency
    // old_price the same way
    expect(validateCandidate({ ...good, price: "10.00", old_price: "€12.00" }).issues).toEqual([
      expect.objectContaining({
        code: "PRICE_CURRENCY_MISMATCH",
        field: "old_price",
        message: "old_price is in EUR but currency is USD",
        value: "€12.00",
      }),
    ]);
    // An empty currency is filled from a sign only one currency uses; `$` alone says to pass one.
    expect(one({ price: "€10.00", currency: undefined }).product).toMatchObject({
      price: 10,
      currency: "EUR",
    });
    expect(one({ price: "$10.00", currency: undefined }).issues).toEqual([
      expect.objectContaining({
        code: "REQUIRED_MISSING",
        field: "currency",
        message:
          "Required field currency is missing or empty (the price's $ is used by USD, CAD, AUD, …: pass --currency)",
      }),
    ]);
    // With priceWithCurrency the code fills it, and the sign is checked against that code.
    const wc = { priceWithCurrency: true };
    expect(one({ price: "€15.00 USD", currency: undefined }, wc).issues[0]?.message).toBe(
      "price is in EUR but currency is USD",
    );
    expect(one({ price: "$15.00 USD", currency: undefined }, wc).product).toMatchObject({ currency: "USD" });
    // An invalid currency is reported as such, not as a mismatch.
    expect(codes({ ...good, price: "€10.00", currency: "XYZ" })).toEqual(["CURRENCY_INVALID"]);
  });

  it("CURRENCY_INVALID for codes outside ISO 4217, with a hint for withdrawn ones", () => {
    expect(codes({ ...good, currency: "usd" })).toEqual([]);
    expect(validateCandidate({ ...good, currency: " usd " }).product?.currency).toBe("USD");
    expect(codes({ ...good, currency: "XYZ" })).toEqual(["CURRENCY_INVALID"]);
    expect(codes({ ...good, currency: "EURO" })).toEqual(["CURRENCY_INVALID"]);
    expect(codes({ ...good, currency: "$" })).toEqual(["CURRENCY_INVALID"]);
    const hrk = validateCandidate({ ...good, currency: "HRK" });
    expect(hrk.issues[0]?.message).toMatch(/withdrawn.*EUR/);
  });

  it("URL_INVALID / IMAGE_URL_INVALID / URL_TOO_LONG", () => {
    for (const url of [
      "https://shop.example.com/p/1",
      "http://localhost:8080/p?id=1&x=2#top",
      "HTTPS://Shop.Example.com/ä/ö",
      "https://bücher.example/p",
      "https://[::1]:3000/p",
      "https://user@shop.example.com/p",
    ]) {
      expect(codes({ ...good, url }), url).toEqual([]);
    }
    for (const url of [
      "/p/1",
      "//cdn.example.com/p/1",
      "www.shop.example.com/p/1",
      "ftp://shop.example.com/p/1",
      "javascript:alert(1)",
      "https://shop.example.com/p 1",
      "https://shop.example.com/p\u0001",
      "https://",
      "https:///p",
      "https://exa<mple.com/",
    ]) {
      expect(codes({ ...good, url }), url).toEqual(["URL_INVALID"]);
      expect(codes({ ...good, image: url }), url).toEqual(["IMAGE_URL_INVALID"]);
    }
    const long = `https://shop.example.com/${"a".repeat(2000)}`;
    expect(validateCandidate({ ...good, image: long }).issues).toEqual([
      expect.objectContaining({ code: "URL_TOO_LONG", field: "image" }),
    ]);
    expect(codes({ ...good, url: `https://s.example/${"a".repeat(2000 - 18)}` })).toEqual([]);
    expect(validateCandidate({ ...good, url: "//cdn.example.com/x" }).issues[0]?.message).toMatch(
      /protocol-relative/,
    );
  });

  it("GTIN rules through the validator", () => {
    expect(codes({ ...good, gtin: "4006381333932" })).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(codes({ ...good, gtin: "4.0063E+12" })).toEqual(["GTIN_SCIENTIFIC"]);
    expect(validateCandidate({ ...good, gtin: "4,0112E+12" }).issues[0]?.message).toMatch(
      /spreadsheet.*cannot be recovered/,
    );
    expect(codes({ ...good, gtin: "0000000000000" })).toEqual(["GTIN_ALL_ZEROS"]);
    expect(codes({ ...good, gtin: "12345" })).toEqual(["GTIN_LENGTH"]);
    expect(codes({ ...good, gtin: "ABC123" })).toEqual(["GTIN_NOT_NUMERIC"]);
    const restricted = validateCandidate({ ...good, gtin: "2001234567893" });
    expect(restricted.issues.map((i) => [i.code, i.severity])).toEqual([["GTIN_RESTRICTED", "warning"]]);
    expect(restricted.product?.gtin).toBe("2001234567893");
    expect(validateCandidate({ ...good, gtin: "400-638 1333931" }).product?.gtin).toBe("4006381333931");
    expect(validateCandidate({ ...good, gtin: 4006381333931 }).product?.gtin).toBe("4006381333931");
  });

  it("SKU_TOO_LONG is a warning at 51 characters", () => {
    expect(codes({ ...good, sku: "x".repeat(50) })).toEqual([]);
    const r = validateCandidate({ ...good, sku: "x".repeat(51) });
    expect(r.issues.map((i) => [i.code, i.severity])).toEqual([["SKU_TOO_LONG", "warning"]]);
    expect(r.product).toBeDefined();
  });

  it("OLD_PRICE_LOWER when old_price < price", () => {
    expect(codes({ ...good, price: "10", old_price: "9.99" })).toEqual(["OLD_PRICE_LOWER"]);
    expect(codes({ ...good, price: "10", old_price: "10" })).toEqual([]);
  });

  it("NAME_TOO_LONG, NAME_HTML, DESCRIPTION_TOO_LONG", () => {
    expect(codes({ ...good, name: "n".repeat(150) })).toEqual([]);
    expect(codes({ ...good, name: "n".repeat(151) })).toEqual(["NAME_TOO_LONG"]);
    expect(codes({ ...good, name: "<b>Sale</b> Jacket" })).toEqual(["NAME_HTML"]);
    expect(codes({ ...good, name: "&lt;b&gt;Sale&lt;/b&gt; Jacket" })).toEqual(["NAME_HTML"]);
    expect(codes({ ...good, name: "Size < 5 & > 3" })).toEqual([]);
    expect(codes({ ...good, description: "d".repeat(5000) })).toEqual([]);
    expect(codes({ ...good, description: "d".repeat(5001) })).toEqual(["DESCRIPTION_TOO_LONG"]);
  });

  it("normalises text fields", () => {
    const r = validateCandidate({
      ...good,
      name: "  Caf&eacute;\t Jacket &amp; Co  ",
      brand: "Lumen&nbsp;&amp;&nbsp;Co",
      category: "Home &gt; Kitchen",
      description: "Line one.  \r\n\r\n\r\n  Line&#160;two &#x27;quoted&#x27;",
      mpn: " MPN 1 ",
      sku: " SKU  1 ",
    });
    expect(r.product).toMatchObject({
      name: "Café Jacket & Co",
      brand: "Lumen & Co",
      category: "Home > Kitchen",
      description: "Line one.\n\nLine two 'quoted'",
      mpn: "MPN 1",
      sku: "SKU  1",
    });
  });

  it("strips HTML from description only when asked; HTML kept as HTML keeps its entities", () => {
    const html = "<p>Warm &amp; dry.</p><ul><li>Hood</li><li>Pockets</li></ul>";
    expect(
      validateCandidate({ ...good, description: html }, { stripHtmlDescription: true }).product?.description,
    ).toBe("Warm & dry.\n\nHood\nPockets");
    expect(validateCandidate({ ...good, description: html }).product?.description).toBe(html);
  });

  it("numbers are accepted for text fields", () => {
    const r = validateCandidate({ ...good, sku: 12345, mpn: 99, price: 12.5 });
    expect(r.product).toMatchObject({ sku: "12345", mpn: "99", price: 12.5 });
  });

  it("values outside the declared types fail visibly instead of crashing", () => {
    const loose = { ...good, price: true, gtin: { v: 1 }, brand: false } as unknown as CandidateProduct;
    const r = validateCandidate(loose);
    expect(r.issues.map((i) => i.code)).toEqual(["PRICE_INVALID", "GTIN_NOT_NUMERIC"]);
    expect(validateCandidate({ ...good, price: Number.POSITIVE_INFINITY }).issues[0]?.code).toBe(
      "PRICE_INVALID",
    );
  });

  it("an invalid currency is not also reported as a mismatch", () => {
    expect(
      codes(
        { ...good, price: "15 USD", currency: "US Dollar", old_price: undefined },
        { priceWithCurrency: true },
      ),
    ).toEqual(["CURRENCY_INVALID"]);
  });

  it("GTIN messages explain likely causes", () => {
    const msg = (gtin: string) => validateCandidate({ ...good, gtin }).issues[0]?.message;
    expect(msg("4006381333931.0")).toMatch(/decimal number/);
    expect(msg("0306406152")).toMatch(/ISBN-10/);
    expect(msg("36000291452")).toMatch(/leading zeros/);
    expect(msg("4006381333932")).toMatch(/check digit/);
  });

  it("messages stay short however long the value is; the raw value is kept", () => {
    const huge = "9".repeat(100_000);
    const r = validateCandidate({
      ...good,
      gtin: huge,
      price: `x${huge}`,
      availability: huge,
      currency: huge,
    });
    expect(r.issues.map((i) => i.code)).toEqual([
      "PRICE_INVALID",
      "CURRENCY_INVALID",
      "GTIN_LENGTH",
      "AVAILABILITY_UNKNOWN",
    ]);
    for (const i of r.issues) expect(i.message.length).toBeLessThan(300);
    expect(r.issues.find((i) => i.code === "GTIN_LENGTH")?.value).toBe(huge);
  });

  it("issues come in field order with message and value", () => {
    const r = validateCandidate({ ...good, sku: "", url: "nope", price: "x", gtin: "123" });
    expect(r.issues.map((i) => [i.code, i.field])).toEqual([
      ["REQUIRED_MISSING", "sku"],
      ["URL_INVALID", "url"],
      ["PRICE_INVALID", "price"],
      ["GTIN_LENGTH", "gtin"],
    ]);
    for (const i of r.issues) expect(i.message.length).toBeGreaterThan(5);
  });
});

describe("compileValidator", () => {
  it("gives the same results as validateCandidate", () => {
    const v = compileValidator({ decimalComma: true });
    expect(v({ ...good, price: "1.234,50", old_price: undefined })).toEqual(
      validateCandidate({ ...good, price: "1.234,50", old_price: undefined }, { decimalComma: true }),
    );
  });

  it("rejects bad options before any record, with a coded error", () => {
    expect(() => compileValidator({ decimalComma: "yes" as unknown as boolean })).toThrow(FeedpipeError);
    expect(() => compileValidator({ decimalComma: "yes" as unknown as boolean })).toThrow(
      /Invalid option decimalComma: expected boolean, got string/,
    );
    expect(() => compileValidator({ decimal: true } as never)).toThrow(/Invalid option decimal/);
    try {
      compileValidator({ stripHtmlDescription: 1 as unknown as boolean });
    } catch (e) {
      expect((e as FeedpipeError).code).toBe("INVALID_OPTION");
    }
  });
});

describe("property: any input", () => {
  const value = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom(..."0123456789 .,-$€EeUSD"), maxLength: 20 }),
    fc.constantFrom(
      "https://shop.example.com/p/1",
      "4006381333931",
      "USD",
      "usd",
      "in stock",
      "<b>x</b>",
      "&amp;",
    ),
    fc.double(),
    fc.integer(),
    fc.constant(null),
    fc.constant(undefined),
  );
  // Each field: mostly a good value, sometimes anything at all.
  const candidate = fc.record(
    Object.fromEntries(
      PRODUCT_FIELDS.map((f) => [
        f,
        fc.oneof({ arbitrary: fc.constant(good[f]), weight: 4 }, { arbitrary: value, weight: 1 }),
      ]),
    ),
    { requiredKeys: [] },
  );

  it("never throws; product is set iff no error, and then it satisfies productSchema", () => {
    let valid = 0;
    for (const options of [{}, { decimalComma: true, priceWithCurrency: true, stripHtmlDescription: true }]) {
      const validate = compileValidator(options);
      fc.assert(
        fc.property(candidate, (c) => {
          const r = validate(c as CandidateProduct);
          const hasError = r.issues.some((i) => i.severity === "error");
          expect(r.product === undefined).toBe(hasError);
          for (const i of r.issues) expect(RULE_CODES).toContain(i.code);
          if (r.product !== undefined) {
            valid++;
            expect(productSchema.safeParse(r.product).success).toBe(true);
          }
        }),
        { seed: 7, numRuns: 3000 },
      );
    }
    expect(valid).toBeGreaterThan(0);
  });

  it("a valid product passes again unchanged (normalisation is idempotent)", () => {
    const validate = compileValidator({ stripHtmlDescription: true });
    fc.assert(
      fc.property(
        fc.record({
          name: fc.string({ minLength: 1 }),
          description: fc.string(),
          brand: fc.string(),
          category: fc.string(),
          availability: fc.constantFrom("in stock", "InStock", "sold out", "PreOrder", "back-order", "odd"),
        }),
        (extra) => {
          const first = validate({ ...good, ...extra });
          if (first.product === undefined) return;
          const again = validate(first.product);
          expect(again.product).toEqual(first.product);
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });
});
