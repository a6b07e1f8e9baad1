import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import {
  type CheckedRecord,
  type PipelineOptions,
  processFeed,
  type RunReport,
} from "../src/jobs/pipeline.js";
import { openFeed } from "../src/formats/index.js";
import { detectPreset, PRESETS } from "../transforms/index.js";
import { itWithSamples, sample } from "./helpers/environment.js";

const FIX = "test/fixtures/presets";

async function check(
  file: string,
  options: PipelineOptions = {},
): Promise<{
  preset: string;
  records: CheckedRecord[];
  report: RunReport;
  bySku: Map<string, CheckedRecord>;
}> {
  const feed = await openFeed(file);
  const processed = await processFeed(feed, options);
  const records = await collect(processed.records);
  const report = processed.report();
  expect(report.valid + report.invalid).toBe(report.records);
  expect(report.records + report.skipped).toBe(report.read);
  expect(records.length).toBe(report.valid + report.invalid);
  const bySku = new Map<string, CheckedRecord>();
  for (const r of records) if (r.sku !== undefined && !bySku.has(r.sku)) bySku.set(r.sku, r);
  return { preset: processed.preset, records, report, bySku };
}

const codes = (r: CheckedRecord | undefined) => (r?.issues ?? []).map((i) => i.code);

describe("google-merchant preset", () => {
  itWithSamples("maps the shared Google Merchant TSV (22 records) by auto-detection", async () => {
    const { preset, report, bySku } = await check(sample("google-merchant-apparel.tsv"));
    expect(preset).toBe("google-merchant");
    expect(report.presetChosen).toBe("auto");
    expect(report.format).toBe("csv (tab-delimited)");
    expect(report).toMatchObject({ records: 22, valid: 22, invalid: 0, skipped: 0 });
    const p = bySku.get("glacier-pro-mens-black-m")?.product;
    expect(p).toMatchObject({
      sku: "glacier-pro-mens-black-m",
      name: "Glacier Pro Men's Ski Jacket — Black, Size M",
      price: 349,
      currency: "EUR",
      availability: "in_stock",
      brand: "Northridge",
      gtin: "8123456700019",
      category: "Apparel > Outerwear > Ski & Snowboard Jackets",
      url: "https://jabadia.github.io/gmc-learning-site/products/glacier-pro-mens-black-m.html",
      image: "https://jabadia.github.io/gmc-learning-site/images/glacier-pro-mens-black.jpg",
    });
    expect(p?.old_price).toBeUndefined();
  });

  it("maps RSS items with g: fields; sale_price becomes price, price becomes old_price", async () => {
    const { preset, report, bySku } = await check("samples/google-merchant.xml");
    expect(preset).toBe("google-merchant");
    expect(report).toMatchObject({ records: 5, valid: 2, invalid: 3 });
    expect(bySku.get("NR-1001")?.product).toMatchObject({
      name: "Glacier Pro Ski Jacket",
      price: 349,
      old_price: 399,
      currency: "EUR",
      availability: "in_stock",
      category: "Apparel > Outerwear",
      url: "https://shop.northridge.example/products/glacier-pro-ski-jacket",
    });
    expect(bySku.get("NR-1002")?.product?.availability).toBe("out_of_stock");
    expect(codes(bySku.get("NR-1003"))).toEqual(["GTIN_CHECK_DIGIT"]);
    // regular price in USD, sale price in EUR: the currencies disagree
    expect(codes(bySku.get("NR-1004"))).toEqual(["PRICE_CURRENCY_MISMATCH"]);
    expect(bySku.get("NR-1005")?.issues).toEqual([
      expect.objectContaining({ code: "REQUIRED_MISSING", field: "image" }),
    ]);
    expect(bySku.get("NR-1005")?.line).toBe(59);
  });

  it("maps Atom entries (link href, summary)", async () => {
    const { preset, report, bySku } = await check(`${FIX}/google-merchant/atom.xml`);
    expect(preset).toBe("google-merchant");
    expect(report).toMatchObject({ records: 2, valid: 2 });
    expect(bySku.get("ATOM-1")?.product).toMatchObject({
      url: "https://shop.northridge.example/products/nordic-wool-beanie",
      description: "Merino rib-knit beanie with a fleece band.",
      price: 29.95,
      currency: "GBP",
      availability: "out_of_stock",
      category: "Apparel & Accessories > Clothing Accessories > Hats",
    });
    expect(bySku.get("ATOM-2")?.product).toMatchObject({ price: 15, old_price: 19, currency: "GBP" });
  });

  it("maps the comma-separated layout; a price without currency needs --currency", async () => {
    const plain = await check(`${FIX}/google-merchant/feed.csv`);
    expect(plain.preset).toBe("google-merchant");
    expect(plain.report).toMatchObject({ records: 3, valid: 2, invalid: 1 });
    expect(plain.bySku.get("GM-2")?.product).toMatchObject({
      price: 79,
      old_price: 89,
      availability: "preorder",
    });
    expect(plain.bySku.get("GM-3")?.issues).toEqual([
      expect.objectContaining({ code: "REQUIRED_MISSING", field: "currency" }),
    ]);
    const withCurrency = await check(`${FIX}/google-merchant/feed.csv`, { currency: "EUR" });
    expect(withCurrency.report).toMatchObject({ valid: 3, invalid: 0 });
  });

  it("reads a header spelled as spreadsheets do (PRICE, Sale_Price, image link) like its own names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-gm-case-"));
    const file = join(dir, "feed.csv");
    writeFileSync(
      file,
      "ID,Title,PRICE,Sale_Price,Link,image link\n" +
        "H1,First,10.00 USD,8.00 USD,https://s.example/1,https://s.example/1.jpg\n" +
        "H2,Second,12.00 USD,,https://s.example/2,https://s.example/2.jpg\n",
    );
    const { preset, report, bySku } = await check(file);
    expect(preset).toBe("google-merchant");
    expect(report).toMatchObject({ records: 2, valid: 2, invalid: 0 });
    expect(bySku.get("H1")?.product).toMatchObject({
      price: 8,
      old_price: 10,
      currency: "USD",
      image: "https://s.example/1.jpg",
    });
    expect(bySku.get("H2")?.product).toMatchObject({ price: 12, currency: "USD" });
    expect(bySku.get("H2")?.product?.old_price).toBeUndefined();
  });

  it("takes the currency from a sign only one currency uses; an ambiguous sign asks for --currency", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-gm-sign-"));
    const file = join(dir, "feed.csv");
    writeFileSync(
      file,
      "id,title,price,link,image_link\n" +
        "E1,Euro,€12.50,https://s.example/1,https://s.example/1.jpg\n" +
        'D1,Dollar,"$1,234.56",https://s.example/2,https://s.example/2.jpg\n' +
        "N1,Negative,-5 USD,https://s.example/3,https://s.example/3.jpg\n",
    );
    const { bySku } = await check(file);
    expect(bySku.get("E1")?.product).toMatchObject({ price: 12.5, currency: "EUR" });
    const dollar = bySku.get("D1");
    expect(codes(dollar)).toEqual(["REQUIRED_MISSING"]);
    expect(dollar?.issues[0]?.message).toContain("$ is used by USD, CAD, AUD");
    // A price text that fails but names its code is reported once, as the price.
    expect(codes(bySku.get("N1"))).toEqual(["PRICE_INVALID"]);
  });
});

describe("shopify preset", () => {
  const opts = { baseUrl: "https://shop.northridge.example/", currency: "EUR" };

  it("variant rows inherit the product's columns; image-only rows are counted as skipped", async () => {
    const { preset, report, bySku } = await check("samples/shopify.csv", opts);
    expect(preset).toBe("shopify");
    expect(report).toMatchObject({ read: 12, records: 9, valid: 6, invalid: 3, skipped: 3 });
    expect(report.skips).toEqual([expect.objectContaining({ code: "SHOPIFY_IMAGE_ROW", count: 3 })]);
    expect(report.skips[0]!.examples[0]).toMatchObject({ line: 6 });
    expect(bySku.get("GPJ-BLK-M")?.product).toMatchObject({
      name: "Glacier Pro Ski Jacket - Black / M",
      description:
        "Three-layer waterproof shell with taped seams.\n\nRECCO reflector\nHelmet-compatible hood",
      url: "https://shop.northridge.example/products/glacier-pro-ski-jacket",
      image: "https://cdn.shopify.example/s/files/1/0001/northridge/gpj-black.jpg",
      price: 349,
      old_price: 399,
      currency: "EUR",
      brand: "Northridge",
      category: "Apparel & Accessories > Clothing > Outerwear > Coats & Jackets",
      gtin: "4023450000013",
      availability: "in_stock",
    });
    // a later variant row: Title, Vendor, Body inherited from the product row
    expect(bySku.get("GPJ-CRM-L")?.product).toMatchObject({
      name: "Glacier Pro Ski Jacket - Crimson / L",
      brand: "Northridge",
      url: "https://shop.northridge.example/products/glacier-pro-ski-jacket",
      availability: "backorder",
    });
    expect(bySku.get("GPJ-CRM-M")?.product?.availability).toBe("out_of_stock");
    expect(bySku.get("NWB-001")?.product).toMatchObject({
      name: "Nordic Wool Beanie",
      description: "Merino rib-knit beanie & fleece band.",
    });
    expect(codes(bySku.get("FCM-001"))).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(codes(bySku.get("TS-L"))).toEqual(["PRICE_INVALID"]);
  });

  it("without --base-url and --currency products are rejected, with hints", async () => {
    const { report } = await check("samples/shopify.csv");
    expect(report).toMatchObject({ read: 12, records: 9, valid: 0, invalid: 9, skipped: 3 });
    expect(report.hints.join("\n")).toMatch(/--base-url/);
    expect(report.hints.join("\n")).toMatch(/--currency/);
  });

  it("rows of a product that are not together are flagged, never merged into the wrong product", async () => {
    const { records, report } = await check(`${FIX}/shopify/unsorted.csv`, opts);
    expect(report).toMatchObject({ records: 3, valid: 1, invalid: 2, skipped: 0 });
    expect(records[0]?.product).toMatchObject({
      sku: "AC-SAND",
      availability: "in_stock",
      description: "Sun cap",
    });
    // a product row without SKU and price is a product with problems, not a skipped row
    expect(records[1]?.issues.map((i) => `${i.code}:${i.field}`)).toEqual([
      "REQUIRED_MISSING:sku",
      "REQUIRED_MISSING:price",
    ]);
    expect(codes(records[2])).toContain("SHOPIFY_ORPHAN_VARIANT");
    expect(records[2]?.issues).toContainEqual(
      expect.objectContaining({ code: "REQUIRED_MISSING", field: "name" }),
    );
  });
});

describe("woocommerce preset", () => {
  it("variations inherit from their parent; variable/grouped parents without a price are skipped", async () => {
    const { preset, report, bySku } = await check(`${FIX}/woocommerce/export.csv`, {
      baseUrl: "https://woo.example",
      currency: "USD",
    });
    expect(preset).toBe("woocommerce");
    expect(report).toMatchObject({ read: 8, records: 6, valid: 5, invalid: 1, skipped: 2 });
    expect(report.skips.map((s) => s.code).sort()).toEqual(["WOO_GROUPED_PARENT", "WOO_VARIABLE_PARENT"]);
    expect(bySku.get("WOO-TEE")?.product).toMatchObject({
      price: 19.99,
      old_price: 25,
      category: "Clothing > Tshirts",
      image: "https://woo.example/wp-content/uploads/2026/10/tee.jpg",
      description: "Organic cotton tee & more.",
      brand: "Northridge",
      gtin: "4023450000013",
      url: "https://woo.example/?post_type=product&p=101",
      availability: "in_stock",
    });
    expect(bySku.get("WOO-HOODIE-RED")?.product).toMatchObject({
      name: "Hoodie - Red",
      description: "Warm fleece hoodie.",
      category: "Clothing > Hoodies",
      image: "https://woo.example/wp-content/uploads/2026/10/hoodie.jpg",
      brand: "Northridge",
      url: "https://woo.example/?post_type=product&p=102",
      price: 45,
    });
    // parent referenced by SKU; out of stock with backorders allowed
    expect(bySku.get("WOO-HOODIE-BLUE")?.product).toMatchObject({
      brand: "Northridge",
      availability: "backorder",
    });
    const cap = bySku.get("WOO-CAP-RED");
    expect(cap?.product).toBeDefined();
    expect(cap?.issues).toEqual([
      expect.objectContaining({ code: "PARENT_NOT_SEEN", severity: "warning", field: "Parent" }),
    ]);
    expect(bySku.get("WOO-EXT")?.product?.url).toBe("https://woo.example/?post_type=product&p=107");
    expect(report.rules.find((r) => r.code === "REQUIRED_MISSING")?.examples[0]).toMatchObject({
      line: 9,
      field: "sku",
    });
  });
});

describe("magento preset", () => {
  const opts = { baseUrl: "https://magento.example", currency: "USD" };

  it("maps the fixture: configurable parent and store-view rows skipped, children inherit", async () => {
    const { preset, report, bySku } = await check(`${FIX}/magento/products.csv`, opts);
    expect(preset).toBe("magento");
    expect(report).toMatchObject({ read: 6, records: 3, valid: 3, invalid: 0, skipped: 3 });
    expect(report.skips.map((s) => s.code).sort()).toEqual([
      "MAGENTO_CONFIGURABLE_PARENT",
      "MAGENTO_GROUPED_PARENT",
      "MAGENTO_STORE_VIEW_ROW",
    ]);
    expect(bySku.get("MS-XS")?.product).toMatchObject({
      url: "https://magento.example/summit-tee-xs.html",
      image: "https://magento.example/media/catalog/product/m/s/ms-xs.jpg",
      category: "Men > Tops",
      brand: "Northridge",
      description: "Wicking tee.",
      availability: "in_stock",
    });
    // after its parent: inherits description/category/brand and links to the parent's page
    expect(bySku.get("MS-S")?.product).toMatchObject({
      price: 24.5,
      old_price: 29,
      description: "Wicking tee for hot days.",
      category: "Men > Tops",
      brand: "Northridge",
      url: "https://magento.example/summit-tee.html",
      availability: "out_of_stock",
    });
    expect(bySku.get("MB-1")?.product).toMatchObject({
      image: "https://cdn.example/media/day-pack.jpg",
      gtin: "4023450000013",
    });
  });

  itWithSamples(
    "the shared Magento sample: 147 configurable parents skipped, 1,847 children valid",
    async () => {
      const { report, records } = await check(sample("magento-configurable-products.csv"), opts);
      expect(report).toMatchObject({
        preset: "magento",
        read: 1994,
        records: 1847,
        valid: 1847,
        invalid: 0,
        skipped: 147,
      });
      expect(report.skips).toEqual([
        expect.objectContaining({ code: "MAGENTO_CONFIGURABLE_PARENT", count: 147 }),
      ]);
      expect(report.skips[0]!.examples[0]!.message).toMatch(/MH01 is a listing: its 15 variations/);
      const first = records[0]!;
      expect(first.line).toBe(2);
      expect(first.product).toMatchObject({
        sku: "MH01-XS-Black",
        name: "Chaz Kangeroo Hoodie-XS-Black",
        price: 52,
        url: "https://magento.example/chaz-kangeroo-hoodie-xs-black.html",
        image: "https://magento.example/media/catalog/product/m/h/mh01-black_main.jpg",
        category: "Men > Tops > Hoodies & Sweatshirts",
        availability: "in_stock",
      });
      expect(first.product?.description).toMatch(/^Ideal for cold-weather training/);
      expect(first.product?.description).not.toMatch(/<p>|&bull;/);
    },
  );

  itWithSamples(
    "without base URLs the sample's products are rejected (url missing, image relative)",
    async () => {
      const { report } = await check(sample("magento-configurable-products.csv"));
      expect(report).toMatchObject({ read: 1994, records: 1847, valid: 0, invalid: 1847, skipped: 147 });
      const rules = Object.fromEntries(report.rules.map((r) => [r.code, r.count]));
      expect(rules).toMatchObject({ REQUIRED_MISSING: 1847 * 2, IMAGE_URL_INVALID: 1847 });
    },
  );
});

describe("awin preset", () => {
  it("maps the advertiser feed: merchant links preferred, rrp_price → old_price, in_stock flag", async () => {
    const { preset, report, bySku } = await check(`${FIX}/awin/feed.csv`);
    expect(preset).toBe("awin");
    expect(report).toMatchObject({ records: 3, valid: 2, invalid: 1 });
    expect(bySku.get("AW-100")?.product).toMatchObject({
      url: "https://shop.example/p/aw-100",
      image: "https://cdn.example/i/aw-100.jpg",
      price: 279,
      old_price: 299,
      currency: "GBP",
      brand: "Northridge",
      category: "Bags > Backpacks",
      availability: "in_stock",
      mpn: "EXP65",
    });
    expect(codes(bySku.get("AW-101"))).toEqual(["GTIN_CHECK_DIGIT"]);
    expect(bySku.get("AW-102")?.product).toMatchObject({
      currency: "GBP",
      image: "https://images2.productserve.com/aw-102.jpg",
    });
  });
});

describe("meta preset", () => {
  it("maps the catalog CSV with flattened image[0].url and price with currency", async () => {
    const { preset, report, bySku } = await check(`${FIX}/meta/catalog.csv`);
    expect(preset).toBe("meta");
    expect(report).toMatchObject({ records: 3, valid: 2, invalid: 1 });
    expect(bySku.get("META-1")?.product).toMatchObject({
      image: "https://cdn.example/i/aurora.jpg",
      price: 99,
      old_price: 119,
      currency: "USD",
      availability: "in_stock",
    });
    expect(bySku.get("META-2")?.product).toMatchObject({ price: 59, availability: "out_of_stock" });
    expect(bySku.get("META-3")?.issues).toEqual([
      expect.objectContaining({ code: "REQUIRED_MISSING", field: "image" }),
    ]);
  });
});

describe("partnerboost preset", () => {
  it("is the identity on the network's own fields (CSV sample)", async () => {
    const { preset, report, bySku } = await check("samples/catalog.csv");
    expect(preset).toBe("partnerboost");
    expect(report).toMatchObject({ records: 31, valid: 24, invalid: 7, warnings: 2 });
    expect(bySku.get("NR-1001")?.product).toEqual({
      sku: "NR-1001",
      name: "Glacier Pro Ski Jacket",
      url: "https://shop.northridge.example/products/glacier-pro-ski-jacket",
      image: "https://cdn.northridge.example/img/nr-1001.jpg",
      price: 349,
      currency: "EUR",
      description:
        "Glacier Pro Ski Jacket from Northridge: built for long days in the mountains, tested in the Alps.",
      category: "Apparel > Outerwear",
      old_price: 399,
      brand: "Northridge",
      gtin: "4023450000013",
      mpn: "NR2001",
      availability: "in_stock",
    });
  });

  it("reads NDJSON with numbers and extra columns", async () => {
    const { preset, report, bySku } = await check(`${FIX}/partnerboost/feed.ndjson`);
    expect(preset).toBe("partnerboost");
    expect(report).toMatchObject({ records: 3, valid: 2, invalid: 1 });
    expect(bySku.get("PB-1")?.product).toMatchObject({
      currency: "USD",
      price: 49,
      old_price: 59,
      availability: "in_stock",
    });
    expect(bySku.get("PB-2")?.product?.price).toBe(39);
    expect(codes(bySku.get("PB-3"))).toEqual(["URL_INVALID"]);
  });
});

describe("auto detection", () => {
  it("each preset's typical columns pick that preset", () => {
    const layouts: Record<string, string[]> = {
      shopify: ["Handle", "Title", "Body (HTML)", "Vendor", "Variant SKU", "Variant Price", "Image Src"],
      woocommerce: [
        "ID",
        "Type",
        "SKU",
        "Name",
        "Regular price",
        "Sale price",
        "Categories",
        "Images",
        "Parent",
      ],
      magento: ["sku", "store_view_code", "attribute_set_code", "product_type", "name", "price", "url_key"],
      awin: [
        "aw_product_id",
        "merchant_product_id",
        "product_name",
        "search_price",
        "currency",
        "aw_deep_link",
      ],
      meta: [
        "id",
        "title",
        "description",
        "availability",
        "condition",
        "price",
        "link",
        "image_link",
        "brand",
        "fb_product_category",
      ],
      "google-merchant": [
        "id",
        "title",
        "description",
        "link",
        "image_link",
        "availability",
        "price",
        "brand",
        "gtin",
      ],
      partnerboost: ["sku", "name", "url", "image", "price", "currency"],
      heureka: [
        "ITEM_ID",
        "PRODUCTNAME",
        "URL",
        "IMGURL",
        "PRICE_VAT",
        "EAN",
        "MANUFACTURER",
        "CATEGORYTEXT",
      ],
      ceneo: ["@id", "@url", "@price", "@avail", "cat", "name", "imgs", "desc", "attrs"],
      shoppingfeed: ["reference", "gtin", "name", "link", "price", "quantity", "brand", "category", "images"],
      prestashop: ["Product ID", "Active (0/1)", "Name *", "Categories (x,y,z...)", "Price tax excluded"],
      bigcommerce: ["Item Type", "Product ID", "Product Name", "Product Code/SKU", "Brand Name", "Price"],
    };
    for (const [name, keys] of Object.entries(layouts))
      expect(detectPreset(keys)?.preset.name, name).toBe(name);
    expect(detectPreset(["g:id", "title", "link", "g:price", "g:image_link"])?.preset.name).toBe(
      "google-merchant",
    );
    expect(PRESETS.map((p) => p.name).sort()).toEqual(Object.keys(layouts).sort());
  });

  it("matches header names case-insensitively", () => {
    expect(detectPreset(["handle", "title", "variant sku", "variant price"])?.preset.name).toBe("shopify");
  });

  itWithSamples(
    "a layout no preset knows is inferred (the Google Shopping API JSON: nested paths, 25 valid)",
    async () => {
      const feed = await openFeed(sample("google-shopping-api-products.json"));
      const processed = await processFeed(feed, {});
      await collect(processed.records);
      const report = processed.report();
      expect(report.presetChosen).toBe("inferred");
      expect(report.mapping?.fields.find((f) => f.field === "name")?.source).toBe("product/title");
      expect(report).toMatchObject({ read: 25, valid: 25, invalid: 0 });
    },
  );

  it("an unknown layout where too little fits is a LAYOUT_UNKNOWN error suggesting --mapping", async () => {
    const feed = await openFeed("test/fixtures/infer/not-products.csv");
    const err = await processFeed(feed, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("LAYOUT_UNKNOWN");
    expect((err as FeedpipeError).message).toMatch(/columns seen: "date", "visits", "bounce_rate"/);
    expect((err as FeedpipeError).message).toMatch(/--mapping FILE/);
    expect((err as FeedpipeError).message).toMatch(/"fields"/);
  });

  it("an explicit --preset skips detection", async () => {
    const { preset, report } = await check(`${FIX}/google-merchant/feed.csv`, {
      preset: "meta",
      currency: "EUR",
    });
    expect(preset).toBe("meta");
    expect(report.presetChosen).toBe("option");
    expect(report.valid).toBe(3);
  });
});
