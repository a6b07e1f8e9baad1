/**
 * The market presets: Heureka / Zboží.cz, Ceneo, ShoppingFeed, PrestaShop and BigCommerce. Each is
 * detected from its own names (the XML record tag from the document, no --record-tag), and each
 * fixture has the defects real feeds have; counts, codes and line numbers are checked.
 */
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { type CheckedRecord, type PipelineOptions, processFeed } from "../src/jobs/pipeline.js";
import { openFeed } from "../src/formats/index.js";
import { detectPreset } from "../transforms/index.js";

const FIX = "test/fixtures/presets";

async function check(file: string, options: PipelineOptions = {}) {
  const feed = await openFeed(file);
  const processed = await processFeed(feed, options);
  const records = (await collect(processed.records)).flat();
  const report = processed.report();
  expect(report.read).toBe(report.valid + report.invalid + report.skipped);
  const bySku = new Map<string, CheckedRecord>();
  for (const r of records) if (r.sku !== undefined && !bySku.has(r.sku)) bySku.set(r.sku, r);
  return { feed, report, records, bySku };
}

const codes = (r: CheckedRecord | undefined) => (r?.issues ?? []).map((i) => i.code).sort();

describe("Heureka / Zboží.cz (SHOP/SHOPITEM)", () => {
  it("is detected with its record tag; prices, CATEGORYTEXT and DELIVERY_DATE are read", async () => {
    const { feed, report, bySku } = await check(`${FIX}/heureka/feed.xml`, { currency: "CZK" });
    expect(feed.recordTag).toBe("SHOPITEM");
    expect(report).toMatchObject({ preset: "heureka", presetChosen: "auto", read: 3, valid: 2, invalid: 1 });
    expect(bySku.get("KV-100")!.product).toMatchObject({
      name: "ETA Rychlovarná konvice 1,7 l",
      price: 899,
      currency: "CZK",
      category: "Heureka.cz > Bílé zboží > Malé spotřebiče > Rychlovarné konvice",
      brand: "ETA",
      mpn: "ETA8590",
      availability: "in_stock",
      description: "Nerezová konvice s filtrem proti vodnímu kameni.",
    });
    const toaster = bySku.get("TP-200")!;
    expect(toaster.line).toBe(20);
    expect(codes(toaster)).toEqual(["GTIN_CHECK_DIGIT", "REQUIRED_MISSING"]);
    expect(bySku.get("MX-300")!.product).toMatchObject({ price: 2490, availability: "preorder" });
  });

  it("without --currency every product lacks one, and the summary says to pass it", async () => {
    const { report } = await check(`${FIX}/heureka/feed.xml`);
    expect(report.valid).toBe(0);
    expect(report.hints.join("\n")).toMatch(/pass --currency/);
  });

  it("Zboží.cz VARIANTs are products of their own; the SHOPITEM is counted as skipped", async () => {
    const { report, records, bySku } = await check(`${FIX}/heureka/zbozi-variants.xml`, { currency: "CZK" });
    expect(report).toMatchObject({ read: 4, skipped: 1, records: 3, valid: 2, invalid: 1 });
    expect(report.skips[0]).toMatchObject({ code: "HEUREKA_VARIANTS", count: 1 });
    expect(records.map((r) => r.sku)).toEqual(["TR-1-M", "TR-1-XL", "PS-2"]);
    expect(bySku.get("TR-1-M")!.product).toMatchObject({
      name: "Tričko Basic vel. M",
      url: "https://moda.example.cz/tricko-basic",
      image: "https://moda.example.cz/img/tr-1.jpg",
      price: 349,
      brand: "Basic Wear",
      gtin: "8594000000044",
    });
    const xl = bySku.get("TR-1-XL")!;
    expect(xl.line).toBe(3);
    expect(codes(xl)).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(xl.fields.URL).toBe("https://moda.example.cz/tricko-basic?vel=xl");
  });
});

describe("Ceneo (offers/o)", () => {
  it("attributes, imgs/main@url and attrs/a[@name=...]; PLN; avail codes; defects at their lines", async () => {
    const { feed, report, records, bySku } = await check(`${FIX}/ceneo/offers.xml`);
    expect(feed.recordTag).toBe("o");
    expect(report).toMatchObject({ preset: "ceneo", read: 4, valid: 1, invalid: 3 });
    expect(bySku.get("1001")!.product).toMatchObject({
      url: "https://sklep.example.pl/czajnik-amica-1001",
      image: "https://sklep.example.pl/img/1001.jpg",
      price: 129.99,
      currency: "PLN",
      category: "AGD małe > Czajniki",
      brand: "Amica",
      gtin: "5901234123457",
      mpn: "KF1711",
      availability: "in_stock",
    });
    expect(records.map((r) => [r.line, codes(r)])).toEqual([
      [4, []],
      [11, ["GTIN_CHECK_DIGIT"]],
      [17, ["AVAILABILITY_UNKNOWN", "REQUIRED_MISSING"]],
      [23, ["DUPLICATE_SKU"]],
    ]);
    expect(records[1]!.fields["@price"]).toBe("89,00");
  });

  it("--currency wins over PLN", async () => {
    const { bySku } = await check(`${FIX}/ceneo/offers.xml`, { currency: "EUR" });
    expect(bySku.get("1001")!.product!.currency).toBe("EUR");
  });
});

describe("ShoppingFeed (catalog/products/product)", () => {
  it("nested brand/category/description, main image, discount as price; variations are products", async () => {
    const { feed, report, records, bySku } = await check(`${FIX}/shoppingfeed/catalog.xml`, {
      currency: "EUR",
    });
    expect(feed.recordTag).toBe("product");
    expect(report).toMatchObject({
      preset: "shoppingfeed",
      read: 5,
      skipped: 1,
      records: 4,
      valid: 2,
      invalid: 2,
    });
    expect(report.skips[0]).toMatchObject({ code: "SHOPPINGFEED_VARIATIONS" });
    expect(bySku.get("MUG-1")!.product).toMatchObject({
      name: "Enamel Camp Mug",
      brand: "Campfire",
      category: "Root > Kitchen > Mugs",
      image: "https://boutique.example.fr/img/mug-1.jpg",
      price: 12.9,
      old_price: 14.9,
      description: "Enamelled steel mug, 350 ml.",
      availability: "in_stock",
    });
    expect(bySku.get("TEE-2-S")!.product).toMatchObject({
      name: "Organic Tee - S",
      url: "https://boutique.example.fr/tee-bio",
      image: "https://boutique.example.fr/img/tee-2.jpg",
      price: 25,
      brand: "Terre",
    });
    const m = bySku.get("TEE-2-M")!;
    expect(m.line).toBe(20);
    expect(codes(m)).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(records.map((r) => r.sku)).toEqual(["MUG-1", "TEE-2-S", "TEE-2-M", "CAP-3"]);
    const cap = bySku.get("CAP-3")!;
    expect(cap.line).toBe(50);
    expect(codes(cap)).toEqual(["PRICE_INVALID", "REQUIRED_MISSING"]);
  });
});

describe("PrestaShop product CSV", () => {
  it("detected; friendly URLs from --base-url; inactive products skipped; defects at their lines", async () => {
    const { feed, report, bySku } = await check(`${FIX}/prestashop/products.csv`, {
      currency: "EUR",
      baseUrl: "https://shop.example.com",
    });
    expect(feed.delimiter).toBe(";");
    expect(report).toMatchObject({ preset: "prestashop", read: 5, skipped: 1, valid: 2, invalid: 2 });
    expect(report.skips[0]).toMatchObject({ code: "PRESTASHOP_INACTIVE", examples: [{ line: 4 }] });
    expect(bySku.get("demo_1")!.product).toMatchObject({
      name: "Hummingbird printed t-shirt",
      url: "https://shop.example.com/1-hummingbird-printed-t-shirt.html",
      image: "https://shop.example.com/img/p/1/1-large_default.jpg",
      price: 23.9,
      category: "Home > Clothes > Men",
      brand: "Studio Design",
      availability: "in_stock",
    });
    expect(bySku.get("demo_3")!.product).toMatchObject({ availability: "out_of_stock" });
    expect(report.rules.map((r) => [r.code, r.examples.map((e) => e.line)])).toEqual([
      ["REQUIRED_MISSING", [5]],
      ["GTIN_CHECK_DIGIT", [5]],
      ["DUPLICATE_SKU", [6]],
    ]);
  });

  it("without --base-url and --currency the summary says what to pass", async () => {
    const { report } = await check(`${FIX}/prestashop/products.csv`);
    expect(report.valid).toBe(0);
    expect(report.hints.join("\n")).toMatch(/--base-url/);
    expect(report.hints.join("\n")).toMatch(/--currency/);
  });
});

describe("BigCommerce product CSV", () => {
  it("Product, SKU and Rule rows; relative URLs and image files from --base-url; sale prices", async () => {
    const { report, records, bySku } = await check(`${FIX}/bigcommerce/products.csv`, {
      currency: "USD",
      baseUrl: "https://shop.example.com",
    });
    expect(report).toMatchObject({
      preset: "bigcommerce",
      read: 6,
      skipped: 1,
      records: 5,
      valid: 4,
      invalid: 1,
    });
    expect(report.skips[0]).toMatchObject({ code: "BIGCOMMERCE_RULE_ROW", examples: [{ line: 6 }] });
    expect(records.map((r) => r.sku)).toEqual(["APR-1", "SPN-2", "SPN-2-S", "SPN-2-L", "79"]);
    expect(bySku.get("SPN-2")!.product).toMatchObject({
      price: 15,
      old_price: 18,
      url: "https://shop.example.com/oak-spoon-set/",
    });
    expect(bySku.get("SPN-2-S")!.product).toMatchObject({
      name: "Oak Spoon Set - Small",
      price: 16,
      brand: "Common Good",
      image: "https://cdn11.bigcommerce.example/s-abc/products/78/images/202/spoons.jpg",
    });
    const large = bySku.get("SPN-2-L")!;
    expect(large.line).toBe(5);
    expect(codes(large)).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(bySku.get("79")!.product).toMatchObject({
      image: "https://shop.example.com/product_images/carafe__12345.jpg",
      availability: "out_of_stock",
    });
  });
});

describe("detection of the market presets", () => {
  it("each layout's names pick its preset", () => {
    expect(
      detectPreset(["ITEM_ID", "PRODUCTNAME", "URL", "IMGURL", "PRICE_VAT", "EAN", "CATEGORYTEXT"])?.preset
        .name,
    ).toBe("heureka");
    expect(
      detectPreset(["@id", "@url", "@price", "@avail", "cat", "name", "imgs", "attrs"])?.preset.name,
    ).toBe("ceneo");
    expect(
      detectPreset(["reference", "gtin", "name", "link", "price", "quantity", "brand", "images"])?.preset
        .name,
    ).toBe("shoppingfeed");
    expect(
      detectPreset(["Product ID", "Active (0/1)", "Name *", "Categories (x,y,z...)", "Price tax excluded"])
        ?.preset.name,
    ).toBe("prestashop");
    expect(
      detectPreset(["Item Type", "Product ID", "Product Name", "Product Code/SKU", "Price"])?.preset.name,
    ).toBe("bigcommerce");
  });
});
