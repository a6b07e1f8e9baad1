import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import { loadPipeline, processFeed, productRow, resolvePipelineOptions } from "../src/jobs/pipeline.js";
import type { Fields, RecordBatch, SourceRecord } from "../src/core/record.js";
import { formatReportText } from "../src/core/report.js";
import { type Feed, openFeed } from "../src/formats/index.js";

const HEADER = ["sku", "name", "url", "image", "price", "currency"];

function product(sku: string, extra: Partial<Record<string, string>> = {}): Fields {
  return {
    sku,
    name: `Product ${sku}`,
    url: `https://shop.example/p/${sku}`,
    image: `https://cdn.example/i/${sku}.jpg`,
    price: "10.00",
    currency: "EUR",
    ...extra,
  };
}

let line = 1;
function rec(fields: Fields, extra: Partial<SourceRecord> = {}): SourceRecord {
  line++;
  return { source: "test.csv", index: line - 1, line, fields, ...extra };
}

function feedOf(batches: RecordBatch[], extra: Partial<Feed> = {}): Feed & { returned: boolean } {
  const state = { returned: false };
  const records: AsyncIterable<RecordBatch> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: async () =>
          i < batches.length ? { done: false, value: batches[i++]! } : { done: true, value: undefined },
        return: async () => {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  const feed = {
    name: "test.csv",
    format: "csv" as const,
    compression: "none" as const,
    encoding: "utf-8",
    records,
    ...extra,
  };
  return Object.defineProperty(feed, "returned", { get: () => state.returned }) as Feed & {
    returned: boolean;
  };
}

describe("processFeed", () => {
  it("accounts for every record: valid + invalid = records; reader problems are invalid with their fields", async () => {
    line = 1;
    const a = rec(product("A"));
    const ragged = rec(
      { sku: "R1", name: "x", _extra: ["y"] },
      {
        problem: { code: "CSV_RAGGED_ROW", severity: "error", message: "expected 6 columns, got 7" },
        raw: "R1,x,,,,,y",
      },
    );
    const feed = feedOf([
      [a, ragged],
      [rec(product("B", { price: "abc" })), rec(product("C"))],
    ]);
    const processed = await processFeed(feed, { preset: "partnerboost" });
    const out = await collect(processed.records);
    const report = processed.report();
    expect(report).toMatchObject({
      source: "test.csv",
      format: "csv",
      preset: "partnerboost",
      records: 4,
      valid: 2,
      invalid: 2,
    });
    expect(out.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(out[1]).toMatchObject({
      line: 3,
      sku: undefined,
      product: undefined,
      issues: [expect.objectContaining({ code: "CSV_RAGGED_ROW" })],
      fields: { sku: "R1", name: "x", _extra: ["y"] },
      raw: "R1,x,,,,,y",
    });
    expect(out[2]).toMatchObject({
      sku: "B",
      product: undefined,
      issues: [expect.objectContaining({ code: "PRICE_INVALID", value: "abc" })],
    });
    expect(out[0]?.product).toEqual({
      sku: "A",
      name: "Product A",
      url: "https://shop.example/p/A",
      image: "https://cdn.example/i/A.jpg",
      price: 10,
      currency: "EUR",
    });
  });

  it("flags second and later occurrences of a SKU (also after an invalid first one); dedupe can be off", async () => {
    line = 1;
    const batches = () => [
      [rec(product("A")), rec(product("A")), rec(product("B", { price: "-1" }))],
      [rec(product("B")), rec(product("A2", { sku: " A " }))],
    ];
    const processed = await processFeed(feedOf(batches()), { preset: "partnerboost" });
    const out = await collect(processed.records);
    expect(out.map((r) => (r.product ? "ok" : r.issues.map((i) => i.code).join("+")))).toEqual([
      "ok",
      "DUPLICATE_SKU",
      "PRICE_INVALID",
      "DUPLICATE_SKU",
      "DUPLICATE_SKU",
    ]);
    const dup = processed.report().rules.find((r) => r.code === "DUPLICATE_SKU");
    expect(dup).toMatchObject({ severity: "error", count: 3 });
    expect(dup?.examples[0]).toMatchObject({ line: 3, index: 2, sku: "A", field: "sku" });

    const off = await processFeed(feedOf(batches()), { preset: "partnerboost", dedupe: false });
    await collect(off.records);
    expect(off.report()).toMatchObject({ valid: 4, invalid: 1 });
  });

  it("each run has its own duplicate set", async () => {
    const pipeline = await loadPipeline({ preset: "partnerboost" });
    for (let i = 0; i < 2; i++) {
      line = 1;
      const p = await pipeline.process(feedOf([[rec(product("A"))]]));
      await collect(p.records);
      expect(p.report().valid).toBe(1);
    }
  });

  it("blank rows are not records; they are counted with the reader's own count", async () => {
    line = 1;
    const feed = feedOf([[rec(product("A")), rec({ sku: "", name: "  ", url: "" }), rec(product("B"))]], {
      stats: { records: 3, problems: 0, blankRows: 2 },
    });
    const p = await processFeed(feed, {});
    const out = await collect(p.records);
    expect(out).toHaveLength(2);
    expect(p.report()).toMatchObject({ records: 2, valid: 2, blankRows: 3 });
  });

  it("keeps the first five examples per rule, errors first; counts warnings and records with warnings", async () => {
    line = 1;
    const batch: SourceRecord[] = [];
    for (let i = 0; i < 8; i++) batch.push(rec(product(`S${i}`, { image: "" })));
    batch.push(rec(product("W1", { old_price: "5.00" })));
    batch.push(rec(product("W2", { old_price: "5.00", name: "<b>Bold</b>" })));
    const p = await processFeed(feedOf([batch]), {});
    await collect(p.records);
    const r = p.report();
    expect(r.rules.map((x) => [x.code, x.severity, x.count])).toEqual([
      ["REQUIRED_MISSING", "error", 8],
      ["OLD_PRICE_LOWER", "warning", 2],
      ["NAME_HTML", "warning", 1],
    ]);
    expect(r.rules[0]?.examples).toHaveLength(5);
    expect(r.rules[0]?.examples[4]).toEqual({
      line: 6,
      index: 5,
      sku: "S4",
      field: "image",
      message: "Required field image is missing or empty",
    });
    expect(r).toMatchObject({ records: 10, valid: 2, invalid: 8, warnings: 3, recordsWithWarnings: 2 });
    const text = formatReportText(r);
    expect(text).toMatch(/records read\s+10/);
    expect(text).toMatch(
      /REQUIRED_MISSING\s+error\s+8\s+line 2 sku S0: Required field image is missing or empty/,
    );
    expect(text).toMatch(/OLD_PRICE_LOWER\s+warning\s+2/);
  });

  it("reads ahead past unreadable records to find the layout", async () => {
    line = 1;
    const bad = rec(
      {},
      { problem: { code: "FEED_XML_MALFORMED", severity: "error", message: "<item> is not closed" } },
    );
    const feed = feedOf([
      [bad],
      [
        rec({
          "g:id": "G1",
          title: "T",
          link: "https://x/p",
          "g:image_link": "https://x/i.jpg",
          "g:price": "5.00 USD",
        }),
      ],
    ]);
    const p = await processFeed(feed, {});
    expect(p.preset).toBe("google-merchant");
    const out = await collect(p.records);
    expect(out.map((r) => r.product?.currency ?? r.issues[0]?.code)).toEqual(["FEED_XML_MALFORMED", "USD"]);
  });

  it("a feed without records reports zeros", async () => {
    const p = await processFeed(feedOf([]), {});
    expect(p.preset).toBe("none");
    expect(await collect(p.records)).toEqual([]);
    expect(p.report()).toMatchObject({ records: 0, valid: 0, invalid: 0, presetChosen: "none" });
  });

  it("report() gives counts so far while the records are read", async () => {
    line = 1;
    const p = await processFeed(feedOf([[rec(product("A"))], [rec(product("B"))]]), {});
    const seen: number[] = [];
    for await (const _batch of p.records) seen.push(p.report().records);
    expect(seen).toEqual([1, 2]);
  });

  it("stopping early releases the source", async () => {
    line = 1;
    const feed = feedOf([[rec(product("A"))], [rec(product("B"))], [rec(product("C"))]]);
    const p = await processFeed(feed, {});
    for await (const _batch of p.records) break;
    expect(feed.returned).toBe(true);
  });

  it("decimalComma accepts 12,50", async () => {
    line = 1;
    const p = await processFeed(feedOf([[rec(product("A", { price: "1.234,50" }))]]), { decimalComma: true });
    const [r] = await collect(p.records);
    expect(r?.product?.price).toBe(1234.5);
  });

  it("a JSON / NDJSON number too large for a double is PRICE_INVALID / OLD_PRICE_INVALID, not missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-pipeline-"));
    const item =
      '{"sku":"A1","name":"N","url":"https://x.example/a","image":"https://x.example/a.jpg",' +
      '"price":1e400,"old_price":-1e400,"currency":"EUR","gtin":1e400}';
    await writeFile(join(dir, "inf.ndjson"), `${item}\n`);
    await writeFile(join(dir, "inf.json"), `[${item}]`);
    for (const file of ["inf.ndjson", "inf.json"]) {
      const run = await processFeed(await openFeed(join(dir, file)));
      const [r] = (await collect(run.records)).flat();
      expect(r!.product).toBeUndefined();
      expect(r!.issues).toEqual([
        expect.objectContaining({
          code: "PRICE_INVALID",
          message: "price Infinity is not a valid price: out of range (too large for a number)",
          value: Number.POSITIVE_INFINITY,
        }),
        expect.objectContaining({
          code: "OLD_PRICE_INVALID",
          message: "old_price -Infinity is not a valid price: out of range (too large for a number)",
        }),
        // an optional field is not dropped either: the overflowed number is reported
        expect.objectContaining({ code: "GTIN_NOT_NUMERIC", field: "gtin", value: Number.POSITIVE_INFINITY }),
      ]);
    }
  });

  it('an overflowed number in a text field is not the text "Infinity": a SKU of 1e400 is missing, a brand dropped', async () => {
    const dir = await mkdtemp(join(tmpdir(), "fp-pipeline-"));
    const rest =
      '"url":"https://x.example/a","image":"https://x.example/a.jpg","price":"1.00","currency":"EUR"';
    await writeFile(
      join(dir, "inf.ndjson"),
      `{"sku":1e400,"name":"N",${rest}}\n{"sku":"B2","name":"N","brand":-1e400,${rest}}\n`,
    );
    const run = await processFeed(await openFeed(join(dir, "inf.ndjson")));
    const [a, b] = (await collect(run.records)).flat();
    expect(a!.product).toBeUndefined();
    expect(a!.issues).toEqual([expect.objectContaining({ code: "REQUIRED_MISSING", field: "sku" })]);
    expect(b!.product).toBeDefined();
    expect(b!.product!.brand).toBeUndefined();
  });

  it("shop layouts take --base-url and --currency", async () => {
    line = 1;
    const shopify = {
      Handle: "cap",
      Title: "Cap",
      "Variant SKU": "C1",
      "Variant Price": "9.00",
      "Image Src": "https://cdn/x.jpg",
    };
    const p = await processFeed(feedOf([[rec(shopify)]]), {
      baseUrl: "https://shop.example/",
      currency: "usd",
    });
    const [r] = await collect(p.records);
    expect(r?.product).toMatchObject({ url: "https://shop.example/products/cap", currency: "USD" });
    expect(HEADER).toContain("sku");
  });
});

describe("pipeline options", () => {
  it("are checked before any I/O", () => {
    const code = (o: object) => {
      try {
        resolvePipelineOptions(o);
      } catch (e) {
        return `${(e as FeedpipeError).code}: ${(e as Error).message}`;
      }
      return "ok";
    };
    expect(code({ preset: "etsy" })).toMatch(
      /^PRESET_UNKNOWN: Unknown preset "etsy": expected auto or one of shopify/,
    );
    expect(code({ currency: "EURO" })).toMatch(
      /^INVALID_OPTION: Invalid option currency: expected an ISO 4217 code such as EUR, got "EURO"/,
    );
    expect(code({ baseUrl: "shop.example" })).toMatch(
      /^INVALID_OPTION: Invalid option baseUrl: expected an absolute http\(s\) URL/,
    );
    expect(code({ decimalComma: "yes" })).toMatch(/^INVALID_OPTION: Invalid option decimalComma/);
    expect(code({ presets: "x" })).toMatch(
      /^INVALID_OPTION: Invalid option presets: expected one of preset, mapping/,
    );
    expect(code({ preset: "Shopify", currency: "eur" })).toBe("ok");
    expect(resolvePipelineOptions({ preset: "Shopify", baseUrl: "https://a.example/" })).toMatchObject({
      preset: "shopify",
      dedupe: true,
      presetOptions: { baseUrl: "https://a.example" },
    });
  });

  it("a missing mapping file fails in loadPipeline", async () => {
    const err = await loadPipeline({ mapping: "test/fixtures/mapping/none.yaml" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("IO_NOT_FOUND");
  });
});

describe("productRow", () => {
  it("flattens a product in PRODUCT_FIELDS order", () => {
    const row = productRow({
      sku: "A",
      name: "N",
      url: "u",
      image: "i",
      price: 1,
      currency: "EUR",
      gtin: "4023450000013",
    });
    expect(Object.keys(row)).toEqual([
      "sku",
      "name",
      "url",
      "image",
      "price",
      "currency",
      "description",
      "category",
      "old_price",
      "brand",
      "gtin",
      "mpn",
      "availability",
    ]);
    expect(row.gtin).toBe("4023450000013");
    expect(row.description).toBeUndefined();
  });
});
