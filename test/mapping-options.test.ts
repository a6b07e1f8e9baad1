/**
 * Mapping-file options without a preset (issue #11): `options.currency`, `options.baseUrl` and
 * `options.decimalComma` fill in what the layout does not state, as they do for a preset, and the
 * matching flags win over the file. The README's mapping example runs as written.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { type PipelineOptions, processFeed } from "../src/jobs/pipeline.js";
import { openFeed } from "../src/formats/index.js";
import { runCli } from "./helpers/cli.js";

const FIX = "test/fixtures/mapping";
const CSV = `${FIX}/readme-shop.csv`;

async function run(file: string, options: PipelineOptions) {
  const processed = await processFeed(await openFeed(file), options);
  const records = (await collect(processed.records)).flat();
  return { records, report: processed.report() };
}

describe("mapping-file options without a preset", () => {
  it("options.currency and options.baseUrl fill in (no REQUIRED_MISSING currency, absolute URLs)", async () => {
    const { records, report } = await run(CSV, { mapping: `${FIX}/no-preset-options.yaml` });
    expect(report).toMatchObject({ presetChosen: "mapping", valid: 2, invalid: 0 });
    expect(records[0]!.product).toMatchObject({
      currency: "EUR",
      url: "https://shop.example/products/linen-apron",
      image: "https://cdn.shop.example/rs-1.jpg",
      price: 34.9,
    });
  });

  it("the flags win over the file (a currency in the price text is data, and stays)", async () => {
    const { records } = await run(CSV, {
      mapping: `${FIX}/no-preset-options.yaml`,
      currency: "CHF",
      baseUrl: "https://other.example",
    });
    // "34,90 €": the price says EUR, the flag only fills in where the record says nothing.
    expect(records[0]!.product).toMatchObject({
      currency: "EUR",
      url: "https://other.example/products/linen-apron",
    });
    // Without the price transform the flag's CHF wins over the file's EUR too; the text's € then
    // contradicts it and the record is rejected, not pushed as 34.90 CHF.
    const plain = await run(CSV, { mapping: `${FIX}/decimal-comma.yaml`, currency: "CHF" });
    expect(plain.records[0]!.product).toBeUndefined();
    expect(plain.records[0]!.issues).toEqual([
      expect.objectContaining({
        code: "PRICE_CURRENCY_MISMATCH",
        message: "price is in EUR but currency is CHF",
      }),
    ]);
    const eur = await run(CSV, { mapping: `${FIX}/decimal-comma.yaml`, currency: "EUR" });
    expect(eur.records[0]!.product).toMatchObject({ currency: "EUR", price: 34.9 });
  });

  it("the CLI flags --currency and --base-url fill in for a mapping file without options", async () => {
    const dir = await mkdtemp(join(tmpdir(), "feedpipe-opts-"));
    const mapping = join(dir, "m.yaml");
    const text = await readFile(`${FIX}/no-preset-options.yaml`, "utf8");
    await writeFile(mapping, text.replace(/^options:.*$/m, ""));
    const without = await runCli(["validate", CSV, "--mapping", mapping, "--report", "json"]);
    const w = JSON.parse(without.out) as { invalid: number; rules: { code: string }[] };
    expect(w.invalid).toBe(2);
    const r = await runCli([
      "validate",
      CSV,
      "--mapping",
      mapping,
      "--currency",
      "EUR",
      "--base-url",
      "https://shop.example",
      "--report",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ valid: 2, invalid: 0 });
  });

  it("options.decimalComma (and --decimal-comma) read 34,90 as 34.9", async () => {
    const { records, report } = await run(CSV, { mapping: `${FIX}/decimal-comma.yaml` });
    expect(report).toMatchObject({ valid: 2, invalid: 0 });
    expect(records[1]!.product!.price).toBe(12.5);
  });
});

describe("the README's mapping example", () => {
  it("runs as written (YAML block of 'Presets and mapping files')", async () => {
    const readme = await readFile("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## Presets and mapping files"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = await mkdtemp(join(tmpdir(), "feedpipe-readme-"));
    const file = join(dir, "mapping.yaml");
    await writeFile(file, yaml);
    const r = await runCli(["validate", CSV, "--mapping", file, "--report", "json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { valid: number; invalid: number; records: number };
    expect(report).toMatchObject({ records: 2, valid: 2, invalid: 0 });
    const { records } = await run(CSV, { mapping: file });
    expect(records.map((x) => x.product)).toEqual([
      expect.objectContaining({
        sku: "RS-1",
        name: "Linen Apron",
        brand: "Acme",
        mpn: "RS-1-NATURAL",
        price: 34.9,
        currency: "EUR",
        url: "https://shop.example/products/linen-apron",
        image: "https://cdn.shop.example/rs-1.jpg",
        category: "Home > Kitchen > Textiles",
      }),
      expect.objectContaining({ sku: "RS-2", name: "Oak Spoon", price: 12.5 }),
    ]);
  });
});
