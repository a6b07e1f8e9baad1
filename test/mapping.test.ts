import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import type { Issue } from "../src/core/record.js";
import { loadPipeline, processFeed } from "../src/jobs/pipeline.js";
import { openFeed } from "../src/formats/index.js";
import {
  absentSources,
  checkTemplate,
  checkTransform,
  compileField,
  compileMapping,
  compilePath,
  compileTransform,
  createRecordMapper,
  type Candidate,
  Expand,
  type Expanded,
  isExpanded,
  loadMappingFile,
  parseMapping,
  type Preset,
  Skip,
  splitPrice,
  toValue,
} from "../transforms/index.js";
import { itWithSamples, sample } from "./helpers/environment.js";

const FIX = "test/fixtures/mapping";

async function mappingError(file: string): Promise<FeedpipeError> {
  const err = await loadMappingFile(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FeedpipeError);
  return err as FeedpipeError;
}

function parseError(doc: unknown): FeedpipeError {
  try {
    parseMapping(doc, "m.json");
  } catch (e) {
    expect(e).toBeInstanceOf(FeedpipeError);
    return e as FeedpipeError;
  }
  throw new Error("expected MAPPING_INVALID");
}

describe("source paths", () => {
  it("reads flat keys, dotted paths and list indexes", () => {
    const fields = {
      title: "Camera",
      "Body (HTML)": "<p>x</p>",
      "g:price": "10 USD",
      product: { inventories: [{ price: "2796.95" }, { price: "1" }], images: [{ link: "a.jpg" }] },
    };
    expect(compilePath("title")(fields)).toBe("Camera");
    expect(compilePath("Body (HTML)")(fields)).toBe("<p>x</p>");
    expect(compilePath("g:price")(fields)).toBe("10 USD");
    expect(compilePath("product.inventories[0].price")(fields)).toBe("2796.95");
    expect(compilePath("product.inventories[1].price")(fields)).toBe("1");
    expect(compilePath("product.images[0].link")(fields)).toBe("a.jpg");
    expect(compilePath("product.missing[0].x")(fields)).toBeUndefined();
    expect(compilePath("title.x")(fields)).toBeUndefined();
  });

  it("prefers a literal flattened column name such as image[0].url", () => {
    expect(compilePath("image[0].url")({ "image[0].url": "https://x/a.jpg" })).toBe("https://x/a.jpg");
    expect(compilePath("image[0].url")({ image: [{ url: "https://x/b.jpg" }] })).toBe("https://x/b.jpg");
  });

  it("treats a single XML element like a one-item list and reads element text and href", () => {
    expect(compilePath("images[0].link")({ images: { link: "one.jpg" } })).toBe("one.jpg");
    expect(toValue({ "@href": "https://x/p", "@rel": "alternate" })).toBe("https://x/p");
    expect(toValue({ "#text": "Shoe", "@lang": "en" })).toBe("Shoe");
    // Atom's links: the alternate one (or one without rel) is the page, not self or edit.
    const self = { "@_href": "https://x/api/p", "@_rel": "self" };
    expect(toValue([self, { "@_href": "https://x/p", "@_rel": "alternate" }])).toBe("https://x/p");
    expect(toValue([{ "@_href": "https://x/e", "@_rel": "edit" }, self, { "@_href": "https://x/q" }])).toBe(
      "https://x/q",
    );
    // Only self-like links: the first, as before.
    expect(toValue([self, { "@_href": "https://x/e", "@_rel": "edit" }])).toBe("https://x/api/p");
    expect(toValue(["", "second"])).toBe("second");
    expect(toValue("")).toBeUndefined();
    expect(toValue(12.5)).toBe(12.5);
  });

  it("a number JSON overflowed (1e400 is Infinity) is a value for the rules to reject, not a missing one", () => {
    expect(toValue(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(compileMapping({ fields: { old_price: "o" } })({ o: Number.NEGATIVE_INFINITY })).toEqual({
      old_price: Number.NEGATIVE_INFINITY,
    });
  });
});

describe("transforms", () => {
  const apply = (spec: Parameters<typeof compileTransform>[0], v: string | number | undefined, fields = {}) =>
    compileTransform(spec)(v, fields, {});

  it("text transforms", () => {
    expect(apply("trim", "  a b  ")).toBe("a b");
    expect(apply("trim", "   ")).toBeUndefined();
    expect(apply("lower", "ABC")).toBe("abc");
    expect(apply("upper", "eur")).toBe("EUR");
    expect(apply("collapse", " a \n\t b ")).toBe("a b");
    expect(apply("strip_html", "<p>Warm &amp; <b>dry</b></p><p>Second</p>")).toBe("Warm & dry\n\nSecond");
    expect(apply({ prefix: "https://shop/" }, "a")).toBe("https://shop/a");
    expect(apply({ prefix: "https://shop/" }, undefined)).toBeUndefined();
    expect(apply({ suffix: ".html" }, "a")).toBe("a.html");
    expect(apply({ default: "in_stock" }, undefined)).toBe("in_stock");
    expect(apply({ default: "in_stock" }, "preorder")).toBe("preorder");
    expect(apply({ replace: { pattern: "http:", with: "https:" } }, "http://a")).toBe("https://a");
    expect(apply({ replace: { pattern: "\\s+", with: "-", regex: true } }, "a  b c")).toBe("a-b-c");
    expect(apply({ split: "," }, "a.jpg, b.jpg")).toBe("a.jpg");
    expect(apply({ split: { separator: "|", index: 1 } }, "a|b")).toBe("b");
    expect(apply({ map: { "1": "in_stock", "0": "out_of_stock" } }, "0")).toBe("out_of_stock");
    expect(apply({ map: { "1": "in_stock" } }, "maybe")).toBe("maybe");
    expect(apply({ template: "{value} ({Color})" }, "Jacket", { Color: "Red" })).toBe("Jacket (Red)");
  });

  it("number: locale or decimal comma; unparsable text is kept for the price rule to report", () => {
    expect(apply({ number: { locale: "de" } }, "1.299,00")).toBe(1299);
    expect(apply({ number: { locale: "en-US" } }, "1,299.00")).toBe(1299);
    expect(apply({ number: { decimalComma: true } }, "12,50")).toBe(12.5);
    expect(apply("number", "12.50")).toBe(12.5);
    expect(apply("number", "twelve")).toBe("twelve");
    expect(apply("number", 7)).toBe(7);
  });

  it("split_price: amount and currency of '349.00 EUR' / 'USD 15' ", () => {
    expect(splitPrice("349.00 EUR")).toEqual({ amount: "349.00", currency: "EUR" });
    expect(splitPrice("USD 15")).toEqual({ amount: "15", currency: "USD" });
    expect(splitPrice("1.234,56 eur")).toEqual({ amount: "1.234,56", currency: "EUR" });
    expect(splitPrice("12.50")).toEqual({ amount: "12.50", currency: undefined });
    expect(splitPrice("cheap")).toBeUndefined();
    expect(apply("split_price", "349.00 EUR")).toBe("349.00");
    expect(apply({ split_price: "currency" }, "349.00 EUR")).toBe("EUR");
    // a split price fills an unmapped currency
    const map = compileMapping({ fields: { price: { from: "p", transforms: ["split_price"] } } });
    expect(map({ p: "15.00 USD" })).toEqual({ price: "15.00", currency: "USD" });
  });

  it("a price text whose currency contradicts the currency field is PRICE_CURRENCY_MISMATCH, not dropped", () => {
    const map = compileMapping({
      fields: {
        price: { from: "p", transforms: ["price"] },
        old_price: { from: "o", transforms: ["split_price"] },
        currency: "c",
      },
    });
    const run = (fields: Record<string, string>) => {
      const issues: Issue[] = [];
      return { candidate: map(fields, issues), issues };
    };
    const eur = run({ p: "€10.00", c: "USD" });
    expect(eur.candidate).toEqual({ price: 10, currency: "USD" });
    expect(eur.issues).toEqual([
      {
        code: "PRICE_CURRENCY_MISMATCH",
        severity: "error",
        field: "price",
        message: "price is in EUR but currency is USD",
        value: "€10.00",
      },
    ]);
    expect(run({ p: "$10.00", c: "eur" }).issues).toEqual([
      expect.objectContaining({ message: "price is in $ (USD, CAD, AUD, …) but currency is EUR" }),
    ]);
    expect(run({ p: "10.00", o: "12.00 EUR", c: "USD" }).issues).toEqual([
      expect.objectContaining({
        field: "old_price",
        message: "old_price is in EUR but currency is USD",
        value: "12.00 EUR",
      }),
    ]);
    // `$` is read as USD but is CAD's sign too; agreeing codes and plain amounts say nothing.
    expect(run({ p: "$10.00", c: "CAD" }).issues).toEqual([]);
    expect(run({ p: "10.00 EUR", o: "12.00 EUR", c: "EUR" }).issues).toEqual([]);
    expect(run({ p: "10.00", c: "USD" }).issues).toEqual([]);
    // An empty currency field is still filled from the price text; old_price is checked against it.
    const filled = run({ p: "£10.00", o: "12.00 USD" });
    expect(filled.candidate).toMatchObject({ price: 10, currency: "GBP" });
    expect(filled.issues).toEqual([
      expect.objectContaining({ field: "old_price", message: "old_price is in USD but currency is GBP" }),
    ]);
    // An invalid currency is the validator's CURRENCY_INVALID, not a mismatch.
    expect(run({ p: "€10.00", c: "EURO" }).issues).toEqual([]);
    // `number` keeps no currency, but its sign is compared too.
    const number = compileMapping({
      fields: { price: { from: "p", transforms: ["number"] }, currency: "c" },
    });
    const issues: Issue[] = [];
    expect(number({ p: "€10.00", c: "USD" }, issues)).toEqual({ price: 10, currency: "USD" });
    expect(issues).toEqual([expect.objectContaining({ message: "price is in EUR but currency is USD" })]);
    expect(number({ p: "€10.00" }, issues)).toEqual({ price: 10 });
  });

  it("a record that expands into several products: each item gets the mismatches of its own price", () => {
    const preset: Preset = {
      name: "test",
      title: "test",
      signature: { required: [], columns: {} },
      mapping: () => ({ fields: { price: { from: "p", transforms: ["price"] }, currency: "c" } }),
      prepare: () => (fields) =>
        new Expand(new Skip("TEST_PARENT", "parent"), [fields, { ...fields, p: "$1" }]),
    };
    const mapper = createRecordMapper(preset, undefined, {}, ["p", "c"]);
    const shared: Issue[] = [];
    const out = mapper({ p: "€1", c: "USD" }, shared);
    expect(isExpanded(out as Candidate)).toBe(true);
    const items = (out as Expanded).items;
    expect(items[0]!.issues).toEqual([
      expect.objectContaining({ message: "price is in EUR but currency is USD" }),
    ]);
    expect(items[1]!.issues).toBeUndefined();
    expect(shared).toEqual([]);
  });

  it("a mapping file's price transform: a € price in a USD record is rejected, not pushed as USD", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-mapping-"));
    const csv = join(dir, "cur.csv");
    await writeFile(
      csv,
      "sku,name,url,image,price,currency\n" +
        "A1,N,https://x.example/a,https://x.example/a.jpg,€10.00,USD\n" +
        "A2,N,https://x.example/b,https://x.example/b.jpg,$10.00,EUR\n" +
        "A3,N,https://x.example/c,https://x.example/c.jpg,€10.00,EUR\n",
    );
    const mapping = join(dir, "m.yaml");
    await writeFile(mapping, "preset: partnerboost\nfields:\n  price: {from: price, transforms: [price]}\n");
    for (const options of [{}, { mapping }]) {
      const run = await processFeed(await openFeed(csv), options);
      const records = (await collect(run.records)).flat();
      expect(records.map((r) => r.product?.currency)).toEqual([undefined, undefined, "EUR"]);
      expect(records.map((r) => r.issues.map((i) => i.message))).toEqual([
        ["price is in EUR but currency is USD"],
        ["price is in $ (USD, CAD, AUD, …) but currency is EUR"],
        [],
      ]);
      expect(run.report()).toMatchObject({ valid: 1, invalid: 2 });
    }
  });

  it("the number transform's sign against the run's currency (--currency, options.currency), with no currency column", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-mapping-"));
    const csv = join(dir, "nocur.csv");
    await writeFile(
      csv,
      "sku,name,url,image,price\n" +
        "A1,N,https://x.example/a,https://x.example/a.jpg,€10.00\n" +
        "A2,N,https://x.example/b,https://x.example/b.jpg,$10.00\n",
    );
    const fields =
      "fields:\n  sku: sku\n  name: name\n  url: url\n  image: image\n  price: {from: price, transforms: [number]}\n";
    const flag = join(dir, "flag.yaml");
    await writeFile(flag, fields);
    const file = join(dir, "file.yaml");
    await writeFile(file, `${fields}options: { currency: USD }\n`);
    for (const options of [{ mapping: flag, currency: "USD" }, { mapping: file }]) {
      const run = await processFeed(await openFeed(csv), options);
      const records = (await collect(run.records)).flat();
      expect(records.map((r) => r.issues.map((i) => i.code))).toEqual([["PRICE_CURRENCY_MISMATCH"], []]);
      expect(records.map((r) => r.product?.currency)).toEqual([undefined, "USD"]);
    }
  });

  it("checks transform specs with a precise problem", () => {
    expect(checkTransform("strp_html")).toEqual({
      ok: false,
      problem: expect.stringMatching(/unknown transform "strp_html" \(known: trim/),
    });
    expect(checkTransform({ prefix: "a", suffix: "b" })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/exactly one key/),
    });
    expect(checkTransform("prefix")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/needs an argument/),
    });
    expect(checkTransform({ trim: "x" })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/takes no argument/),
    });
    expect(checkTransform({ number: { locale: "xx-invalid-" } })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/not a valid locale/),
    });
    expect(checkTransform({ replace: { pattern: "(", regex: true } })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/bad regular expression/),
    });
    expect(checkTransform({ split_price: "cents" })).toMatchObject({ ok: false });
    expect(checkTransform(42)).toMatchObject({ ok: false });
    expect(checkTransform({ number: { locale: "de" } })).toMatchObject({ ok: true, name: "number" });
  });
});

describe("templates", () => {
  it("substitutes references and gives no value when one is empty", () => {
    const f = compileField({ template: "{Handle}-{Option1 Value}" });
    expect(f({ Handle: "cap", "Option1 Value": "Red" }, {})).toBe("cap-Red");
    expect(f({ Handle: "cap", "Option1 Value": "" }, {})).toBeUndefined();
    expect(compileField({ template: "{{{a}}}" })({ a: "x" }, {})).toBe("{x}");
    expect(compileField({ template: "{p.q[0]}!" })({ p: { q: ["z"] } }, {})).toBe("z!");
  });

  it("rejects bad reference syntax", () => {
    expect(checkTemplate("{Handle")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/unclosed "\{"/),
    });
    expect(checkTemplate("a}")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/unmatched "\}"/),
    });
    expect(checkTemplate("{}")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/empty reference/),
    });
    expect(checkTemplate("{a{b}")).toMatchObject({ ok: false });
    expect(checkTemplate("{a..b}")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/bad field reference/),
    });
    expect(checkTemplate("plain")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/references no field/),
    });
  });
});

describe("mapping files", () => {
  it("a YAML mapping with every kind of field maps a German shop export", async () => {
    const feed = await openFeed(`${FIX}/shop-de.csv`);
    const processed = await processFeed(feed, { mapping: `${FIX}/shop-de.yaml` });
    expect(processed.preset).toBe(`mapping:${FIX}/shop-de.yaml`);
    const records = await collect(processed.records);
    expect(processed.report()).toMatchObject({ records: 3, valid: 2, invalid: 1, presetChosen: "mapping" });
    expect(records[0]?.product).toEqual({
      sku: "A-100",
      name: "Wanderjacke",
      description: "Wasserdicht & atmungsaktiv",
      price: 1299,
      old_price: 1499,
      currency: "EUR",
      url: "https://shop.example/p/wanderjacke",
      mpn: "A-100-ROT",
      image: "https://cdn.shop.example/a100.jpg",
      availability: "in_stock",
      brand: "Northridge",
    });
    expect(records[1]?.product).toMatchObject({ price: 12.5, availability: "out_of_stock", brand: "Tarn" });
    expect(records[1]?.product?.mpn).toBeUndefined();
    expect(records[2]?.issues.map((i) => `${i.code}:${i.field}`)).toEqual([
      "REQUIRED_MISSING:image",
      "PRICE_INVALID:price",
    ]);
    expect(records[2]?.issues[1]?.value).toBe("zwölf");
  });

  itWithSamples("the Google Shopping API JSON sample maps with nested paths (25 products)", async () => {
    const feed = await openFeed(sample("google-shopping-api-products.json"));
    const processed = await processFeed(feed, { mapping: `${FIX}/google-shopping-api.yaml` });
    const records = await collect(processed.records);
    expect(processed.report()).toMatchObject({
      format: "json (array at items)",
      records: 25,
      valid: 25,
      invalid: 0,
    });
    expect(records[0]?.product).toMatchObject({
      sku: "11180453840663864493",
      name: "Nikon D800 SLR Digital Camera Body",
      price: 2796.95,
      old_price: 2996.95,
      currency: "USD",
      gtin: "00018208254804",
      mpn: "25480",
      brand: "Nikon",
      availability: "in_stock",
      image:
        "http://lghttp.22373.nexcesscdn.net/80A650/Magento/media/catalog/product/n/i/nikon_1_d800_main.jpg",
      category: "Cameras & Optics",
    });
    expect(records[2]?.product?.availability).toBe("backorder");
    expect(records.filter((r) => r.product?.gtin === undefined)).toHaveLength(5);
  });

  it("a mapping file can extend a preset: its fields override, the preset's hook still runs", async () => {
    const dir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/fp-map-"));
    const file = `${dir}/shopify.json`;
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(
        file,
        JSON.stringify({
          preset: "shopify",
          fields: {
            url: { template: "https://shop.example/products/{Handle}?sku={Variant SKU}" },
            name: "Title",
          },
          options: { currency: "EUR" },
        }),
      ),
    );
    const feed = await openFeed("samples/shopify.csv");
    const processed = await processFeed(feed, { mapping: file });
    const records = await collect(processed.records);
    const report = processed.report();
    expect(report).toMatchObject({ read: 12, records: 9, valid: 6, invalid: 3, skipped: 3 });
    expect(records[1]?.product).toMatchObject({
      sku: "GPJ-BLK-L",
      name: "Glacier Pro Ski Jacket",
      url: "https://shop.example/products/glacier-pro-ski-jacket?sku=GPJ-BLK-L",
      currency: "EUR",
    });
  });

  it("reports every problem with the file, the field and what is wrong", async () => {
    const err = await mappingError(`${FIX}/bad-fields.json`);
    expect(err.code).toBe("MAPPING_INVALID");
    const m = err.message;
    expect(m).toContain(`Mapping file ${FIX}/bad-fields.json is invalid`);
    expect(m).toMatch(/fields\.sku2: unknown target field "sku2" \(product fields: sku, name/);
    expect(m).toMatch(/fields\.name: missing "from"/);
    expect(m).toMatch(/fields\.price\.transforms\[1\]: unknown transform "strp_html"/);
    expect(m).toMatch(/fields\.price\.transforms\[2\]: transform "number": locale must be a text/);
    expect(m).toMatch(/fields\.url\.template: unclosed "\{"/);
    expect(m).toMatch(/fields\.brand\.const: a constant must be a text or a number/);
    expect(m).toMatch(/unknown key "colour"/);
    expect(err.context.source).toBe(`${FIX}/bad-fields.json`);
  });

  it("names syntax errors in JSON and YAML files; a missing file is IO_NOT_FOUND", async () => {
    expect((await mappingError(`${FIX}/broken.json`)).message).toMatch(/broken\.json is not valid JSON/);
    expect((await mappingError(`${FIX}/broken.yaml`)).message).toMatch(/broken\.yaml is not valid YAML/);
    expect((await mappingError(`${FIX}/nope.json`)).code).toBe("IO_NOT_FOUND");
  });

  it("structural problems", () => {
    expect(parseError([]).message).toMatch(/expected an object with "fields", got a list/);
    expect(parseError({}).message).toMatch(/missing "fields"/);
    expect(parseError({ fields: { sku: 5 } }).message).toMatch(
      /fields\.sku: expected a source field, a list of them/,
    );
    expect(parseError({ fields: { sku: [] } }).message).toMatch(/fields\.sku: an empty list/);
    expect(parseError({ fields: { sku: "a..b" } }).message).toMatch(/"a\.\.b" is not a valid source path/);
    expect(parseError({ fields: { sku: { from: "a", const: "b" } } }).message).toMatch(/only one of/);
    expect(parseError({ fields: { sku: { from: "a", via: "b" } } }).message).toMatch(
      /fields\.sku\.via: unknown key "via"/,
    );
    expect(parseError({ fields: { sku: { from: "a", transforms: "trim" } } }).message).toMatch(
      /expected a list of transforms/,
    );
    expect(parseError({ fields: {}, preset: "etsy" }).message).toMatch(/preset: preset must be one of/);
    expect(parseError({ fields: {}, options: { currency: "EURO" } }).message).toMatch(
      /options\.currency: currency must be a 3-letter/,
    );
    expect(parseError({ fields: {}, options: { baseUrl: "shop.example" } }).message).toMatch(
      /options\.baseUrl/,
    );
    expect(parseMapping({ fields: { sku: ["a", "b"] } }, "m.json").spec.fields.sku).toEqual(["a", "b"]);
  });

  it("the pipeline checks the mapping file before opening any input", async () => {
    const err = await loadPipeline({ mapping: `${FIX}/bad-fields.json` }).catch((e: unknown) => e);
    expect((err as FeedpipeError).code).toBe("MAPPING_INVALID");
  });
});

describe("absentSources", () => {
  it("names the fields none of whose columns the header has, matching as the mapper does", () => {
    const spec = {
      fields: {
        sku: "SKU",
        name: ["title", "Name"],
        price: "Shipping.Price",
        url: "link.href",
        brand: { const: "Acme" },
        image: { template: "https://x.example/{id}.jpg" },
        gtin: { from: ["ean", "barcode"] },
      },
    };
    const header = ["sku", "name", "shipping", "link"];
    expect(absentSources(spec, header)).toEqual([
      { field: "price", names: ["Shipping.Price"] },
      { field: "gtin", names: ["ean", "barcode"] },
    ]);
    // What the mapper makes of the same record agrees: nothing for price, the url from the path.
    const m = compileMapping(spec, header);
    const c = m({ sku: "A1", name: "Mug", shipping: { Price: "9" }, link: { href: "https://x.example/a" } });
    expect(c.price).toBeUndefined();
    expect(c.url).toBe("https://x.example/a");
    expect(c.sku).toBe("A1");
  });
});
