/**
 * The public sample feeds in ../shared/samples (real files nobody on this project wrote) run through
 * the ingest entry point. They are read in place, never copied into the repository.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { SourceRecord } from "../src/core/record.js";
import { type Feed, openFeed, type ReadFeedOptions } from "../src/formats/index.js";
import { describeWithSamples, SHARED_SAMPLES } from "./helpers/environment.js";

const SAMPLES = SHARED_SAMPLES;

async function readAll(
  file: string,
  options: ReadFeedOptions = {},
): Promise<{ feed: Feed; records: SourceRecord[] }> {
  const feed = await openFeed(join(SAMPLES, file), { highWaterMark: 4096, ...options });
  const records: SourceRecord[] = [];
  for await (const batch of feed.records) records.push(...batch);
  return { feed, records };
}

describeWithSamples("shared sample feeds", () => {
  it("google-merchant-apparel.tsv: 22 records, 18 columns, tab sniffed", async () => {
    const { feed, records } = await readAll("google-merchant-apparel.tsv");
    expect(feed).toMatchObject({ format: "csv", delimiter: "\t", encoding: "utf-8", compression: "none" });
    expect(records).toHaveLength(22);
    expect(records.filter((r) => r.problem)).toEqual([]);
    expect(feed.stats?.columns).toHaveLength(18);
    expect(feed.stats?.columns?.slice(0, 3)).toEqual(["id", "title", "description"]);
    expect(feed.stats?.blankRows).toBe(0);
    for (const r of records) expect(Object.keys(r.fields)).toHaveLength(18);
    expect(records[0]).toMatchObject({
      index: 1,
      line: 2,
      fields: {
        id: "glacier-pro-mens-black-m",
        title: "Glacier Pro Men's Ski Jacket — Black, Size M",
        availability: "in stock",
        price: "349.00 EUR",
      },
    });
    expect(records[21]).toMatchObject({
      index: 22,
      line: 23,
      fields: { id: "aurora-beanie-charcoal-one-size" },
    });
  });

  it("magento-configurable-products.csv: 1,994 records over 3,941 physical lines, with the right start lines", async () => {
    const { feed, records } = await readAll("magento-configurable-products.csv");
    expect(feed).toMatchObject({ format: "csv", delimiter: "," });
    expect(records).toHaveLength(1994);
    expect(records.filter((r) => r.problem)).toEqual([]);
    expect(feed.stats?.columns).toHaveLength(70);
    expect(feed.stats?.blankRows).toBe(0);
    // Start lines (checked against Python's csv module): descriptions hold line breaks.
    const at = (i: number): [number | undefined, unknown, unknown] => {
      const r = records[i - 1]!;
      return [r.line, r.fields.sku, r.fields.name];
    };
    expect(at(1)).toEqual([2, "MH01-XS-Black", "Chaz Kangeroo Hoodie-XS-Black"]);
    expect(at(2)).toEqual([4, "MH01-XS-Gray", "Chaz Kangeroo Hoodie-XS-Gray"]);
    expect(at(100)).toEqual([200, "MH07-S-Black", "Hero Hoodie-S-Black"]);
    expect(at(1000)).toEqual([1984, "WH02-XS-Green", "Hera Pullover Hoodie-XS-Green"]);
    expect(at(1994)).toEqual([3940, "WSH12", "Erika Running Short"]);
    // The last record starts on line 3940 and its description ends on 3941, the last line.
    const last = records[1993]!;
    const breaks = Object.values(last.fields).reduce<number>(
      (n, v) => n + (typeof v === "string" ? v.split(/\r\n|\r|\n/).length - 1 : 0),
      0,
    );
    expect(last.line! + breaks).toBe(3941);
    // Lines only grow, and each record starts after the lines of the one before.
    for (let i = 1; i < records.length; i++) expect(records[i]!.line!).toBeGreaterThan(records[i - 1]!.line!);
  });

  it("google-shopping-api-products.json: sniffs to JSON with jsonPath items; one record per item", async () => {
    const file = join(SAMPLES, "google-shopping-api-products.json");
    const expected = (JSON.parse(readFileSync(file, "utf8")) as { items: unknown[] }).items;
    const { feed, records } = await readAll("google-shopping-api-products.json");
    expect(feed).toMatchObject({ format: "json", jsonPath: "items" });
    expect(records).toHaveLength(expected.length);
    expect(records.length).toBeGreaterThan(0);
    expect(records.map((r) => r.fields)).toEqual(expected);
    expect(records.filter((r) => r.problem)).toEqual([]);
    // offsets point at each item's opening brace
    const text = readFileSync(file, "utf8");
    for (const r of records) expect(text[r.offset!]).toBe("{");
  });
});
