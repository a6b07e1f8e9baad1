import { describe, expect, it } from "vitest";
import type { CheckedRecord } from "../src/jobs/pipeline.js";
import { FeedAggregates } from "../src/jobs/report/aggregates.js";
import { PRICE_EDGES, PriceHistogram, TopK } from "../src/jobs/report/topk.js";

function rec(i: number, over: Partial<CheckedRecord> = {}): CheckedRecord {
  return {
    source: "t.csv",
    index: i,
    line: i + 1,
    sku: `S${i}`,
    product: {
      sku: `S${i}`,
      name: `n${i}`,
      url: "https://x.example/p",
      image: "https://x.example/i.jpg",
      price: 10 + (i % 100),
      currency: i % 2 ? "EUR" : "USD",
      brand: `B${i % 3}`,
    },
    issues: [],
    fields: {},
    ...over,
  };
}

describe("space-saving top-k", () => {
  it("is exact while the distinct values fit", () => {
    const t = new TopK(4);
    for (const v of ["a", "b", "a", "c", "a", "b"]) t.add(v);
    const s = t.summary();
    expect(s.exact).toBe(true);
    expect(s.distinct).toBe(3);
    expect(s.top).toEqual([
      { value: "a", count: 3, error: 0 },
      { value: "b", count: 2, error: 0 },
      { value: "c", count: 1, error: 0 },
    ]);
  });

  it("holds at most 2 × capacity keys over 100k distinct values and keeps the heavy hitters", () => {
    // A value is guaranteed kept when its count is above the floor (at most about 2 × total / capacity).
    const t = new TopK(100);
    let maxSize = 0;
    for (let i = 0; i < 100_000; i++) {
      t.add(`rare-${i}`);
      if (i % 10 === 0) t.add("heavy");
      if (i % 25 === 0) t.add("medium");
      maxSize = Math.max(maxSize, t.size);
    }
    expect(maxSize).toBeLessThanOrEqual(200);
    const s = t.summary(3);
    expect(s.exact).toBe(false);
    expect(s.total).toBe(100_000 + 10_000 + 4_000);
    expect(s.top[0]!.value).toBe("heavy");
    expect(s.top[1]!.value).toBe("medium");
    // Never below the true count, at most `error` above it.
    const heavy = s.top[0]!;
    expect(heavy.count).toBeGreaterThanOrEqual(10_000);
    expect(heavy.count - heavy.error).toBeLessThanOrEqual(10_000);
  });

  it("cuts long keys", () => {
    const t = new TopK(2, 10);
    t.add("x".repeat(50));
    expect(t.summary().top[0]!.value).toBe(`${"x".repeat(9)}…`);
  });
});

describe("price histogram", () => {
  it("puts each price in its fixed bucket", () => {
    const h = new PriceHistogram("EUR");
    for (const p of [0, 0.5, 1, 1.99, 2, 49.99, 50, 250000, -1, Number.NaN]) h.add(p);
    const s = h.summary();
    expect(s.buckets.length).toBe(PRICE_EDGES.length);
    expect(s.count).toBe(8);
    expect(s.buckets[0]).toBe(2); // 0, 0.5
    expect(s.buckets[1]).toBe(2); // 1, 1.99
    expect(s.buckets[2]).toBe(1); // 2
    expect(s.buckets[5]).toBe(1); // 20–50: 49.99
    expect(s.buckets[6]).toBe(1); // 50
    expect(s.buckets[PRICE_EDGES.length - 1]).toBe(1);
    expect(s.min).toBe(0);
    expect(s.max).toBe(250000);
  });
});

describe("feed aggregates", () => {
  it("counts fill rate over valid and rejected records (from the mapped values)", () => {
    const a = new FeedAggregates();
    a.add([
      rec(1),
      rec(2, {
        product: undefined,
        mapped: { sku: "S2", name: "x", brand: "  " },
        issues: [{ code: "REQUIRED_MISSING", severity: "error", field: "url", message: "url missing" }],
      }),
      rec(3, {
        product: undefined,
        mapped: undefined,
        sku: undefined,
        issues: [{ code: "CSV_RAGGED_ROW", severity: "error", message: "ragged" }],
      }),
    ]);
    const s = a.snapshot();
    expect(s.records).toBe(3);
    const fill = Object.fromEntries(s.fill.map((f) => [f.field, f.filled]));
    expect(fill.sku).toBe(2);
    expect(fill.name).toBe(2);
    expect(fill.url).toBe(1);
    expect(fill.brand).toBe(1); // blank text is not filled
    expect(s.issuesByField).toEqual([
      { field: "url", errors: 1, warnings: 0 },
      { field: "(record)", errors: 1, warnings: 0 },
    ]);
    expect(s.prices.map((p) => p.currency)).toEqual(["EUR"]); // only valid products
  });

  it("caps the examples in total and per rule, and counts all problems", () => {
    const a = new FeedAggregates({ maxExamples: 50, examplesPerRule: 10 });
    const batch: CheckedRecord[] = [];
    for (let i = 0; i < 10_000; i++) {
      batch.push(
        rec(i, {
          product: undefined,
          issues: [
            {
              code: i % 2 ? "A_RULE" : "B_RULE",
              severity: "error",
              field: "gtin",
              message: "m".repeat(2000),
              value: "v".repeat(1000),
            },
            { code: `R${i % 7}`, severity: "warning", message: "w" },
          ],
        }),
      );
    }
    a.add(batch);
    const s = a.snapshot();
    expect(s.examplesSeen).toBe(20_000);
    expect(s.examples.length).toBe(50);
    const perRule = new Map<string, number>();
    for (const e of s.examples) perRule.set(e.rule, (perRule.get(e.rule) ?? 0) + 1);
    for (const n of perRule.values()) expect(n).toBeLessThanOrEqual(10);
    expect(s.examples[0]!.message.length).toBeLessThanOrEqual(500);
    expect(s.examples[0]!.value!.length).toBeLessThanOrEqual(200);
  });

  it("keeps memory bounded for 200k distinct brands: top-k holds few keys", () => {
    const a = new FeedAggregates({ topCapacity: 16 });
    for (let b = 0; b < 200; b++) {
      const batch: CheckedRecord[] = [];
      for (let i = 0; i < 1000; i++) {
        const r = rec(b * 1000 + i);
        r.product!.brand = `brand-${b * 1000 + i}`;
        batch.push(r);
      }
      a.add(batch);
    }
    const s = a.snapshot();
    expect(s.brands.total).toBe(200_000);
    expect(s.brands.exact).toBe(false);
    expect(s.brands.top.length).toBeLessThanOrEqual(10);
    expect(s.examples.length).toBe(0);
  });
});
