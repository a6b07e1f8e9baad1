/**
 * The inferred mapping (`--preset auto` when no preset matches): fixtures in each supported language,
 * a layout no preset knows (nested XML), values overriding names, the once-only report of a required
 * field no column fits, and no inference where a preset matches.
 */
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import { type PipelineOptions, processFeed } from "../src/jobs/pipeline.js";
import { formatReportText, type RunReport } from "../src/core/report.js";
import { openFeed } from "../src/formats/index.js";
import { inferMapping } from "../transforms/index.js";
import { runCli } from "./helpers/cli.js";

const FIX = "test/fixtures/infer";

async function run(file: string, options: PipelineOptions = {}) {
  const feed = await openFeed(file);
  const processed = await processFeed(feed, options);
  const records = (await collect(processed.records)).flat();
  return { processed, records, report: processed.report() };
}

/** field → source of the inferred mapping. */
function sources(r: RunReport): Record<string, string> {
  return Object.fromEntries((r.mapping?.fields ?? []).map((f) => [f.field, f.source]));
}

describe("inferred mapping: one fixture per language", () => {
  const cases: [string, Record<string, string>, { valid: number; invalid: number }][] = [
    [
      "shop-de.csv",
      {
        sku: "Artikelnummer",
        name: "Bezeichnung",
        description: "Beschreibung",
        price: "Preis",
        old_price: "UVP",
        currency: "Währung",
        brand: "Hersteller",
        image: "Bild-URL",
        url: "Produkt-URL",
        gtin: "EAN",
        category: "Kategorie",
      },
      { valid: 2, invalid: 1 },
    ],
    [
      "shop-fr.csv",
      {
        sku: "Référence",
        name: "Nom du produit",
        url: "Lien",
        image: "Image",
        price: "Prix TTC",
        currency: "Devise",
        brand: "Marque",
        category: "Catégorie",
        gtin: "Code EAN",
      },
      { valid: 2, invalid: 1 },
    ],
    [
      "shop-es.csv",
      {
        sku: "referencia",
        name: "nombre",
        price: "precio",
        currency: "moneda",
        brand: "marca",
        url: "enlace",
      },
      { valid: 2, invalid: 0 },
    ],
    [
      "shop-it.csv",
      { sku: "codice", name: "titolo", price: "prezzo", currency: "valuta", image: "immagine", url: "url" },
      { valid: 2, invalid: 0 },
    ],
    [
      "shop-nl.csv",
      {
        sku: "artikelnummer",
        name: "naam",
        description: "omschrijving",
        price: "prijs",
        availability: "voorraad",
      },
      { valid: 2, invalid: 0 },
    ],
    [
      "shop-pl.csv",
      { sku: "kod", name: "nazwa", price: "cena", currency: "waluta", brand: "producent", image: "zdjęcie" },
      { valid: 2, invalid: 0 },
    ],
    [
      "shop-cs.csv",
      { sku: "kód", name: "název", price: "cena s DPH", currency: "měna", brand: "výrobce", url: "odkaz" },
      { valid: 2, invalid: 0 },
    ],
    [
      "shop-pt.csv",
      {
        sku: "código",
        name: "nome",
        description: "descrição",
        price: "preço",
        url: "endereço",
        image: "imagem",
      },
      { valid: 2, invalid: 0 },
    ],
  ];
  for (const [file, expected, counts] of cases) {
    it(`${file}: fields from the column names, prices as the shop writes them`, async () => {
      const { report, records } = await run(`${FIX}/${file}`);
      expect(report.presetChosen).toBe("inferred");
      expect(report.preset).toBe("inferred");
      expect(sources(report)).toMatchObject(expected);
      expect(report).toMatchObject(counts);
      expect(report.valid + report.invalid).toBe(report.read);
      for (const f of report.mapping!.fields) {
        expect(f.confidence).toBeGreaterThanOrEqual(0.4);
        expect(f.confidence).toBeLessThanOrEqual(1);
      }
      expect(records.every((r) => r.line !== undefined)).toBe(true);
    });
  }

  it("German prices with decimal comma and € sign, and a >> category path, are read right", async () => {
    const { records, report } = await run(`${FIX}/shop-de.csv`);
    const espresso = records.find((r) => r.sku === "DE-101")!.product!;
    expect(espresso).toMatchObject({ price: 1299, currency: "EUR", category: "Küche > Kaffee" });
    expect(records.find((r) => r.sku === "DE-100")!.product).toMatchObject({ price: 49.9, old_price: 59.9 });
    const bad = records.find((r) => r.sku === "DE-102")!;
    expect(bad.line).toBe(4);
    expect(bad.issues.map((i) => i.code).sort()).toEqual(["GTIN_CHECK_DIGIT", "PRICE_INVALID"]);
    expect(report.rules.map((r) => r.code).sort()).toEqual(["GTIN_CHECK_DIGIT", "PRICE_INVALID"]);
  });

  it("a marketplace export with JSON arrays in cells and $ prices: first image, category path, USD", async () => {
    const { records, report } = await run(`${FIX}/marketplace-en.csv`);
    expect(sources(report)).toMatchObject({
      sku: "id",
      name: "name",
      url: "url",
      image: "images",
      price: "price",
      category: "categories",
      gtin: "barcode",
      availability: "stock_status",
    });
    expect(report.mapping!.currencyFromPrice).toEqual({ source: "price", codes: ["USD"] });
    expect(records[0]!.product).toMatchObject({
      image: "https://img.market.example.com/mk-1001-a.jpg",
      price: 269.99,
      old_price: 299,
      currency: "USD",
      category: "Shoes > Running > Trail",
    });
    expect(report).toMatchObject({ read: 5, valid: 3, invalid: 2 });
    // The empty JSON array is a missing image; the repeated id a duplicate: each at its line.
    expect(records.find((r) => r.line === 4)!.issues[0]).toMatchObject({
      code: "REQUIRED_MISSING",
      field: "image",
    });
    expect(records.find((r) => r.line === 6)!.issues[0]).toMatchObject({ code: "DUPLICATE_SKU" });
  });
});

describe("inferred mapping: layouts no preset knows", () => {
  it("nested XML: @id, child paths, a choice by attribute", async () => {
    const { records, report } = await run(`${FIX}/catalogue.xml`);
    expect(report.presetChosen).toBe("inferred");
    expect(sources(report)).toMatchObject({
      sku: "@id",
      name: "title",
      url: "page",
      image: "images/image[@type=main]",
      price: "pricing/amount",
      currency: "pricing/currency",
      brand: "brand/name",
      gtin: "barcode",
    });
    expect(records[0]!.product).toMatchObject({
      sku: "X-1",
      brand: "Forest & Co",
      image: "https://media.example.co.uk/x-1.jpg",
      price: 45,
      currency: "GBP",
    });
    expect(report).toMatchObject({ read: 3, valid: 2, invalid: 1 });
    expect(records[1]!.issues[0]).toMatchObject({ code: "GTIN_CHECK_DIGIT" });
  });

  it("XML attributes of the record and of children, and elements told apart by a name attribute", async () => {
    // The Ceneo layout (a preset knows it; here the inference alone is asked).
    const feed = await openFeed("test/fixtures/presets/ceneo/offers.xml");
    const records = (await collect(feed.records)).flat().map((r) => r.fields);
    const m = inferMapping(records);
    const got = Object.fromEntries(m.fields.map((f) => [f.field, f.source]));
    expect(got).toMatchObject({
      sku: "@id",
      url: "@url",
      price: "@price",
      image: "imgs/main@url",
      brand: "attrs/a[@name=Producent]",
      gtin: "attrs/a[@name=EAN]",
      category: "cat",
      name: "name",
    });
    expect(m.unmapped).toEqual(["currency"]);
  });

  it("values override names: an `image` column of page URLs is the url, a `link` column of .jpg the image", async () => {
    const { records, report } = await run(`${FIX}/swapped-columns.csv`);
    expect(sources(report)).toMatchObject({ url: "image", image: "link", sku: "code", name: "title" });
    expect(records[0]!.product).toMatchObject({
      url: "https://lamps.example.com/products/w-1",
      image: "https://cdn.lamps.example.com/w-1.jpg",
    });
    expect(report).toMatchObject({ valid: 3, invalid: 0 });
  });

  it("ties between equally good names are broken by the values (valid GTINs, unique ids)", () => {
    const records = [
      { id: "P", ref: "A-1", title: "Cup", ean: "4006381333932", barcode: "4006381333931" },
      { id: "P", ref: "A-2", title: "Jug", ean: "4006381333949", barcode: "4006381333948" },
      { id: "P", ref: "A-3", title: "Pot", ean: "4006381333956", barcode: "4006381333955" },
    ];
    const m = inferMapping(records);
    const gtin = m.fields.find((f) => f.field === "gtin")!;
    expect(gtin.source).toBe("barcode");
    expect(gtin.candidates[0]).toMatchObject({ source: "ean" });
    expect(gtin.candidates[0]!.confidence).toBeLessThan(gtin.confidence);
    // `id` repeats in every record: not a SKU; the unique `ref` is.
    expect(m.fields.find((f) => f.field === "sku")!.source).toBe("ref");
  });

  it("a required field no column fits is left unmapped and reported once; --currency fills it", async () => {
    const { report } = await run(`${FIX}/no-currency.csv`);
    expect(report.mapping!.unmapped).toEqual(["currency"]);
    expect(report.mapping!.notes).toHaveLength(1);
    expect(report.invalid).toBe(2);
    const text = formatReportText(report);
    expect(text.match(/not mapped {4}currency \(required\)/g)).toHaveLength(1);
    expect(text).toMatch(/pass --currency EUR/);

    const withFlag = await run(`${FIX}/no-currency.csv`, { currency: "EUR" });
    expect(withFlag.report).toMatchObject({ valid: 2, invalid: 0 });
    expect(withFlag.report.mapping!.unmapped).toEqual([]);
    expect(formatReportText(withFlag.report)).toMatch(/currency {6}EUR from --currency/);
    expect(withFlag.records[0]!.product!.currency).toBe("EUR");
  });

  it("relative URLs are noted once; --base-url makes them absolute", async () => {
    const { report } = await run(`${FIX}/relative-urls.csv`);
    expect(sources(report)).toMatchObject({ url: "page", image: "picture" });
    expect(report.mapping!.notes.join("\n")).toMatch(/relative URLs .*pass --base-url/);
    expect(report.invalid).toBe(2);
    const withBase = await run(`${FIX}/relative-urls.csv`, { baseUrl: "https://home.example" });
    expect(withBase.report).toMatchObject({ valid: 2, invalid: 0 });
    expect(withBase.records[0]!.product).toMatchObject({
      url: "https://home.example/products/wool-blanket",
      image: "https://home.example/media/catalog/r-1.jpg",
    });
    expect(withBase.report.mapping!.notes).toEqual([]);
  });

  it("a file where too little fits is still LAYOUT_UNKNOWN, naming the columns", async () => {
    const feed = await openFeed(`${FIX}/not-products.csv`);
    const err = await processFeed(feed, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("LAYOUT_UNKNOWN");
    expect((err as FeedpipeError).message).toMatch(/columns seen: "date", "visits", "bounce_rate"/);
  });

  it("no inference when a preset matches", async () => {
    const { report } = await run("test/fixtures/presets/awin/feed.csv");
    expect(report.presetChosen).toBe("auto");
    expect(report.preset).toBe("awin");
    expect(report.mapping).toBeUndefined();
    expect(formatReportText(report)).not.toMatch(/inferred/);
  });
});

describe("inferred mapping in the CLI", () => {
  it("the text summary says `preset  inferred` with each field's source and confidence", async () => {
    const r = await runCli(["validate", `${FIX}/shop-fr.csv`]);
    expect(r.out).toMatch(/preset {8}inferred/);
    expect(r.out).toMatch(/sku {7}1\.00 {2}← Référence/);
    expect(r.out).toMatch(/price {5}\d\.\d\d {2}← Prix TTC {2}\("price"\)/);
  });

  it("--report json carries the mapping", async () => {
    const r = await runCli(["validate", `${FIX}/shop-fr.csv`, "--report", "json"]);
    const report = JSON.parse(r.out) as RunReport;
    expect(report.presetChosen).toBe("inferred");
    expect(report.mapping!.fields.find((f) => f.field === "gtin")).toMatchObject({ source: "Code EAN" });
    expect(report.mapping!.sampled).toBe(3);
  });
});
